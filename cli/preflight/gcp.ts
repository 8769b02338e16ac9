import type { GoogleAuth } from 'google-auth-library';
import { gcpEnvironment } from '../../infra/config/clouds';
import type { PlatformConfig } from '../../infra/config/schema';
import type { GcpStackFacts } from './gcp-stack';
import { type CheckResult, errorText } from './report';

/**
 * APIs Terraform needs before it can enable any other: `google_project_service` calls Service Usage, and the
 * provider reads the project through Cloud Resource Manager. Neither can enable itself from Terraform.
 */
export const BASE_APIS = ['serviceusage.googleapis.com', 'cloudresourcemanager.googleapis.com'] as const;

/** Where the Google REST APIs live; tests point them at a loopback server. */
export interface GcpPreflightEndpoints {
  /** Default `https://serviceusage.googleapis.com`. */
  readonly serviceUsageUrl?: string;
  /** Default `https://storage.googleapis.com`. */
  readonly storageUrl?: string;
  readonly fetch?: typeof fetch;
}

/** The optional remote state of an environment (`environments.<env>.gcp.state`), when the config has one. */
function remoteState(config: PlatformConfig, envName: string): { bucket: string; prefix?: string } | undefined {
  const state = (config.environments[envName].gcp as { state?: { bucket?: unknown; prefix?: unknown } }).state;
  return typeof state?.bucket === 'string' ? { bucket: state.bucket, prefix: typeof state.prefix === 'string' ? state.prefix : undefined } : undefined;
}

interface Answer {
  readonly status: number;
  readonly body: any;
}

/**
 * Read-only checks of one environment's Google Cloud project with Application Default Credentials: the base APIs,
 * the APIs the stack will enable, the Terraform state bucket, and per model with a version its artifact.
 */
