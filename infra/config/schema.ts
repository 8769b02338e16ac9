import { z } from 'zod';
import { SAFE_RESOURCE_NAME, SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT, SERVERLESS_MEMORY_SIZES_MB } from '../../constructs/private/validation';
import { deploymentProblems } from '../../constructs/aws/deployment-rules';
import { asyncServingSchema, awsEnvironmentSchema, awsModelSchema, awsPlatformSchema } from './aws-schema';
import { batchSchema, streamingSchema } from './batch-streaming-schema';
import { addGcpBucketNameIssues } from './gcp-names';
import { builtImageProblems, imageBuildSchema } from './image-rules';
import { cloudRunServingProblems } from './cloud-run-rules';
import { gcpEnvironmentSchema, gcpModelSchema } from './gcp-schema';
import { ECR_IMAGE_URI } from '../../constructs/private/image-uri';
import { DRIFT_DEFAULTS, DRIFT_LIMITS } from '../../core/drift/defaults';
import { trainingModelProblems, trainingSchema } from './training-schema';

/**
 * Cross-field rules run even when other fields already failed, so one error lists every problem. Their
 * input may therefore be partly invalid, and they read it defensively.
 */
const ALWAYS = { when: () => true } as const;

/** An inference image in ECR, by tag or digest. */
export { ECR_IMAGE_URI } from '../../constructs/private/image-uri';

/** A model version label: the folder under `models/<model>/` in the registry. */
export const MODEL_VERSION = /^[A-Za-z0-9._-]{1,64}$/;

const SAFE_NAME_HINT = 'lowercase letters, digits and single hyphens, starting with a letter';

function safeName(maxLength: number) {
  return z
    .string()
    .max(maxLength, `expected at most ${maxLength} characters`)
    .regex(SAFE_RESOURCE_NAME, `expected ${SAFE_NAME_HINT}`);
}

/** Longest names allowed, chosen so `<platform>-<env>-<model>` fits SageMaker's 63-character limit. */
export const NAME_LIMITS = { platform: 16, environment: 10, model: 24 } as const;

export const platformNameSchema = safeName(NAME_LIMITS.platform);
export const environmentNameSchema = safeName(NAME_LIMITS.environment);
export const modelNameSchema = safeName(NAME_LIMITS.model);

const vpcSchema = z.strictObject({
  subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/, 'expected a subnet id (subnet-...)')).min(1),
  securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8}([0-9a-f]{9})?$/, 'expected a security group id (sg-...)')).min(1),
});

