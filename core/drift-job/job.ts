import { parseBaseline, windowSpecs, type BaselineFile } from '../profile/baseline';
import { evaluateDrift, type DriftReport } from '../drift/evaluate';
import { registryLayout } from '../layout';
import { DatasetProfile } from '../profile/profile';
import { readStreamRows } from '../readers/read';
import { type LabelledPairs, LabelIndex, type ModelTask, type QualityBaseline, type QualityReport, assessQuality, joinCaptureFile } from '../quality';
import { renderReportHtml } from '../drift/report-html';
import type { IntegrityThresholds } from '../drift/integrity-thresholds';
import type { DataIntegrityFailedDetail, DriftDetectedDetail, DriftEvents, DriftMetricsSink, ObjectStore, Shard, ShardLauncher } from './ports';
import { type DriftWindow, hourlyPrefixes, windowEndingAt, windowId } from './window';

/** What to check: one model's captured traffic against its baseline. */
export interface DriftCheckSpec {
  readonly model: string;
  /** Artifact version whose `baseline.json` is the reference. */
  readonly modelVersion: string;
  readonly environment: string;
  /** Folder of the endpoint variant's hourly capture files, such as `data-capture/churn/ms-dev-churn/AllTraffic/`. */
  readonly capturePrefix: string;
  readonly windowHours: number;
  /** Windows with more capture objects than this fan out into shards. */
  readonly maxObjectsPerInvocation: number;
  readonly driftShareThreshold: number;
  /** What the model predicts, for the model-quality metrics when labels arrive. */
  readonly task: ModelTask;
  /** Relative loss of the main quality metric against `quality.json` that counts as degraded. */
  readonly qualityDegradationThreshold: number;
  /**
   * Thresholds of the data-integrity checks.
   * @default - INTEGRITY_DEFAULTS
   */
  readonly integrity?: IntegrityThresholds;
}

export interface DriftDeps {
  readonly store: ObjectStore;
  readonly events: DriftEvents;
  readonly metrics: DriftMetricsSink;
  /**
   * Starts a fan-out for large windows.
   * @default - none: every window is checked in one pass
   */
  readonly launcher?: ShardLauncher;
}

/** A check that cannot run: the baseline is missing or corrupt. Nothing has been written. */
export class DriftCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriftCheckError';
  }
}

/** The report as stored: the drift report plus where it came from. */
export interface StoredReport extends DriftReport {
  readonly model: string;
  readonly environment: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly baselineKey: string;
  readonly captureObjects: number;
  /**
   * Model quality, when ground-truth labels arrived for the window.
   * @default - absent when no labels arrived
   */
  readonly quality?: QualityReport;
}

/** Labelled predictions collected while reading capture data, and labels that could not be read. */
export interface QualityInput {
  readonly pairs: LabelledPairs;
  readonly invalidLabels: number;
}

export type CheckOutcome =
  | { readonly status: 'done' | 'no-data' | 'already-done'; readonly reportKey: string; readonly drifted: boolean }
  | { readonly status: 'fanned-out'; readonly execution: string; readonly shards: number };

/** The window's report folder and files. */
export function reportKeys(model: string, window: DriftWindow) {
  const dir = registryLayout.windowReportPrefix(model, windowId(window));
  return {
    dir,
    json: `${dir}report.json`,
    html: `${dir}report.html`,
    eventClaim: `${dir}drift-detected.json`,
    integrityClaim: `${dir}integrity-failed.json`,
    plan: `${dir}shards/plan.json`,
    shard: (i: number) => `${dir}shards/${i}.json`,
  };
}

/**
 * The scheduled check of the window that ended at `scheduledTime`. At most one report and one `DriftDetected`
 * event per model and window, however often it runs: a finished window is recognised by its report.json.
 */
export async function runDriftCheck(spec: DriftCheckSpec, scheduledTime: Date | string, deps: DriftDeps): Promise<CheckOutcome> {
  const window = windowEndingAt(scheduledTime, spec.windowHours);
  const keys = reportKeys(spec.model, window);
  if (await deps.store.exists(keys.json)) return finishedBefore(spec, window, deps);

  const { baseline, baselineKey } = await loadBaseline(spec, deps.store);
  const objects = (await Promise.all(hourlyPrefixes(spec.capturePrefix, window).map((p) => deps.store.list(p)))).flat();

  if (objects.length > spec.maxObjectsPerInvocation && deps.launcher) {
    const shards: Shard[] = [];
    for (let i = 0; i < objects.length; i += spec.maxObjectsPerInvocation) {
      shards.push({ index: shards.length, keys: objects.slice(i, i + spec.maxObjectsPerInvocation) });
    }
    await deps.store.put(keys.plan, JSON.stringify(shards), 'application/json');
    const execution = await deps.launcher.start({ windowEnd: window.end.toISOString(), planKey: keys.plan, shardCount: shards.length });
    return { status: 'fanned-out', execution, shards: shards.length };
  }

  const profile = newWindowProfile(baseline);
  for (const key of objects) await profileObject(deps.store, key, baseline, profile);
  const quality = await collectQuality(spec, window, objects, deps.store);
  return publish(spec, window, baseline, baselineKey, profile, objects.length, deps, quality);
}

