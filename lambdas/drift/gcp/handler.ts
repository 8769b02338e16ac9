import type { ServerResponse } from 'node:http';
import {
  type CheckOutcome,
  type DriftCheckSpec,
  type DriftDeps,
  mergeShards,
  profileShard,
  reportKeys,
  runDriftCheck,
  type Shard,
  windowEndingAt,
} from '../../../core/drift-job';
import { errorFields, type GcpLogger } from '../../shared/gcp/log';
import { type FunctionRequest, requestBody } from '../../shared/gcp/request-body';

/**
 * What invokes the function, as the JSON body: Cloud Scheduler (a check; the window ends at the scheduled time in
 * the `X-CloudScheduler-ScheduleTime` header), or the fan-out workflow (a shard of the stored plan, then the merge).
 */
export type GcpDriftRequest =
  | { readonly mode?: 'check'; readonly scheduledTime?: string }
  | { readonly mode: 'profile-shard'; readonly windowEnd: string; readonly planKey: string; readonly shardIndex: number }
  | { readonly mode: 'merge'; readonly windowEnd: string; readonly shardCount: number };

export type GcpDriftResult = CheckOutcome | { readonly shardKey: string };

export interface GcpDriftDeps extends DriftDeps {
  /**
   * Brings the window's logged requests into the store before a check reads them (the BigQuery export).
   * @default - none: the inference function writes the captures itself (endpoints that cannot log)
   */
  readonly exportWindow?: (window: { start: Date; end: Date }) => Promise<number>;
  readonly logger: GcpLogger;
  readonly now?: () => Date;
}

class BadRequest extends Error {}

/**
 * The drift function: one bundle for all three modes, answering the result as JSON. A failed step answers 500
 * (Cloud Scheduler and the workflow retry it) and writes drift_check_failures 1.
 */
export function createGcpDriftHandler(spec: DriftCheckSpec, deps: GcpDriftDeps): (req: FunctionRequest, res: ServerResponse) => Promise<void> {
  const { logger } = deps;

  async function check(scheduledTime: string): Promise<CheckOutcome> {
    const window = windowEndingAt(scheduledTime, spec.windowHours);
    // A reported window is left alone: the core only makes sure its event went out.
    if (deps.exportWindow && !(await deps.store.exists(reportKeys(spec.model, window).json))) {
      const rows = await deps.exportWindow(window);
      logger.info('request logs exported', { windowEnd: window.end.toISOString(), rows });
    }
    return runDriftCheck(spec, scheduledTime, deps);
  }

  async function profile(windowEnd: string, planKey: string, shardIndex: number): Promise<{ shardKey: string }> {
    const text = await deps.store.readText(planKey);
    if (text === undefined) throw new Error(`shard plan ${planKey} is missing`);
    const shard = (JSON.parse(text) as Shard[]).find((s) => s.index === shardIndex);
    if (!shard) throw new BadRequest(`shardIndex ${shardIndex}: not in the plan ${planKey}`);
    return profileShard(spec, windowEnd, shard, deps);
  }

  function dispatch(request: GcpDriftRequest, scheduleHeader: string | undefined): Promise<GcpDriftResult> {
    switch (request.mode) {
      case 'profile-shard':
        return profile(request.windowEnd, request.planKey, request.shardIndex);
      case 'merge':
        return mergeShards(spec, request.windowEnd, request.shardCount, deps);
      case undefined:
      case 'check':
        return check(request.scheduledTime ?? scheduleHeader ?? (deps.now?.() ?? new Date()).toISOString());
      default:
        throw new BadRequest(`mode "${(request as { mode: unknown }).mode}": expected check, profile-shard or merge`);
    }
  }

  return async (req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let request: GcpDriftRequest;
    try {
      request = parseRequest(await requestBody(req, 64 * 1024));
    } catch (err) {
      logger.warn('bad request', errorFields(err));
      answer(400, { error: { code: 'BadRequest', message: (err as Error).message } });
      return;
    }
    const mode = request.mode ?? 'check';
    try {
      const result = await dispatch(request, header(req, 'x-cloudscheduler-scheduletime'));
      logger.info('drift check step finished', { mode, result });
      answer(200, result);
    } catch (err) {
      if (err instanceof BadRequest) {
        answer(400, { error: { code: 'BadRequest', message: err.message } });
        return;
      }
      logger.error('drift check failed', { mode, ...errorFields(err) });
      deps.metrics.metric('DriftCheckFailed', 1);
      try {
        await deps.metrics.flush();
      } catch (flushErr) {
        // The failure itself matters more than its metric: log, and answer with the original error.
        logger.error('drift failure metric not written', errorFields(flushErr));
      }
      answer(500, { error: { code: 'DriftCheckFailed', message: (err as Error).message } });
    }
  };
}

function header(req: FunctionRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseRequest(body: string | undefined): GcpDriftRequest {
  if (body === undefined || body.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new Error(`body: malformed JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('body: expected a JSON object');
  const r = json as Record<string, unknown>;
  const text = (name: string) => {
    if (typeof r[name] !== 'string' || Number.isNaN(Date.parse(r[name] as string))) throw new Error(`${name}: expected an ISO-8601 time`);
    return r[name] as string;
  };
  const count = (name: string, min: number) => {
    if (!Number.isInteger(r[name]) || (r[name] as number) < min) throw new Error(`${name}: expected an integer of at least ${min}`);
    return r[name] as number;
  };
  switch (r.mode) {
    case undefined:
    case 'check':
      return r.scheduledTime === undefined ? { mode: 'check' } : { mode: 'check', scheduledTime: text('scheduledTime') };
    case 'profile-shard':
      if (typeof r.planKey !== 'string' || !r.planKey.startsWith('reports/')) throw new Error('planKey: expected the key of a shard plan under reports/');
      return { mode: 'profile-shard', windowEnd: text('windowEnd'), planKey: r.planKey, shardIndex: count('shardIndex', 0) };
    case 'merge':
      return { mode: 'merge', windowEnd: text('windowEnd'), shardCount: count('shardCount', 1) };
    default:
      throw new Error(`mode "${String(r.mode)}": expected check, profile-shard or merge`);
  }
}
