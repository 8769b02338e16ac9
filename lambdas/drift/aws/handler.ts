import type { Logger } from '@aws-lambda-powertools/logger';
import { type CheckOutcome, type DriftCheckSpec, type DriftDeps, mergeShards, profileShard, runDriftCheck, type Shard } from '../../../core/drift-job';

/** What invokes the function: the schedule (a check), or the fan-out state machine (a shard, then the merge). */
export type DriftEvent =
  | { readonly mode?: 'check'; readonly scheduledTime?: string }
  | { readonly mode: 'profile-shard'; readonly windowEnd: string; readonly shard: Shard }
  | { readonly mode: 'merge'; readonly windowEnd: string; readonly shardCount: number };

export type DriftResult = CheckOutcome | { readonly shardKey: string };

/**
 * The drift-check function: one bundle for all three modes. A failure is logged, counted in the
 * `DriftCheckFailed` metric (alarmed) and rethrown, so the asynchronous invocation is retried and then
 * dead-lettered.
 */
export function createDriftHandler(spec: DriftCheckSpec, deps: DriftDeps, logger: Logger): (event: DriftEvent) => Promise<DriftResult> {
  return async (event) => {
    logger.appendKeys({ model: spec.model, mode: event.mode ?? 'check' });
    try {
      const result = await dispatch(event);
      logger.info('drift check step finished', { result });
      return result;
    } catch (err) {
      logger.error('drift check failed', err as Error);
      deps.metrics.metric('DriftCheckFailed', 1);
      await deps.metrics.flush();
      throw err;
    }
  };

  function dispatch(event: DriftEvent): Promise<DriftResult> {
    switch (event.mode) {
      case 'profile-shard':
        return profileShard(spec, event.windowEnd, event.shard, deps);
      case 'merge':
        return mergeShards(spec, event.windowEnd, event.shardCount, deps);
      default:
        return runDriftCheck(spec, event.scheduledTime ?? new Date().toISOString(), deps);
    }
  }
}
