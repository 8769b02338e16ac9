/**
 * Offline checks of a synthesized Google Cloud stack (`cdk.tf.json`) for what breaks a first `cdktf deploy` into an
 * empty project, none of which `terraform validate` sees:
 *
 * - api: every resource and data source needs its APIs enabled by a `google_project_service` of the stack
 *   (`disable_on_destroy = false`) and depends on it; a Google type without a row in `APIS_BY_TYPE` is reported.
 * - agent: a grant to a Google service agent must name it through the resource that creates the agent
 *   (`google_project_service_identity`, or the Storage/BigQuery data sources), so the grant waits for it; an agent
 *   email written out (`service-123@gcp-sa-….iam.gserviceaccount.com`) is only accepted with that dependency.
 * - name: bucket names, service account ids and custom role ids against Google's rules (naming-rules.ts).
 *
 * It lives with the tests: it reads synth output, is run by jest over every stack of a config, and is not part of
 * the published API.
 */
import { APIS_BY_TYPE } from '../../constructs/gcp/required-apis';
import { bucketNameProblems, customRoleIdProblems, serviceAccountIdProblems } from '../../constructs/gcp/private/naming-rules';

type Block = Record<string, any>;
/** The parts of a synthesized `cdk.tf.json` the checks read. */
export interface SynthesizedStack {
  resource?: Record<string, Record<string, Block>>;
  data?: Record<string, Record<string, Block>>;
}

/** One problem: which rule, where (`type.id`), and what is wrong. */
export interface Finding {
  readonly rule: 'api' | 'agent' | 'name';
  readonly where: string;
  readonly message: string;
}

/** Every problem the checks find in `stack`; empty when it is deployable as far as they can tell. */
export function checkDeployability(stack: SynthesizedStack): Finding[] {
  return [...checkApis(stack), ...checkAgentGrants(stack), ...checkNames(stack)];
}

/** Every resource (`type.id`) and data source (`data.type.id`) of the stack with its body. */
function blocks(stack: SynthesizedStack): Array<{ address: string; type: string; body: Block }> {
  const out: Array<{ address: string; type: string; body: Block }> = [];
  for (const [type, byId] of Object.entries(stack.resource ?? {})) for (const [id, body] of Object.entries(byId)) out.push({ address: `${type}.${id}`, type, body });
  for (const [type, byId] of Object.entries(stack.data ?? {})) for (const [id, body] of Object.entries(byId)) out.push({ address: `data.${type}.${id}`, type: `data.${type}`, body });
  return out;
}

function checkApis(stack: SynthesizedStack): Finding[] {
  const findings: Finding[] = [];
  const enabling = new Map<string, string>();
  for (const [id, service] of Object.entries(stack.resource?.google_project_service ?? {})) {
    enabling.set(service.service, `google_project_service.${id}`);
    if (service.disable_on_destroy !== false) findings.push({ rule: 'api', where: `google_project_service.${id}`, message: `${service.service}: expected disable_on_destroy = false` });
  }
  for (const { address, type, body } of blocks(stack)) {
    if (!/^(data\.)?google_/.test(type) || type === 'google_project_service') continue;
    const apis = type === 'google_project_service_identity' ? [body.service] : APIS_BY_TYPE[type];
    if (!apis) {
      findings.push({ rule: 'api', where: address, message: `no API known for ${type}: add it to APIS_BY_TYPE (constructs/gcp/required-apis.ts)` });
      continue;
    }
    for (const api of apis) {
      const service = enabling.get(api);
      if (!service) findings.push({ rule: 'api', where: address, message: `needs ${api}, which the stack does not enable` });
      else if (!(body.depends_on ?? []).includes(service)) findings.push({ rule: 'api', where: address, message: `needs ${api} but does not depend on ${service}` });
    }
  }
  return findings;
}

