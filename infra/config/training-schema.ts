// A model's `training` section: what its training pipeline (docs/training.md) reads, trains, compares and
// registers. Cloud-free except `aws`; imported by schema.ts, so it imports nothing from the config modules.
import { z } from 'zod';
import { ECR_IMAGE_URI } from '../../constructs/private/image-uri';
import { SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT } from '../../constructs/private/validation';

/** The model-quality metrics (core/quality, `quality.json`) by task. */
export const QUALITY_METRICS = {
  classification: ['accuracy', 'precision', 'recall', 'f1', 'rocAuc'],
  regression: ['mae', 'rmse', 'r2'],
} as const;

/** A quality metric's name. */
export type QualityMetric = (typeof QUALITY_METRICS)[keyof typeof QUALITY_METRICS][number];

/** Metrics where a lower value is better; every other quality metric is better higher. */
export const LOWER_IS_BETTER: readonly QualityMetric[] = ['mae', 'rmse'];

/** Whether a higher value of `metric` is better. */
export function higherIsBetter(metric: QualityMetric): boolean {
  return !LOWER_IS_BETTER.includes(metric);
}

/**
 * A schedule in standard five-field cron (`minute hour day-of-month month day-of-week`, UTC): the form Cloud
 * Scheduler takes, translated to EventBridge's six-field `cron(...)` on AWS ({@link toEventBridgeCron}).
 */
const CRON_FIELD = /^[0-9A-Za-z*/,-]+$/;

/** Problems with a five-field cron expression, as messages. */
export function cronProblems(expression: string): string[] {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
    return [`expected five cron fields (minute hour day-of-month month day-of-week, UTC) such as "0 3 * * 1", got "${expression}"`];
  }
  // EventBridge: "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you
  // specify a value or a * in one of the fields, you must use a ? in the other." (Scheduler, "Cron expressions")
  if (fields[2] !== '*' && fields[4] !== '*') return ['expected day-of-month or day-of-week to be *: EventBridge cannot restrict both'];
  return [];
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * `0 3 * * 1` as EventBridge's `cron(0 3 ? * MON *)`: day-of-week numbers (0 or 7 = Sunday) become names, since
 * EventBridge numbers days 1-7 from Sunday, and `?` replaces the unrestricted one of day-of-month and day-of-week.
 */
export function toEventBridgeCron(expression: string): string {
  const [minute, hour, dom, month, dow] = expression.trim().split(/\s+/);
  const days = dow === '*' ? '?' : dow.replace(/\d+/g, (n) => DAY_NAMES[Number(n) % 7] ?? n);
  return `cron(${minute} ${hour} ${dom === '*' && dow !== '*' ? '?' : dom} ${month} ${days} *)`;
}

const scaling = z.enum(['auto', 'linear', 'logarithmic', 'reverse-logarithmic']).default('auto');
const numericRange = (kind: 'continuous' | 'integer', value: z.ZodNumber) =>
  z
    .strictObject({
      type: z.literal(kind),
      min: value,
      max: value,
      /** How the tuner searches the range (SageMaker's ScalingType); logarithmic needs a positive minimum. */
      scaling,
    })
    .superRefine((checked, ctx) => {
      const range = checked as { min?: unknown; max?: unknown; scaling?: string } | undefined;
      if (typeof range?.min === 'number' && typeof range.max === 'number' && range.min >= range.max) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: `expected more than min (${range.min})` });
      }
      if (range?.scaling?.includes('logarithmic') && typeof range.min === 'number' && range.min <= 0) {
        ctx.addIssue({ code: 'custom', path: ['min'], message: 'expected a positive minimum with logarithmic scaling' });
      }
    });

/** One tuned hyper-parameter: a continuous or integer range, or categorical values. */
const parameterRangeSchema = z.discriminatedUnion('type', [
  numericRange('continuous', z.number()),
  numericRange('integer', z.number().int()),
  z.strictObject({ type: z.literal('categorical'), values: z.array(z.string().min(1)).min(1).max(30) }),
]);

const HYPERPARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const hyperparameterName = z.string().regex(HYPERPARAMETER_NAME, 'expected a hyper-parameter name (letters, digits, underscores)');

