import { DatasetProfile, type DatasetState } from '../profile/profile';
import type { LabelledPairs } from '../quality';
import { type CheckOutcome, collectQuality, type DriftCheckSpec, type DriftDeps, loadBaseline, newWindowProfile, profileObject, publish, type QualityInput, reportKeys } from './job';
import type { Shard } from './ports';
import { windowEndingAt } from './window';

/** Fan-out step one (many in parallel): profiles one shard's capture objects and stores the profile's state. */
export async function profileShard(spec: DriftCheckSpec, windowEnd: string, shard: Shard, deps: DriftDeps): Promise<{ shardKey: string }> {
  const window = windowEndingAt(windowEnd, spec.windowHours);
  const { baseline } = await loadBaseline(spec, deps.store);
  const profile = newWindowProfile(baseline);
  for (const key of shard.keys) await profileObject(deps.store, key, baseline, profile);
  const quality = await collectQuality(spec, window, shard.keys, deps.store);
  const shardKey = reportKeys(spec.model, window).shard(shard.index);
  const stored: StoredShard = { captureObjects: shard.keys.length, state: profile.toState(), quality };
  await deps.store.put(shardKey, JSON.stringify(stored), 'application/json');
  return { shardKey };
}

/** Fan-out step two: merges the shard profiles and publishes the window exactly as a one-pass check would. */
export async function mergeShards(spec: DriftCheckSpec, windowEnd: string, shardCount: number, deps: DriftDeps): Promise<CheckOutcome> {
  const window = windowEndingAt(windowEnd, spec.windowHours);
  const keys = reportKeys(spec.model, window);
  const { baseline, baselineKey } = await loadBaseline(spec, deps.store);
  const merged = newWindowProfile(baseline);
  let captureObjects = 0;
  let quality: { pairs: LabelledPairs; invalidLabels: number } | undefined;
  for (let i = 0; i < shardCount; i++) {
    const text = await deps.store.readText(keys.shard(i));
    if (text === undefined) throw new Error(`shard profile ${keys.shard(i)} is missing: the fan-out did not finish`);
    const shard = JSON.parse(text) as StoredShard;
    merged.merge(DatasetProfile.fromState(shard.state));
    captureObjects += shard.captureObjects;
    if (shard.quality) {
      quality ??= { pairs: { labels: [], predictions: [] }, invalidLabels: shard.quality.invalidLabels };
      quality.pairs.labels.push(...shard.quality.pairs.labels);
      quality.pairs.predictions.push(...shard.quality.pairs.predictions);
    }
  }
  return publish(spec, window, baseline, baselineKey, merged, captureObjects, deps, quality);
}

/** What a shard leaves for the merge. Every shard reads all of the window's labels, so their invalid count is the same. */
interface StoredShard {
  readonly captureObjects: number;
  readonly state: DatasetState;
  readonly quality?: QualityInput;
}