export async function gcpPreflight(
  config: PlatformConfig,
  envName: string,
  auth: GoogleAuth,
  facts: GcpStackFacts,
  endpoints: GcpPreflightEndpoints = {},
): Promise<CheckResult[]> {
  const { project, region } = gcpEnvironment(config, envName).gcp;
  const results: CheckResult[] = [];
  const add = (r: Omit<CheckResult, 'cloud'>) => results.push({ cloud: 'gcp', ...r });
  const serviceUsage = (endpoints.serviceUsageUrl ?? 'https://serviceusage.googleapis.com').replace(/\/+$/, '');
  const storage = (endpoints.storageUrl ?? 'https://storage.googleapis.com').replace(/\/+$/, '');
  const fetchImpl = endpoints.fetch ?? globalThis.fetch;

  const get = async (url: string): Promise<Answer> => {
    // Request headers, not just the token: ADC from `gcloud auth application-default login` adds its quota project.
    const headers = await auth.getRequestHeaders(url);
    const response = await fetchImpl(url, { headers, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: { message: text.slice(0, 200) } };
    }
    return { status: response.status, body };
  };
  const googleError = (a: Answer) => {
    const detail = [a.body?.error?.status, a.body?.error?.message].filter(Boolean).join(': ');
    return a.status ? `HTTP ${a.status} ${detail}`.trim() : detail; // status 0: no answer at all
  };

  try {
    await auth.getRequestHeaders(serviceUsage);
  } catch (err) {
    add({ status: 'blocker', detail: `no Google Cloud credentials: ${errorText(err)}`, fix: 'gcloud auth application-default login (or GOOGLE_APPLICATION_CREDENTIALS)' });
    return results;
  }

  // services.batchGet takes at most 30 names per call (https://cloud.google.com/service-usage/docs/reference/rest/v1/services/batchGet).
  const wanted = [...new Set([...BASE_APIS, ...facts.services])];
  const states = new Map<string, string>();
  for (let i = 0; i < wanted.length; i += 30) {
    const names = wanted.slice(i, i + 30).map((s) => `names=${encodeURIComponent(`projects/${project}/services/${s}`)}`);
    let answer: Answer;
    try {
      answer = await get(`${serviceUsage}/v1/projects/${encodeURIComponent(project)}/services:batchGet?${names.join('&')}`);
    } catch (err) {
      add({ status: 'blocker', detail: `APIs of project ${project}: could not ask Service Usage: ${errorText(err)}` });
      return results;
    }
    if (answer.status !== 200) {
      const disabled = JSON.stringify(answer.body).includes('SERVICE_DISABLED');
      add({
        status: 'blocker',
        detail: `APIs of project ${project}: Service Usage answered ${googleError(answer)}`,
        fix: disabled
          ? `gcloud services enable ${BASE_APIS.join(' ')} --project ${project}`
          : `use credentials with serviceusage.services.get on ${project} (roles/serviceusage.serviceUsageViewer)`,
      });
      return results;
    }
    for (const service of answer.body?.services ?? []) states.set(String(service.name).split('/').pop()!, service.state);
  }
  const base = BASE_APIS.filter((s) => states.get(s) !== 'ENABLED');
  if (base.length === 0) add({ status: 'ok', detail: `project ${project}: ${BASE_APIS.join(' and ')} enabled` });
  else {
    add({
      status: 'blocker',
      detail: `project ${project}: ${base.join(', ')} not enabled; Terraform needs ${base.length === 1 ? 'it' : 'them'} before it can enable any other API`,
      fix: `gcloud services enable ${base.join(' ')} --project ${project}`,
    });
  }
  const later = facts.services.filter((s) => !BASE_APIS.includes(s as (typeof BASE_APIS)[number]) && states.get(s) !== 'ENABLED');
  if (facts.services.length === 0) add({ status: 'info', detail: `project ${project}: the stack enables no APIs itself (no google_project_service resources)` });
  else if (later.length === 0) add({ status: 'ok', detail: `project ${project}: all ${facts.services.length} APIs the stack uses are enabled` });
  else add({ status: 'info', detail: `project ${project}: the deploy will enable ${later.join(', ')}` });

  const state = remoteState(config, envName);
  if (state) {
    const answer = await bucket(get, storage, state.bucket);
    const where = `Terraform state bucket gs://${state.bucket}${state.prefix ? `/${state.prefix}` : ''}`;
    if (answer.status === 200) add({ status: 'ok', detail: `${where} is reachable` });
    else if (answer.status === 404) {
      add({
        status: 'blocker',
        detail: `${where}: the bucket does not exist; Terraform cannot initialize its backend`,
        fix: `gcloud storage buckets create gs://${state.bucket} --project ${project} --location ${region} --uniform-bucket-level-access --public-access-prevention && gcloud storage buckets update gs://${state.bucket} --versioning`,
      });
    } else add({ status: 'blocker', detail: `${where}: ${googleError(answer)}`, fix: 'use credentials that may read and write the state bucket (roles/storage.objectUser on it)' });
  }

  const artifacts = facts.artifactsBucket;
  const versioned = config.models.filter((m) => (m.version as string | undefined) !== undefined);
  for (const model of config.models.filter((m) => !versioned.includes(m))) {
    add({ status: 'info', detail: `model ${model.name}: waiting for a first version` });
  }
  if (!artifacts) {
    if (versioned.length) add({ status: 'info', detail: 'model artifacts not checked: the artifacts bucket name could not be read from the stack' });
    return results;
  }
  const bucketAnswer = await bucket(get, storage, artifacts);
  if (bucketAnswer.status === 404) {
    add({ status: 'info', detail: `artifacts bucket gs://${artifacts} does not exist yet: the deploy creates it; upload each model version to it afterwards (an upload starts the model's deploy trigger)` });
    return results;
  }
  if (bucketAnswer.status !== 200) {
    add({ status: 'warning', detail: `artifacts bucket gs://${artifacts}: ${googleError(bucketAnswer)}`, fix: 'use credentials that may read the registry (roles/storage.objectViewer)' });
    return results;
  }
  for (const model of versioned) {
    const object = `models/${model.name}/${model.version}/model.tar.gz`;
    let answer: Answer;
    try {
      answer = await get(`${storage}/storage/v1/b/${encodeURIComponent(artifacts)}/o/${encodeURIComponent(object)}`);
    } catch (err) {
      answer = { status: 0, body: { error: { message: errorText(err) } } };
    }
    if (answer.status === 200) add({ status: 'ok', detail: `model ${model.name} ${model.version}: gs://${artifacts}/${object}` });
    else {
      add({
        status: 'warning',
        detail: `model ${model.name} ${model.version}: gs://${artifacts}/${object} ${answer.status === 404 ? 'is missing' : `could not be read: ${googleError(answer)}`}; its Vertex AI endpoint serves nothing until it is uploaded`,
        fix: `gcloud storage cp model.tar.gz gs://${artifacts}/${object}`,
      });
    }
  }
  return results;
}

async function bucket(get: (url: string) => Promise<Answer>, storage: string, name: string): Promise<Answer> {
  try {
    return await get(`${storage}/storage/v1/b/${encodeURIComponent(name)}`);
  } catch (err) {
    return { status: 0, body: { error: { message: errorText(err) } } };
  }
}