/** What creates each kind of agent: an identity of a service, or one of two data sources. */
function agentCreator(email: string): { service: string } | { dataType: string } | undefined {
  const domain = email.split('@')[1] ?? '';
  const sa = /^gcp-sa-([a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(domain);
  if (sa) return { service: `${sa[1]}.googleapis.com` };
  const known: Record<string, string> = {
    'gcf-admin-robot.iam.gserviceaccount.com': 'cloudfunctions.googleapis.com',
    'serverless-robot-prod.iam.gserviceaccount.com': 'run.googleapis.com',
  };
  if (known[domain]) return { service: known[domain] };
  if (domain === 'gs-project-accounts.iam.gserviceaccount.com') return { dataType: 'google_storage_project_service_account' };
  if (domain === 'bigquery-encryption.iam.gserviceaccount.com') return { dataType: 'google_bigquery_default_service_account' };
  return undefined;
}

const IDENTITY_REF = /^\$\{google_project_service_identity\.([\w-]+)\.(member|email)\}$/;
const AGENT_DATA_REF = /^\$\{data\.(google_storage_project_service_account|google_bigquery_default_service_account)\.([\w-]+)\.(member|email_address|email)\}$/;

function checkAgentGrants(stack: SynthesizedStack): Finding[] {
  const findings: Finding[] = [];
  const identities = stack.resource?.google_project_service_identity ?? {};
  for (const { address, type, body } of blocks(stack)) {
    if (!/_iam_(member|binding)$/.test(type)) continue;
    const members: string[] = [body.member, ...(body.members ?? [])].filter((m): m is string => typeof m === 'string');
    for (const member of members) {
      const identity = IDENTITY_REF.exec(member);
      if (identity) {
        if (!identities[identity[1]]) findings.push({ rule: 'agent', where: address, message: `names google_project_service_identity.${identity[1]}, which the stack does not create` });
        continue;
      }
      const data = AGENT_DATA_REF.exec(member);
      if (data) {
        if (!stack.data?.[data[1]]?.[data[2]]) findings.push({ rule: 'agent', where: address, message: `names data.${data[1]}.${data[2]}, which the stack does not read` });
        continue;
      }
      const email = member.replace(/^serviceAccount:/, '');
      const creator = agentCreator(email);
      if (!creator) continue;
      const dependsOn: string[] = body.depends_on ?? [];
      const created =
        'service' in creator
          ? Object.entries(identities).some(([id, i]) => i.service === creator.service && dependsOn.includes(`google_project_service_identity.${id}`))
          : dependsOn.some((d) => d.startsWith(`data.${creator.dataType}.`));
      if (!created) {
        const how = 'service' in creator ? `google_project_service_identity for ${creator.service}` : `data.${creator.dataType}`;
        findings.push({ rule: 'agent', where: address, message: `grants to service agent ${email} without depending on what creates it (${how}); use that resource's member` });
      }
    }
  }
  return findings;
}

/**
 * A name with its synth-time placeholders filled in: the deployment stamp (`time_static.….unix`) is ten digits.
 * Undefined when the name holds another reference, which only Terraform knows.
 */
function concrete(name: string): string | undefined {
  const filled = name.replace(/\$\{time_static\.[\w-]+\.unix\}/g, '1767225600');
  return filled.includes('${') ? undefined : filled;
}

const NAME_RULES: Array<{ type: string; field: string; problems: (name: string) => string[] }> = [
  { type: 'google_storage_bucket', field: 'name', problems: bucketNameProblems },
  { type: 'google_service_account', field: 'account_id', problems: serviceAccountIdProblems },
  { type: 'google_project_iam_custom_role', field: 'role_id', problems: customRoleIdProblems },
];

function checkNames(stack: SynthesizedStack): Finding[] {
  const findings: Finding[] = [];
  for (const { type, field, problems } of NAME_RULES) {
    for (const [id, body] of Object.entries(stack.resource?.[type] ?? {})) {
      const where = `${type}.${id}`;
      const name = concrete(String(body[field]));
      if (name === undefined) {
        findings.push({ rule: 'name', where, message: `${field} "${body[field]}" is only known at apply time; it cannot be checked` });
        continue;
      }
      for (const problem of problems(name)) findings.push({ rule: 'name', where, message: `${field} "${name}" ${problem}` });
    }
  }
  return findings;
}
