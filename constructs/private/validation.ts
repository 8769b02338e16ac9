/** Thrown by a construct whose props are invalid; lists every problem, not just the first. */
export class PropsValidationError extends Error {
  constructor(
    readonly construct: string,
    readonly problems: readonly string[],
  ) {
    super(`${construct}: invalid props\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PropsValidationError';
  }
}

/** Collects problems, then throws them together. Usage: `const v = new Problems('X'); v.check(...); v.throwIfAny();` */
export class Problems {
  private readonly found: string[] = [];

  constructor(private readonly construct: string) {}

  /** Records `message` when `ok` is false. */
  check(ok: boolean, message: string): this {
    if (!ok) this.found.push(message);
    return this;
  }

  throwIfAny(): void {
    if (this.found.length > 0) throw new PropsValidationError(this.construct, this.found);
  }
}

/** Same rule as the platform config: safe inside bucket, endpoint, role and service-account names. */
export const SAFE_RESOURCE_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

/** Memory sizes a SageMaker serverless endpoint accepts, in MB. */
export const SERVERLESS_MEMORY_SIZES_MB: readonly number[] = [1024, 2048, 3072, 4096, 5120, 6144];

/** A SageMaker ML instance type, such as `ml.m5.large`. */
export const SAGEMAKER_INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;
export const SAGEMAKER_INSTANCE_TYPE_HINT = 'expected a SageMaker instance type such as ml.m5.large';

/** Cloud Run CPU counts (whole CPUs; https://cloud.google.com/run/docs/configuring/services/cpu). */
export const CLOUD_RUN_CPUS = [1, 2, 4, 6, 8] as const;

/**
 * Cloud Run's memory rules (https://cloud.google.com/run/docs/configuring/services/memory-limits and .../cpu): 512 MiB
 * to 32 GiB (second generation); more than 4, 8, 16 and 24 GiB need at least 2, 4, 6 and 8 CPUs; 4 CPUs need at least
 * 2 GiB, 6 and 8 CPUs at least 4 GiB. Undefined when `memoryMb` fits `cpu`.
 */
export function cloudRunMemoryProblem(cpu: number, memoryMb: number): string | undefined {
  const maxGib: Record<number, number> = { 1: 4, 2: 8, 4: 16, 6: 24, 8: 32 };
  const max = (maxGib[cpu] ?? 32) * 1024;
  if (memoryMb > max) return `expected at most ${max} MB with cpu ${cpu}: Cloud Run needs more CPUs for ${memoryMb} MB`;
  const min = cpu >= 6 ? 4096 : cpu >= 4 ? 2048 : 512;
  if (memoryMb < min) return `expected at least ${min} MB with cpu ${cpu} (Cloud Run's minimum memory for ${cpu} CPUs)`;
  return undefined;
}