/** Ground-truth labels of the window (`ground-truth/<model>/yyyy/mm/dd/hh/`); undefined when none arrived. */
export async function loadLabels(spec: DriftCheckSpec, window: DriftWindow, store: ObjectStore): Promise<LabelIndex | undefined> {
  const keys = (await Promise.all(hourlyPrefixes(registryLayout.groundTruthPrefix(spec.model), window).map((p) => store.list(p)))).flat();
  if (keys.length === 0) return undefined;
  const index = new LabelIndex();
  for (const key of keys) {
    const stream = await store.read(key);
    if (stream) await index.addFile(stream);
  }
  return index;
}

/**
 * Joins the window's labels with the predictions in `objects` (a second read of the capture data, made only
 * when labels arrived).
 */
export async function collectQuality(spec: DriftCheckSpec, window: DriftWindow, objects: readonly string[], store: ObjectStore): Promise<QualityInput | undefined> {
  const labels = await loadLabels(spec, window, store);
  if (!labels) return undefined;
  const pairs: LabelledPairs = { labels: [], predictions: [] };
  for (const key of objects) {
    const stream = await store.read(key);
    if (stream) await joinCaptureFile(stream, labels, pairs);
  }
  return { pairs, invalidLabels: labels.invalid };
}

/** Reads and validates the model version's baseline, or explains why it cannot. */
export async function loadBaseline(spec: DriftCheckSpec, store: ObjectStore): Promise<{ baseline: BaselineFile; baselineKey: string }> {
  const baselineKey = registryLayout.baseline(spec.model, spec.modelVersion);
  const text = await store.readText(baselineKey);
  if (text === undefined) throw new DriftCheckError(`baseline ${baselineKey} is missing: run \`modelstack baseline\` on the training data and upload it there`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DriftCheckError(`baseline ${baselineKey} is corrupt: not JSON (${(err as Error).message})`);
  }
  try {
    return { baseline: parseBaseline(json), baselineKey };
  } catch (err) {
    throw new DriftCheckError(`baseline ${baselineKey} is corrupt: ${(err as Error).message}`);
  }
}

/** An empty profile of a window, binned like `baseline` and sketched at the baseline's compression. */
export function newWindowProfile(baseline: BaselineFile): DatasetProfile {
  const numeric = baseline.features.find((f) => f.kind === 'numeric');
  // The window sketch uses the baseline's compression so both CDFs have the same resolution.
  return new DatasetProfile(windowSpecs(baseline), { compression: numeric?.kind === 'numeric' ? numeric.sketch.compression : undefined });
}

/**
 * Streams one capture object into `profile`; a vanished object counts as empty. Objects named `*.parquet`
 * (a feature-store or warehouse export dropped into the window's folders) are read as Parquet, whole (at most
 * MAX_STREAMED_PARQUET_BYTES) and then by row group; everything else as JSON Lines / SageMaker capture.
 */
export async function profileObject(store: ObjectStore, key: string, baseline: BaselineFile, profile: DatasetProfile): Promise<void> {
  const stream = await store.read(key);
  if (!stream) return;
  const format = /\.parquet$/i.test(key) ? 'parquet' : 'jsonl';
  await readStreamRows(stream, format, baseline.features.map((f) => f.name), profile, undefined, key);
}

/** Evaluates the window, writes its report (HTML first, then report.json as the commit), records metrics, raises the event. */
export async function publish(
  spec: DriftCheckSpec,
  window: DriftWindow,
  baseline: BaselineFile,
  baselineKey: string,
  profile: DatasetProfile,
  captureObjects: number,
  deps: DriftDeps,
  qualityInput?: QualityInput,
): Promise<CheckOutcome> {
  const keys = reportKeys(spec.model, window);
  const drift = evaluateDrift(baseline, profile, { driftShare: spec.driftShareThreshold, integrity: spec.integrity });
  const quality = qualityInput
    ? assessQuality(spec.task, qualityInput.pairs, qualityInput.invalidLabels, await loadQualityBaseline(spec, deps.store), spec.qualityDegradationThreshold)
    : undefined;
  const noData = profile.rows === 0 && profile.invalidRows === 0;
  const report: StoredReport = {
    ...drift,
    notes: noData ? [`No captured data between ${window.start.toISOString()} and ${window.end.toISOString()}.`, ...drift.notes] : drift.notes,
    model: spec.model,
    environment: spec.environment,
    windowStart: window.start.toISOString(),
    windowEnd: window.end.toISOString(),
    baselineKey,
    captureObjects,
    ...(quality ? { quality } : {}),
  };
  await deps.store.put(keys.html, renderReportHtml(report, `Drift of ${spec.model} (${spec.environment}), window ending ${report.windowEnd}`), 'text/html; charset=utf-8');
  const created = await deps.store.putIfAbsent(keys.json, JSON.stringify(report, null, 2), 'application/json');
  if (!created) return finishedBefore(spec, window, deps);

  recordMetrics(report, noData, deps.metrics);
  await deps.metrics.flush();
  await raiseEvents(report, keys, deps);
  return { status: noData ? 'no-data' : 'done', reportKey: keys.json, drifted: report.drifted };
}

