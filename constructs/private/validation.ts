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
