import { z } from 'zod';
import { ALARM_THRESHOLD_DEFAULTS } from '../../constructs/aws/alarm-thresholds';
import { SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT, SERVERLESS_MEMORY_SIZES_MB } from '../../constructs/private/validation';

/**
 * AWS settings of the platform config. Every field beyond an environment's account and region is optional or
 * defaulted, so configs written before these settings existed stay valid.
 */

/** Alarm thresholds of one environment; see docs/operations.md for what each alarm watches. */
const alarmThresholdsSchema = z
  .strictObject({
    /** Endpoint ModelLatency p99 over 5 minutes, in milliseconds. */
    endpointLatencyP99Ms: z.number().int().min(1).default(ALARM_THRESHOLD_DEFAULTS.endpointLatencyP99Ms),
    /** Endpoint Invocation5XXErrors summed over 5 minutes. */
    endpoint5xxPer5Min: z.number().int().min(1).default(ALARM_THRESHOLD_DEFAULTS.endpoint5xxPer5Min),
    /** Lambda errors summed over 5 minutes. */
    functionErrorsPer5Min: z.number().int().min(1).default(ALARM_THRESHOLD_DEFAULTS.functionErrorsPer5Min),
    /** Lambda duration p99 over 5 minutes, in milliseconds. */
    functionDurationP99Ms: z.number().int().min(1).default(ALARM_THRESHOLD_DEFAULTS.functionDurationP99Ms),
    /** API 5xx answers summed over 5 minutes. */
    api5xxPer5Min: z.number().int().min(1).default(ALARM_THRESHOLD_DEFAULTS.api5xxPer5Min),
    /** API latency p99 over 5 minutes, in milliseconds. */
    apiLatencyP99Ms: z.number().int().min(1).default(ALARM_THRESHOLD_DEFAULTS.apiLatencyP99Ms),
    /** Share of drifted features (0..1) from which the drift alarm fires. */
    driftShare: z.number().gt(0).max(1).default(ALARM_THRESHOLD_DEFAULTS.driftShare),
    /** Messages waiting in a dead-letter queue. */
    dlqDepth: z.number().int().min(1).default(ALARM_THRESHOLD_DEFAULTS.dlqDepth),
  })
  .default(ALARM_THRESHOLD_DEFAULTS);

/** Serves every model of the environment on a serverless endpoint, whatever its own `serving` says. */
const servingOverrideSchema = z.strictObject({
  kind: z.literal('serverless'),
  memorySizeMb: z
    .number()
    .int()
    .refine((mb) => SERVERLESS_MEMORY_SIZES_MB.includes(mb), `expected ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}`)
    .default(2048),
  maxConcurrency: z.number().int().min(1).max(200).default(5),
});

/**
 * The environment's SageMaker managed MLflow tracking server, where the training pipelines log their runs. Created
 * only when a model of the environment has a `training` section; it bills per hour while running.
 */
const mlflowSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** The server's size (TrackingServerSize). */
    size: z.enum(['Small', 'Medium', 'Large']).default('Small'),
    /** When SageMaker may update the server, `Ddd:HH:MM` in UTC. */
    weeklyMaintenanceWindowStart: z
      .string()
      .regex(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$/, 'expected Ddd:HH:MM in UTC, such as Sun:02:00')
      .optional(),
  }),
], { error: 'expected false, or { size: Small | Medium | Large, weeklyMaintenanceWindowStart? }' });

/** AWS target of one environment. */
export const awsEnvironmentSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'expected 12 digits'),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1'),
  /**
   * Serve every model serverless in this environment (idles at zero cost; the inference function then captures the
   * sampled traffic for the drift check, as serverless endpoints cannot).
   * @default - each model's own `serving`
   */
  servingOverride: servingOverrideSchema.optional(),
  /**
   * `off`: no model gets streaming inference in this environment on AWS, whatever its own `streaming` says. A
   * Kinesis stream bills per hour even on demand and idle, so an environment meant to idle at zero cost turns it off.
   * @default - each model's own `streaming`
   */
  streamingOverride: z.literal('off', { error: 'expected "off"' }).optional(),
  /**
   * Accounts that may read this environment's approved model versions: its model package groups (describe, list)
   * and the artifacts under `models/` in its registry (bucket and key). Opt-in because S3, KMS and SageMaker check a
   * resource policy's principals when it is set: each account named here must exist before this environment deploys.
   * @default [] (shared with no one)
   */
  shareRegistryWith: z.array(z.string().regex(/^\d{12}$/, 'expected 12 digits')).default([]),
  alarms: alarmThresholdsSchema,
  /**
   * Experiment tracking of the environment's training pipelines: a SageMaker managed MLflow tracking server; `false`
   * for none (it bills per hour while running, whether or not a pipeline runs).
   * @default { size: 'Small' } where a model trains
   */
  mlflow: mlflowSchema.default({ size: 'Small' }),
});

/**
 * An asynchronous SageMaker endpoint: requests and responses in the registry bucket, success and error
 * notifications on SNS topics, scales to zero instances when its backlog is empty.
 */
export const asyncServingSchema = z.strictObject({
  kind: z.literal('async'),
  instanceType: z.string().regex(SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT),
  maxInstances: z.number().int().min(1).max(100).default(2),
  /** Requests one instance works on at a time. */
  maxConcurrentInvocationsPerInstance: z.number().int().min(1).max(1000).default(4),
  /** Target of ApproximateBacklogSizePerInstance that autoscaling keeps. */
  targetBacklogPerInstance: z.number().int().min(1).default(5),
});