const environmentSchema = z.strictObject({
  /**
   * Where this environment deploys on AWS.
   * @default - none: the environment is not deployed on AWS (at least one of `aws` and `gcp` is required)
   */
  aws: awsEnvironmentSchema.optional(),
  /**
   * Where this environment deploys on Google Cloud.
   * @default - none: the environment is not deployed on Google Cloud (at least one of `aws` and `gcp` is required)
   */
  gcp: gcpEnvironmentSchema.optional(),
  /** What happens to data (buckets, keys) when a stack is deleted. */
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  /**
   * Where alarms are sent on both clouds: the AWS alarm topic's email subscriptions, one Google Cloud email
   * notification channel per address.
   */
  alarmEmails: z
    .array(z.email('expected an email address'))
    .superRefine((emails, ctx) => {
      if (!Array.isArray(emails)) return;
      emails.forEach((email, i) => {
        if (emails.indexOf(email) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate address "${email}"` });
      });
    }, ALWAYS)
    .default([]),
  /** A manual approval is required before deploying to this environment. */
  approvalRequired: z.boolean().default(false),
  /** Days before non-current object versions in the registry are deleted. */
  noncurrentVersionRetentionDays: z.number().int().min(1).max(3650).default(90),
  /** Optional VPC for real-time SageMaker models. */
  vpc: vpcSchema.optional(),
});

const realtimeServingSchema = z.strictObject({
  kind: z.literal('realtime'),
  instanceType: z.string().regex(SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT),
  autoscaling: z
    .strictObject({
      minInstances: z.number().int().min(1).max(100).default(1),
      maxInstances: z.number().int().min(1).max(100).default(2),
      /** Target for SageMakerVariantInvocationsPerInstance (per minute). */
      targetInvocationsPerInstance: z.number().int().min(1).default(100),
    })
    .refine((a) => !(a?.minInstances > a?.maxInstances), { path: ['minInstances'], message: 'expected at most maxInstances', ...ALWAYS })
    .default({ minInstances: 1, maxInstances: 2, targetInvocationsPerInstance: 100 }),
});

const serverlessServingSchema = z.strictObject({
  kind: z.literal('serverless'),
  memorySizeMb: z
    .number()
    .int()
    .refine((mb) => SERVERLESS_MEMORY_SIZES_MB.includes(mb), `expected ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}`),
  maxConcurrency: z.number().int().min(1).max(200).default(5),
});

const driftSchema = z
  .strictObject({
    /** Runs the check every this many hours, over the hours that just ended (SageMaker captures by the hour). */
    windowHours: z.number().int().min(1).max(DRIFT_LIMITS.maxWindowHours).default(DRIFT_DEFAULTS.windowHours),
    /** Windows with more capture objects than this are profiled in parallel shards by a state machine. */
    maxObjectsPerInvocation: z.number().int().min(1).max(DRIFT_LIMITS.maxObjectsPerInvocation).default(DRIFT_DEFAULTS.maxObjectsPerInvocation),
    /** Share of drifted features from which the dataset counts as drifted. */
    driftShareThreshold: z.number().gt(0).max(1).default(DRIFT_DEFAULTS.driftShareThreshold),
    /** Relative drop of the main quality metric (accuracy for classifiers, RMSE for regressors) against the baseline that raises the alarm. */
    qualityDegradationThreshold: z.number().gt(0).max(1).default(DRIFT_DEFAULTS.qualityDegradationThreshold),
    /**
     * Data-integrity thresholds; each one left out keeps its default (`INTEGRITY_DEFAULTS` in core).
     * @default - every default
     */
    integrity: z
      .strictObject({
        /** Fewest rows a window (and values a feature) needs before drift is judged; fewer is "insufficient data". */
        minRows: z.number().int().min(1).optional(),
        /** Rise of a feature's missing rate over the baseline's that fails (0.05 = 5 points), when significant. */
        missingRateIncrease: z.number().gt(0).lt(1).optional(),
        /** Rise of a numeric feature's share of non-numeric values that fails, when significant. */
        wrongTypeIncrease: z.number().gt(0).lt(1).optional(),
        /** Rise of a categorical feature's share of unseen categories that fails, when significant. */
        newCategoryIncrease: z.number().gt(0).lt(1).optional(),
      })
      .optional(),
  })
  .default({ ...DRIFT_DEFAULTS });

const featureSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected an identifier (letters, digits, underscores)'),
  type: z.enum(['numeric', 'categorical']),
});

const modelSchema = z.strictObject({
  name: modelNameSchema,
  /** What the model predicts; used for report wording and default metrics. */
  task: z.enum(['classification', 'regression']),
  framework: z.string().min(1),
  /**
   * The serving image: a prebuilt image's ECR URI (by tag or digest), or `{ build: "<folder>" }`, a folder relative
   * to the repository root holding a Dockerfile (such as `containers/model-server`), which the platform builds,
   * pushes and serves by digest on both clouds (see docs/images.md).
   */
  image: z.union(
    [
      z.string().regex(ECR_IMAGE_URI, 'expected an ECR image URI such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag'),
      imageBuildSchema,
    ],
    { error: 'expected an ECR image URI or { build: "<folder with a Dockerfile>" }' },
  ),
  /**
   * Pins the artifact version every environment serves: the model data is `models/<name>/<version>/model.tar.gz` in
   * the environment's registry. Leave it out to serve each environment's latest approved model package, resolved
   * before synth (`modelstack resolve-versions`); a model with neither gets its registry and monitoring but no
   * endpoint yet ("waiting for a first version").
   * @default - the latest approved package, when resolved
   */
  version: z.string().regex(MODEL_VERSION, 'expected a version label such as 1 or 2024-06-01').optional(),
  serving: z.discriminatedUnion('kind', [realtimeServingSchema, serverlessServingSchema, asyncServingSchema]),
  dataCapture: z
    .strictObject({ samplingPercentage: z.number().int().min(0).max(100) })
    .default({ samplingPercentage: 0 }),
  /** Scheduled drift and model-quality checks on the captured data (both clouds). */
  drift: driftSchema,
  /**
   * Scheduled batch inference on every cloud: a SageMaker batch transform over `batch/<model>/input/` in the AWS
   * registry, a Vertex AI batch prediction job on Google Cloud.
   * @default - no batch inference
   */
  batch: batchSchema.optional(),
  /**
   * Streaming inference on every cloud: a Kinesis stream on AWS, a Pub/Sub topic on Google Cloud, scored by the model.
   * @default - no streaming inference
   */
  streaming: streamingSchema.optional(),
  /** AWS settings of this model beyond serving. */
  aws: awsModelSchema,
  /** Google Cloud (Vertex AI) serving settings. */
  gcp: gcpModelSchema,
  inputSchema: z.strictObject({
    features: z
      .array(featureSchema)
      .min(1, 'expected at least one feature')
      .superRefine((features, ctx) => addDuplicateIssues(features, ctx, 'feature name'), ALWAYS),
  }),
  /**
   * The model's training pipeline: data, held-out evaluation, tuning, the registration gate, schedule and retraining
   * on drift (docs/training.md).
   * @default - no training pipeline: versions are published by hand
   */
  training: trainingSchema.optional(),
}).superRefine((model, ctx) => {
  for (const [path, message] of trainingModelProblems(model)) ctx.addIssue({ code: 'custom', path, message });
  const promotion = model?.aws?.promotion;
  if (promotion && model.serving) {
    const instanceCount = model.serving.kind === 'realtime' ? model.serving.autoscaling?.minInstances : model.serving.kind === 'async' ? 1 : undefined;
    const found = deploymentProblems({
      strategy: promotion.strategy,
      trafficPercent: promotion.trafficPercent,
      waitSeconds: promotion.waitMinutes * 60,
      timeoutSeconds: promotion.timeoutMinutes * 60,
      instanceCount,
    });
    for (const [field, message] of found) ctx.addIssue({ code: 'custom', path: ['aws', 'promotion', field], message });
  }
}, ALWAYS);

/**
 * Largest request a SageMaker serverless endpoint accepts: "The maximum request and response payload size for
 * serverless invocations is 4 MB" (SageMaker Developer Guide, "Invoke a serverless endpoint"), read as 4,000,000 bytes.
 */
export const SERVERLESS_MAX_PAYLOAD_BYTES = 4_000_000;

/**
 * Per-attempt timeout of the SageMaker call by default. The function tries twice and API Gateway cuts HTTP API
 * integrations at 30 s, so two 14 s attempts use the whole budget: a serverless endpoint's cold start (it may take
 * up to 3 minutes to download the model and answer /ping) still answers within 28 s when it can.
 */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 14_000;

/** The inference API in front of the endpoints (both clouds). */
const inferenceSchema = z
  .strictObject({
    /** At most 6 MiB (SageMaker real-time InvokeEndpoint); at most 4 MB when any model is served serverless. */
    maxBodyBytes: z.number().int().min(1024).max(6 * 1024 * 1024).default(1024 * 1024),
    maxInstancesPerRequest: z.number().int().min(1).max(10_000).default(100),
    throttleRateLimit: z.number().int().min(1).default(100),
    throttleBurstLimit: z.number().int().min(1).default(200),
    upstreamTimeoutMs: z.number().int().min(100).max(25_000).default(DEFAULT_UPSTREAM_TIMEOUT_MS),
  })
  .default({ maxBodyBytes: 1024 * 1024, maxInstancesPerRequest: 100, throttleRateLimit: 100, throttleBurstLimit: 200, upstreamTimeoutMs: DEFAULT_UPSTREAM_TIMEOUT_MS });

/**
 * The platform config: one typed document that drives both clouds. {@link parseConfig} validates with it and lists
 * every problem at once.
 *
 * Names end up inside S3/GCS bucket names, SageMaker and Vertex AI resource names, IAM role names and
 * GCP service-account ids, so they are restricted to the intersection of what all of those accept:
 * lowercase letters, digits and single hyphens, starting with a letter.
 */
export const platformConfigSchema = z.strictObject({
  platform: z.strictObject({ name: platformNameSchema }),
  inference: inferenceSchema,
  /** Platform-wide AWS settings (delivery, governance). */
  aws: awsPlatformSchema,
  environments: z
    .record(environmentNameSchema, environmentSchema)
    .refine((envs) => Object.keys(envs).length > 0, 'expected at least one environment')
    .superRefine((envs, ctx) => {
      for (const [name, env] of Object.entries(envs ?? {})) {
        if (typeof env === 'object' && env !== null && !env.aws && !env.gcp) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'expected aws, gcp or both: the clouds this environment deploys to' });
        }
        if (/^prod/.test(name) && env?.removalPolicy === 'destroy') {
          ctx.addIssue({ code: 'custom', path: [name, 'removalPolicy'], message: 'production data must be retained: expected "retain"' });
        }
      }
    }, ALWAYS),
  models: z
    .array(modelSchema)
    .min(1, 'expected at least one model')
    .superRefine((models, ctx) => addDuplicateIssues(models, ctx, 'model name'), ALWAYS),
}).superRefine((config, ctx) => {
  const served = servedServerless(config);
  const maxBodyBytes = config?.inference?.maxBodyBytes;
  if (served.length > 0 && typeof maxBodyBytes === 'number' && maxBodyBytes > SERVERLESS_MAX_PAYLOAD_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['inference', 'maxBodyBytes'],
      message: `expected at most ${SERVERLESS_MAX_PAYLOAD_BYTES} bytes: serverless endpoints accept at most 4 MB per request (served serverless: ${served.join(', ')})`,
    });
  }
  for (const { path, message } of builtImageProblems(config)) ctx.addIssue({ code: 'custom', path, message });
  addAwsBatchIssues(config, ctx);
  for (const { path, message } of cloudRunServingProblems(config)) ctx.addIssue({ code: 'custom', path, message });
}, ALWAYS).superRefine(addGcpBucketNameIssues, ALWAYS);

/** A model with `batch` needs `batch.aws` (the transform job's instances) when an environment deploys to AWS. */
function addAwsBatchIssues(config: { models?: unknown; environments?: unknown } | null | undefined, ctx: z.RefinementCtx): void {
  if (typeof config !== 'object' || config === null || !Array.isArray(config.models)) return;
  const onAws = Object.entries((config.environments ?? {}) as Record<string, { aws?: unknown } | undefined>).filter(([, env]) => env?.aws).map(([name]) => name);
  if (onAws.length === 0) return;
  (config.models as { batch?: { aws?: unknown } }[]).forEach((model, i) => {
    if (model?.batch && typeof model.batch === 'object' && model.batch.aws === undefined) {
      ctx.addIssue({ code: 'custom', path: ['models', i, 'batch', 'aws'], message: `missing: expected { instanceType, instanceCount? } for the SageMaker batch transform (deployed to AWS: ${onAws.join(', ')})` });
    }
  });
}

/** Models some environment serves serverless: `<model>` when its own serving is, `<model> in <env>` by override. */
function servedServerless(config: { models?: unknown; environments?: unknown } | null | undefined): string[] {
  if (typeof config !== 'object' || config === null) return [];
  const models = Array.isArray(config.models) ? (config.models as { name?: string; serving?: { kind?: string } }[]) : [];
  const environments = Object.entries((config.environments ?? {}) as Record<string, { aws?: { servingOverride?: unknown } } | undefined>);
  return models.flatMap((model) => {
    if (model?.serving?.kind === 'serverless') return [String(model.name)];
    return environments.filter(([, env]) => env?.aws?.servingOverride).map(([name]) => `${String(model?.name)} in ${name}`);
  });
}

function addDuplicateIssues(items: readonly { name: string }[], ctx: z.RefinementCtx, what: string): void {
  if (!Array.isArray(items)) return;
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (typeof item?.name !== 'string') return;
    if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate ${what} "${item.name}"` });
    seen.add(item.name);
  });
}

/** The validated config, with defaults filled in. */
export type PlatformConfig = z.output<typeof platformConfigSchema>;
/** What a user writes: optional fields may be left out. */
export type PlatformConfigInput = z.input<typeof platformConfigSchema>;
/** One validated environment: its AWS and Google Cloud targets, removal policy, alarm emails, approvals and VPC. */
export type EnvironmentConfig = PlatformConfig['environments'][string];
/** One validated model: task, framework, image, version, serving, data capture, drift, per-cloud settings and input schema. */
export type ModelConfig = PlatformConfig['models'][number];
/** How a model is served on AWS: a real-time, serverless or async SageMaker endpoint, chosen by `kind`. */
export type ServingConfig = ModelConfig['serving'];
/** The inference API's limits and throttling, shared by both clouds. */
export type InferenceConfig = PlatformConfig['inference'];
/** A model's drift and model-quality check settings, with defaults filled in. */
export type DriftConfig = ModelConfig['drift'];
/** One input feature of a model: its name and whether it is numeric or categorical. */
export type FeatureConfig = ModelConfig['inputSchema']['features'][number];