const tuningSchema = z
  .strictObject({
    /** The ranges searched, by hyper-parameter name. */
    parameters: z.record(hyperparameterName, parameterRangeSchema).refine((p) => Object.keys(p ?? {}).length > 0, 'expected at least one parameter range'),
    /** Most training jobs of one tuning run (SageMaker's MaxNumberOfTrainingJobs, at least 1). */
    maxJobs: z.number().int().min(1).max(500).default(10),
    /** Most jobs at a time (MaxParallelTrainingJobs, at least 1, at most maxJobs). */
    maxParallelJobs: z.number().int().min(1).max(100).default(2),
    /** Stop trials that are unlikely to beat the best so far (TrainingJobEarlyStoppingType Auto). */
    earlyStopping: z.boolean().default(true),
    /** How the ranges are searched. */
    strategy: z.enum(['bayesian', 'random']).default('bayesian'),
  })
  .superRefine((tuning, ctx) => {
    if (typeof tuning?.maxJobs === 'number' && typeof tuning.maxParallelJobs === 'number' && tuning.maxParallelJobs > tuning.maxJobs) {
      ctx.addIssue({ code: 'custom', path: ['maxParallelJobs'], message: `expected at most maxJobs (${tuning.maxJobs})` });
    }
  });

const TRAINING_AWS_DEFAULTS = { instanceType: 'ml.m5.xlarge', volumeSizeGb: 30, maxRuntimeMinutes: 60 };
const trainingAwsSchema = z
  .strictObject({
    /** Instance type of the processing, training and tuning jobs. */
    instanceType: z.string().regex(SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT).default(TRAINING_AWS_DEFAULTS.instanceType),
    /** Storage of each job, KMS-encrypted with the registry key. */
    volumeSizeGb: z.number().int().min(1).max(16_384).default(TRAINING_AWS_DEFAULTS.volumeSizeGb),
    /** A job running longer is stopped (StoppingCondition.MaxRuntimeInSeconds). */
    maxRuntimeMinutes: z.number().int().min(1).max(7 * 24 * 60).default(TRAINING_AWS_DEFAULTS.maxRuntimeMinutes),
    /**
     * The ECR image the processing, training and tuning jobs run (`python3 -m training.*`, and `train` for training
     * jobs); when omitted, ModelStack's training image (containers/training), built by `cdk deploy` as an asset.
     */
    image: z.string().regex(ECR_IMAGE_URI, 'expected an ECR image URI such as 111111111111.dkr.ecr.eu-west-1.amazonaws.com/trainer:1 (SageMaker jobs run images from ECR)').optional(),
  })
  .default(TRAINING_AWS_DEFAULTS);

/**
 * An Artifact Registry Docker image (`<location>-docker.pkg.dev/<project>/<repository>/<image>` with a tag or digest):
 * Vertex AI custom training runs images from Artifact Registry (Container Registry is shut down).
 */
export const ARTIFACT_REGISTRY_IMAGE_URI = /^[a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._/-]*(:[\w.-]+|@sha256:[0-9a-f]{64})$/;

const TRAINING_GCP_DEFAULTS = { machineType: 'n1-standard-4', bootDiskGb: 100, maxRuntimeMinutes: 60 };
const trainingGcpSchema = z
  .strictObject({
    /** Compute Engine machine type of the Vertex AI custom jobs and tuning trials. */
    machineType: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, 'expected a Compute Engine machine type such as n1-standard-4').default(TRAINING_GCP_DEFAULTS.machineType),
    /** Boot disk of each job (pd-ssd), in GB. */
    bootDiskGb: z.number().int().min(100).max(64_000).default(TRAINING_GCP_DEFAULTS.bootDiskGb),
    /** A job running longer is stopped (CustomJobSpec.scheduling.timeout). */
    maxRuntimeMinutes: z.number().int().min(1).max(7 * 24 * 60).default(TRAINING_GCP_DEFAULTS.maxRuntimeMinutes),
    /**
     * The Artifact Registry image the custom jobs run (`python3 -m training.*`).
     * @default - ModelStack's training image (containers/training), which the workflow's first run builds with Cloud Build into the environment's model image repository: docs/training.md
     */
    image: z.string().regex(ARTIFACT_REGISTRY_IMAGE_URI, 'expected an Artifact Registry image URI such as europe-west1-docker.pkg.dev/my-project/training/trainer:1 (Vertex AI custom jobs run images from Artifact Registry)').optional(),
  })
  .default(TRAINING_GCP_DEFAULTS);