const PROMOTION_DEFAULTS = { strategy: 'all-at-once' as const, trafficPercent: 10, waitMinutes: 10, timeoutMinutes: 120 };
/**
 * How a new version goes live on a real-time or async endpoint: SageMaker's blue/green deployment, which CloudFormation
 * runs when the endpoint's config changes. The rules that depend on the serving shape (instance count, total baking
 * time) are checked per model in schema.ts with `deploymentProblems`.
 */
const promotionSchema = z
  .strictObject({
    /** How traffic moves to the new version: a canary share then the rest, equal linear steps, or all at once. */
    strategy: z.enum(['canary', 'linear', 'all-at-once']).default(PROMOTION_DEFAULTS.strategy),
    /** Share of capacity the canary (1-50) or each linear step (10-50) gets, in percent. */
    trafficPercent: z.number().int().default(PROMOTION_DEFAULTS.trafficPercent),
    /** Baking time after each traffic step, watched by the rollback alarms (SageMaker allows 0 to 60 minutes). */
    waitMinutes: z.number().int().default(PROMOTION_DEFAULTS.waitMinutes),
    /** Longest a deployment may take before SageMaker rolls it back (10 minutes to 8 hours). */
    timeoutMinutes: z.number().int().default(PROMOTION_DEFAULTS.timeoutMinutes),
  })
  .default(PROMOTION_DEFAULTS);

const modelCardSchema = z
  .strictObject({
    description: z.string().max(1024).optional(),
    intendedUses: z.string().max(2048).optional(),
    riskRating: z.enum(['high', 'medium', 'low', 'unknown']).default('unknown'),
    /** Who answers for the model; defaults to the platform's `aws.tags.owner`. */
    owner: z.string().max(256).optional(),
  })
  .default({ riskRating: 'unknown' });

/** AWS settings of one model beyond serving; every field is optional or defaulted. */
export const awsModelSchema = z
  .strictObject({
    /** Blue/green promotion of approved model packages. */
    promotion: promotionSchema,
    /** SageMaker model card content beyond the model's name, task and framework. */
    modelCard: modelCardSchema,
  })
  .default({ promotion: PROMOTION_DEFAULTS, modelCard: { riskRating: 'unknown' } });

const featureGroupSchema = z.strictObject({
  /** Entity name; the feature group is `<platform>-<env>-<entity>`. */
  name: z.string().regex(/^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/, 'expected lowercase letters, digits and single hyphens').max(24, 'expected at most 24 characters'),
  recordIdentifier: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'expected a feature name'),
  eventTime: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'expected a feature name'),
  features: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'expected letters, digits and underscores, starting with a letter'),
        type: z.enum(['string', 'integral', 'fractional']),
      }),
    )
    .min(1, 'expected at least one feature'),
}).superRefine((group, ctx) => {
  const names = Array.isArray(group?.features) ? group.features.map((f) => f?.name) : [];
  for (const [field, value] of [['recordIdentifier', group?.recordIdentifier], ['eventTime', group?.eventTime]] as const) {
    if (typeof value === 'string' && Array.isArray(group.features) && !names.includes(value)) {
      ctx.addIssue({ code: 'custom', path: [field], message: `expected one of the features (${names.join(', ')})` });
    }
  }
}, { when: () => true });

const deliverySchema = z.strictObject({
  /** CodeConnections (CodeStar Connections) ARN of the repository host. */
  connectionArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]+$/, 'expected a CodeConnections connection ARN'),
  /** `owner/name` of the repository. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'expected owner/name'),
  branch: z.string().min(1).default('main'),
  /**
   * Account and region of the pipeline.
   * @default - the first environment's
   */
  account: z.string().regex(/^\d{12}$/, 'expected 12 digits').optional(),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1').optional(),
});

const tagsSchema = z.strictObject({
  owner: z.string().min(1).max(256),
  costCenter: z.string().min(1).max(256),
  dataClassification: z.enum(['public', 'internal', 'confidential', 'restricted']),
});

/** Platform-wide AWS settings; every field is optional or defaulted. */
export const awsPlatformSchema = z
  .strictObject({
    /**
     * Tags on every AWS resource (`owner`, `cost-center`, `data-classification`).
     * @default - only the platform and environment tags
     */
    tags: tagsSchema.optional(),
    /**
     * CDK Pipelines delivery (`infra/aws/pipeline-main.ts`).
     * @default - no pipeline
     */
    delivery: deliverySchema.optional(),
    /** SageMaker feature groups, one per entity, in every environment. */
    featureStore: z
      .strictObject({
        entities: z
          .array(featureGroupSchema)
          .superRefine((groups, ctx) => {
            if (!Array.isArray(groups)) return;
            const seen = new Set<string>();
            groups.forEach((g, i) => {
              if (typeof g?.name !== 'string') return;
              if (seen.has(g.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate entity name "${g.name}"` });
              seen.add(g.name);
            });
          }, { when: () => true }),
      })
      .default({ entities: [] }),
  })
  .default({ featureStore: { entities: [] } });

/** Validated platform-wide AWS settings: tags, delivery pipeline and feature store, with defaults filled in. */
export type AwsPlatformConfig = z.output<typeof awsPlatformSchema>;
/** Validated AWS settings of one model beyond serving: promotion and model card. */
export type AwsModelConfig = z.output<typeof awsModelSchema>;
/** Validated AWS target of one environment: account, region, serving and streaming overrides, registry sharing, alarm recipients and thresholds. */
export type AwsEnvironmentConfig = z.output<typeof awsEnvironmentSchema>;
/** One validated SageMaker feature group (one entity) of the platform's feature store. */
export type FeatureGroupConfig = AwsPlatformConfig['featureStore']['entities'][number];