function recordMetrics(report: StoredReport, noData: boolean, metrics: DriftMetricsSink): void {
  metrics.metric('Rows', report.rows);
  metrics.metric('InvalidRows', report.invalidRows);
  if (noData) {
    metrics.metric('NoCaptureData', 1);
    return;
  }
  metrics.metric('DriftShare', report.driftShare);
  metrics.metric('DatasetDrifted', report.drifted ? 1 : 0);
  const statuses = [...report.integrity.checks, ...report.features.flatMap((f) => f.integrity)].map((c) => c.status);
  // Failures are alarmed; too little data is a dashboard number (a quiet endpoint is not an incident).
  metrics.metric('IntegrityFailures', statuses.filter((s) => s === 'fail').length);
  metrics.metric('InsufficientData', statuses.includes('insufficient-data') ? 1 : 0);
  for (const feature of report.features) metrics.metric('FeatureScore', feature.score, { Feature: feature.name });
  const quality = report.quality;
  if (quality) {
    metrics.metric('LabelledRows', quality.labelled);
    for (const [name, value] of Object.entries(quality.metrics)) if (name !== 'n') metrics.metric('QualityMetric', value as number, { Metric: name });
    if (quality.degradation !== undefined) metrics.metric('QualityDegradation', quality.degradation);
  }
}

/** The optional quality reference next to the baseline; present but unreadable is an error. */
async function loadQualityBaseline(spec: DriftCheckSpec, store: ObjectStore): Promise<QualityBaseline | undefined> {
  const key = registryLayout.qualityBaseline(spec.model, spec.modelVersion);
  const text = await store.readText(key);
  if (text === undefined) return undefined;
  try {
    const json = JSON.parse(text) as QualityBaseline;
    if (typeof json?.metrics !== 'object' || Object.values(json.metrics).some((v) => typeof v !== 'number')) throw new Error('expected { "metrics": { name: number } }');
    return json;
  } catch (err) {
    throw new DriftCheckError(`quality baseline ${key} is corrupt: ${(err as Error).message}`);
  }
}

/** A window already reported: make sure its event went out, and go no further. */
async function finishedBefore(spec: DriftCheckSpec, window: DriftWindow, deps: DriftDeps): Promise<CheckOutcome> {
  const keys = reportKeys(spec.model, window);
  const report = JSON.parse((await deps.store.readText(keys.json)) ?? '{}') as StoredReport;
  await raiseEvents(report, keys, deps);
  return { status: 'already-done', reportKey: keys.json, drifted: Boolean(report.drifted) };
}

/** The window's events: `DriftDetected` when it drifted, `DataIntegrityFailed` when an integrity check failed. */
async function raiseEvents(report: StoredReport, keys: ReturnType<typeof reportKeys>, deps: DriftDeps): Promise<void> {
  // Reports written before the integrity checks existed have no integrity section.
  const integrity = report.integrity ?? { status: 'ok', failed: [], checks: [] };
  if (report.drifted) {
    const detail: DriftDetectedDetail = {
      model: report.model,
      environment: report.environment,
      windowStart: report.windowStart,
      windowEnd: report.windowEnd,
      driftShare: report.driftShare,
      driftedFeatures: report.features.filter((f) => f.drifted).map((f) => f.name),
      reportKey: keys.json,
      integrityStatus: integrity.status,
      integrityFailures: integrity.failed,
    };
    await publishOnce(keys.eventClaim, detail, deps, () => deps.events.publishDriftDetected(detail));
  }
  const publishIntegrity = deps.events.publishIntegrityFailed?.bind(deps.events);
  if (integrity.status === 'fail' && publishIntegrity) {
    const failedChecks = [...integrity.checks.filter((c) => c.status === 'fail').map((c) => `${c.check}: ${c.reason}`)];
    const firstFeature = (report.features ?? []).flatMap((f) => (f.integrity ?? []).filter((c) => c.status === 'fail').map((c) => `${c.check}:${f.name}: ${c.reason}`))[0];
    const detail: DataIntegrityFailedDetail = {
      model: report.model,
      environment: report.environment,
      windowStart: report.windowStart,
      windowEnd: report.windowEnd,
      failed: integrity.failed,
      reasons: firstFeature ? [...failedChecks, firstFeature] : failedChecks,
      reportKey: keys.json,
    };
    await publishOnce(keys.integrityClaim, detail, deps, () => publishIntegrity(detail));
  }
}

/** The claim object makes an event at-most-once: only the run that creates it publishes. */
async function publishOnce(claim: string, detail: object, deps: DriftDeps, publish: () => Promise<void>): Promise<void> {
  if (!(await deps.store.putIfAbsent(claim, JSON.stringify(detail), 'application/json'))) return;
  try {
    await publish();
  } catch (err) {
    // Release the claim so a retry of this invocation can publish.
    await deps.store.delete(claim);
    throw err;
  }
}
