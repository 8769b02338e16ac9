import { DatasetProfile, type DatasetState } from '../profile';
import { type CheckOutcome, type DriftCheckSpec, type DriftDeps, loadBaseline, newWindowProfile, profileObject, publish, reportKeys } from './job';
import type { Shard } from './ports';
import { windowEndingAt } from './window';

/** Fan-out step one (many in parallel): profiles one shard's capture objects and stores the profile's state. */
export async function profileShard(spec: DriftCheckSpec, windowEnd: string, shard: Shard, deps: DriftDeps): Promise<{ shardKey: string }> {
  const window = windowEndingAt(windowEnd, spec.windowHours);
  const { baseline } = await loadBaseline(spec, deps.store);
  const profile = newWindowProfile(baseline);
  for (const key of shard.keys) await profileObject(deps.store, key, baseline, profile);
  const shardKey = reportKeys(spec.model, window).shard(shard.index);
  await deps.store.put(shardKey, JSON.stringify({ captureObjects: shard.keys.length, state: profile.toState() }), 'application/json');
  return { shardKey };
}

/** Fan-out step two: merges the shard profiles and publishes the window exactly as a one-pass check would. */
export async function mergeShards(spec: DriftCheckSpec, windowEnd: string, shardCount: number, deps: DriftDeps): Promise<CheckOutcome> {
  const window = windowEndingAt(windowEnd, spec.windowHours);
  const keys = reportKeys(spec.model, window);
  const { baseline, baselineKey } = await loadBaseline(spec, deps.store);
  const merged = newWindowProfile(baseline);
  let captureObjects = 0;
  for (let i = 0; i < shardCount; i++) {
    const text = await deps.store.readText(keys.shard(i));
    if (text === undefined) throw new Error(`shard profile ${keys.shard(i)} is missing: the fan-out did not finish`);
    const shard = JSON.parse(text) as { captureObjects: number; state: DatasetState };
    merged.merge(DatasetProfile.fromState(shard.state));
    captureObjects += shard.captureObjects;
  }
  return publish(spec, window, baseline, baselineKey, merged, captureObjects, deps);
}
