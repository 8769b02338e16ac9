import { functionBundleDir as bundleDir } from '../../private/function-bundles';

import type { FunctionBundleName } from '../../private/function-bundles';

/**
 * The platform's Cloud Functions: `inference` serves predictions, `drift` runs the scheduled drift check, `streaming`
 * scores Pub/Sub messages, `training-baseline` makes a training run's baseline.json.
 */
export type FunctionBundle = 'inference' | 'drift' | 'streaming' | 'training-baseline';

/** The GCP function bundles: the shared bundle that holds each, and the export the Functions Framework calls. */
export const FUNCTION_BUNDLES: Record<FunctionBundle, { bundle: FunctionBundleName; entryPoint: string }> = {
  inference: { bundle: 'gcp-inference', entryPoint: 'predict' },
  drift: { bundle: 'gcp-drift', entryPoint: 'drift' },
  streaming: { bundle: 'gcp-streaming', entryPoint: 'score' },
  'training-baseline': { bundle: 'gcp-training-baseline', entryPoint: 'baseline' },
};

/** The directory holding the bundled function (`index.js`, its source map and a `package.json`). */
export function functionBundleDir(bundle: FunctionBundle): string {
  return bundleDir(FUNCTION_BUNDLES[bundle].bundle);
}
