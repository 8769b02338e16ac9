/** The environment variables the GCP baseline function reads (set by the `TrainingBaselineFunction` construct). */
export const GCP_BASELINE_ENV = {
  /** The registry's artifacts bucket. */
  registryBucket: 'REGISTRY_BUCKET',
} as const;

/** The function's settings from its environment; a missing bucket is an error naming the variable. */
export function readGcpBaselineConfig(env: NodeJS.ProcessEnv): { registryBucket: string } {
  const registryBucket = env[GCP_BASELINE_ENV.registryBucket];
  if (!registryBucket) throw new Error(`${GCP_BASELINE_ENV.registryBucket}: expected the registry's artifacts bucket name`);
  return { registryBucket };
}