/** A model's training pipeline. */
export const trainingSchema = z
  .strictObject({
    /** The label column of the training data. */
    target: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected a column name (letters, digits, underscores)'),
    /** The training data: objects under a prefix of each environment's registry bucket (S3 on AWS, Cloud Storage on Google Cloud). */
    data: z
      .strictObject({
        /**
         * Object prefix in the registry bucket, ending with `/`.
         * @default - `training-data/<model>/`
         */
        prefix: z.string().regex(/^([A-Za-z0-9!_.*'()-]+\/)+$/, 'expected an object prefix such as training-data/churn/ (segments ending with /)').optional(),
        /** CSV with a header, or JSON Lines (one object per line). */
        format: z.enum(['csv', 'jsonl']).default('csv'),
      })
      .default({ format: 'csv' }),
    /** The held-out share the candidate and the current version are evaluated on, and the split's seed. */
    holdout: z
      .strictObject({
        share: z.number().gt(0).max(0.5).default(0.25),
        seed: z.number().int().min(0).max(2 ** 31 - 1).default(7),
      })
      .default({ share: 0.25, seed: 7 }),
    /**
     * The metric that decides: the candidate must be at least as good as the current approved version and reach
     * `floor`; tuning optimises it. One of the task's quality metrics.
     */
    objective: z.strictObject({
      metric: z.enum([...QUALITY_METRICS.classification, ...QUALITY_METRICS.regression]),
      /**
       * The least acceptable value (the largest for mae and rmse, where lower is better).
       * @default - no floor: only the comparison with the current version
       */
      floor: z.number().optional(),
    }),
    /**
     * Fixed hyper-parameters of the training code.
     * @default - the training code's defaults
     */
    hyperparameters: z.record(hyperparameterName, z.union([z.string(), z.number(), z.boolean()])).optional(),
    /**
     * Hyper-parameter tuning instead of one training job.
     * @default - no tuning
     */
    tuning: tuningSchema.optional(),
    /**
     * When the pipeline runs: five-field cron in UTC, such as `0 3 * * 1` (Mondays 03:00).
     * @default - no schedule
     */
    schedule: z
      .string()
      .superRefine((expression, ctx) => {
        for (const message of cronProblems(expression)) ctx.addIssue({ code: 'custom', message });
      })
      .optional(),
    /** Start the pipeline when the drift check reports `DriftDetected` for the model. */
    retrainOnDrift: z.boolean().default(true),
    /** AWS compute of the pipeline's jobs. */
    aws: trainingAwsSchema,
    /** Google Cloud compute of the pipeline's Vertex AI jobs. */
    gcp: trainingGcpSchema,
  })
  .superRefine((training, ctx) => {
    const tuned = Object.keys(training?.tuning?.parameters ?? {});
    const fixed = Object.keys(training?.hyperparameters ?? {});
    for (const name of tuned.filter((n) => fixed.includes(n))) {
      ctx.addIssue({ code: 'custom', path: ['hyperparameters', name], message: `"${name}" is also tuned: expected it in tuning.parameters or hyperparameters, not both` });
    }
  });

/** A model's validated training section. */
export type TrainingConfig = z.output<typeof trainingSchema>;

/** Problems of a model's training section that depend on the model (its task and features), as `[path, message]`. */
export function trainingModelProblems(model: { task?: unknown; inputSchema?: { features?: readonly { name?: unknown }[] }; training?: { target?: unknown; objective?: { metric?: unknown } } }): [PropertyKey[], string][] {
  const training = model?.training;
  if (!training) return [];
  const problems: [PropertyKey[], string][] = [];
  const metrics = QUALITY_METRICS[model.task as keyof typeof QUALITY_METRICS] as readonly string[] | undefined;
  const metric = training.objective?.metric;
  if (metrics && typeof metric === 'string' && !metrics.includes(metric)) {
    problems.push([['training', 'objective', 'metric'], `expected a ${String(model.task)} metric: ${metrics.join(', ')}`]);
  }
  const features = Array.isArray(model.inputSchema?.features) ? model.inputSchema.features.map((f) => f?.name) : [];
  if (typeof training.target === 'string' && features.includes(training.target)) {
    problems.push([['training', 'target'], `expected a column that is not an input feature: "${training.target}" is one`]);
  }
  return problems;
}
