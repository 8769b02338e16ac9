// What the training pipelines' Baseline step does on both clouds (the SageMaker Lambda step in ./aws, the Cloud Run
// function the Google Cloud training workflow calls in ./gcp): check that its locations are the registry's work
// folders, and profile exactly the training features (label excluded) with the drift engine's profiler, the same code
// as `modelstack baseline`.
import { buildBaseline } from '../../core/drift/pipeline';

/** The step's arguments, as both clouds pass them (strings). */
export interface BaselineArguments {
  /** `<scheme>://<registry>/pipelines/<model>/<execution>/prepared/features[/<file>.csv]`: a CSV file, or a folder holding one. */
  readonly features?: string;
  /** Comma-separated categorical columns (the others are numeric). */
  readonly categorical?: string;
  /** Where baseline.json goes, `<scheme>://<registry>/pipelines/<model>/<execution>/baseline/baseline.json`. */
  readonly output?: string;
}

/** A bad argument: the caller's mistake (a 400 on Google Cloud), named with the value it got. */
export class BaselineArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaselineArgumentError';
  }
}

/** An object in the registry's work folders. */
export interface WorkLocation {
  readonly bucket: string;
  readonly key: string;
}

/**
 * The bucket and key of argument `name`: a `<scheme>://` URI under the registry's `pipelines/` (the only place the
 * step reads or writes), else a {@link BaselineArgumentError} naming the argument.
 */
export function workLocation(scheme: 's3' | 'gs', registryBucket: string, name: string, value: string | undefined): WorkLocation {
  const match = new RegExp(`^${scheme}://([^/]+)/(.+)$`).exec(value ?? '');
  if (!match) throw new BaselineArgumentError(`Baseline step: argument "${name}" must be an ${scheme}:// URI, got ${JSON.stringify(value)}`);
  const [, bucket, key] = match;
  if (bucket !== registryBucket || !key.startsWith('pipelines/') || key.split('/').includes('..')) {
    throw new BaselineArgumentError(`Baseline step: argument "${name}" must be under ${scheme}://${registryBucket}/pipelines/, got ${value}`);
  }
  return { bucket, key };
}

/** Both locations of a step, checked: `output` must name a .json object. */
export function baselineLocations(scheme: 's3' | 'gs', registryBucket: string, args: BaselineArguments): { features: WorkLocation; output: WorkLocation; prefix: string } {
  const features = workLocation(scheme, registryBucket, 'features', args.features);
  const output = workLocation(scheme, registryBucket, 'output', args.output);
  if (!output.key.endsWith('.json')) throw new BaselineArgumentError(`Baseline step: argument "output" must name a .json object, got ${args.output}`);
  // A .csv names the file itself; anything else is a folder whose first CSV file (by name) is read.
  const prefix = features.key.endsWith('.csv') ? features.key : `${features.key.replace(/\/?$/, '/')}`;
  return { features, output, prefix };
}

/** The first CSV file of a listing (by name), or a {@link BaselineArgumentError} naming the location. */
export function firstCsv(keys: readonly string[], features: string | undefined): string {
  const csv = keys.filter((k) => k.endsWith('.csv')).sort()[0];
  if (!csv) throw new BaselineArgumentError(`Baseline step: no CSV file under ${features}`);
  return csv;
}

/** baseline.json's content for the features CSV at `file`. */
export async function baselineJson(file: string, categorical: string | undefined): Promise<string> {
  const columns = (categorical ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  const { baseline } = await buildBaseline(file, { categorical: columns, format: 'csv' });
  return `${JSON.stringify(baseline)}\n`;
}
