import { z } from 'zod';
import { ALERT_THRESHOLD_DEFAULTS } from '../../constructs/gcp/alert-thresholds';
import { CLOUD_RUN_CPUS, cloudRunMemoryProblem } from '../../constructs/private/validation';

/** Cross-field rules run even when other fields already failed, so one error lists every problem. */
const ALWAYS = { when: () => true } as const;

const percent = z.number().int('expected a whole percentage').min(0, 'expected 0 to 100').max(100, 'expected 0 to 100');

/** The GitHub repository Cloud Build checks out to run the deploy tool and the retraining build. */
const repositorySchema = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'expected a GitHub user or organization name'),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'expected a GitHub repository name'),
  /** The branch whose code runs the builds. */
  branch: z.string().regex(/^[A-Za-z0-9._/-]{1,255}$/, 'expected a branch name such as main').default('main'),
});

/**
 * Cloud Storage bucket naming (https://cloud.google.com/storage/docs/buckets#naming): 3-63 lowercase letters, digits,
 * `-`, `_` and `.` (up to 222 with dots, each part at most 63), starting and ending with a letter or digit; not an IP
 * address, not starting with `goog`, not containing `google` or a close misspelling.
 */
function bucketNameProblem(name: string): string | undefined {
  const expected = 'expected a Cloud Storage bucket name:';
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name)) return `${expected} lowercase letters, digits, -, _ and ., starting and ending with a letter or digit`;
  const max = name.includes('.') ? 222 : 63;
  if (name.length < 3 || name.length > max) return `${expected} 3 to ${max} characters`;
  if (name.split('.').some((part) => part.length === 0 || part.length > 63)) return `${expected} each dot-separated part 1 to 63 characters`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return `${expected} not an IP address`;
  if (name.startsWith('goog') || /g[o0]{2}g[l1]e/.test(name)) return `${expected} not starting with "goog" or containing "google"`;
  return undefined;
}

/**
 * Where Terraform keeps the environment's state: a Cloud Storage bucket (remote, locked, shared by CI and people),
 * or, as an explicit choice, a local file.
 */
const stateSchema = z.union(
  [
    z.strictObject({
      /** An existing bucket (versioned, as Terraform advises), in any project the deployer can write to. */
      bucket: z.string().superRefine((name, ctx) => {
        const problem = bucketNameProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      /** Object prefix of the state; default `<platform>/<environment>`. */
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)*$/, 'expected an object prefix such as modelstack/prod (letters, digits, -, _, . and single slashes)')
        .optional(),
    }),
    z.strictObject({
      local: z.literal(true),
      /** A relative path, resolved in the stack's directory (`cdktf.out/stacks/<stack>/`); default `terraform.tfstate`. */
      path: z
        .string()
        .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[\w./-]+\.tfstate$/, 'expected a relative path ending in .tfstate, without ..')
        .optional(),
    }),
  ],
  {
    error: (issue) =>
      issue.input === undefined
        ? 'expected where Terraform keeps the state: { bucket: <Cloud Storage bucket>, prefix? } or, explicitly, { local: true }'
        : 'expected { bucket, prefix? } (Terraform state in Cloud Storage) or { local: true, path? } (a local file)',
  },
);

/** A string field whose absence is reported with `expected` rather than zod's type message. */
const requiredString = (expected: string) => z.string({ error: (issue) => (issue.input === undefined ? expected : undefined) });

/** Private serving: Private Service Connect, or VPC peering through private services access. */
const networkSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('psc'),
    /** Projects allowed to create PSC endpoints to the Vertex AI endpoints; the environment's own project is always allowed. */
    projectAllowlist: z.array(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'expected a GCP project id')).default([]),
    /** The VPC network (in the environment's project) the inference functions reach the endpoints from. */
    vpcNetwork: requiredString('expected the name of a VPC network of the project').regex(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/, 'expected the name of a VPC network of the project'),
    /** A subnetwork of it in the environment's region: each endpoint's internal address comes from it. */
    subnetwork: requiredString('expected the name of a subnetwork in the region').regex(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/, 'expected the name of a subnetwork in the region'),
    /** An unused /28 range of the network for the functions' Serverless VPC Access connector. */
    connectorRange: requiredString('expected an unused /28 range such as 10.8.0.0/28').regex(/^(\d{1,3}\.){3}\d{1,3}\/28$/, 'expected an unused /28 range such as 10.8.0.0/28'),
  }),
  z.strictObject({
    kind: z.literal('vpc'),
    network: z
      .string()
      .regex(/^projects\/\d+\/global\/networks\/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/, 'expected projects/<project number>/global/networks/<name>'),
  }),
]);

const featureEntitySchema = z.strictObject({
  /** Feature view name: letters, digits and underscores. */
  name: z.string().regex(/^[a-z][a-z0-9_]{0,59}$/, 'expected lowercase letters, digits and underscores, starting with a letter'),
  /** BigQuery table or view the features are synced from. */
  sourceTable: z.string().regex(/^bq:\/\/[a-z][a-z0-9-]{4,28}[a-z0-9]\.\w{1,1024}\.[\w$-]{1,1024}$/, 'expected bq://<project>.<dataset>.<table>'),
  /** Columns that identify an entity (the online store's key). */
  entityIdColumns: z.array(z.string().regex(/^[A-Za-z_]\w{0,299}$/, 'expected a column name')).min(1, 'expected at least one column'),
  /** When the view syncs from BigQuery (cron, UTC). */
  syncCron: z.string().min(9, 'expected a cron expression such as 0 * * * *').default('0 * * * *'),
});

const featureStoreSchema = z
  .strictObject({
    /** Bigtable nodes of the online store. */
    minNodeCount: z.number().int().min(1).default(1),
    maxNodeCount: z.number().int().min(1).default(3),
    cpuUtilizationTarget: z.number().int().min(10).max(80).default(50),
    /** One feature view per entity; the online store is only created when at least one is declared. */
    entities: z
      .array(featureEntitySchema)
      .superRefine((entities, ctx) => {
        if (!Array.isArray(entities)) return;
        const seen = new Set<string>();
        entities.forEach((entity, i) => {
          if (typeof entity?.name !== 'string') return;
          if (seen.has(entity.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate entity name "${entity.name}"` });
          seen.add(entity.name);
        });
      }, ALWAYS)
      .default([]),
  })
  .refine((s) => !(s?.minNodeCount > s?.maxNodeCount), { path: ['minNodeCount'], message: 'expected at most maxNodeCount', ...ALWAYS });

/** The platform's Cloud Run functions (inference per model, drift check per logged model). */
const functionsSchema = z.strictObject({
  /** Who may call the inference functions: IAM members such as serviceAccount:app@p.iam.gserviceaccount.com or group:team@example.com. */
  invokers: z
    .array(
      z
        .string()
        .regex(/^(serviceAccount|group|user|domain):[^\s:]+$/, 'expected an IAM member such as serviceAccount:<email>, group:<email>, user:<email> or domain:<domain>'),
    )
    .default([]),
  /** Where requests may come from: anywhere (still IAM-authenticated), the VPC and load balancers, or the VPC only. */
  ingress: z.enum(['all', 'internal-and-gclb', 'internal']).default('all'),
  /** Most instances of one inference function. */
  maxInstances: z.number().int().min(1).max(1000).default(10),
});

const alertThresholdsSchema = z.strictObject({
  /** 99th-percentile online prediction latency, in milliseconds, above which an endpoint alerts (same name as `aws.alarms`). */
  endpointLatencyP99Ms: z.number().positive('expected a positive number of milliseconds').default(ALERT_THRESHOLD_DEFAULTS.endpointLatencyP99Ms),
  /** Share of failed predictions (percent) above which an endpoint alerts. */
  errorRatePercent: z.number().gt(0, 'expected more than 0').max(100, 'expected at most 100').default(ALERT_THRESHOLD_DEFAULTS.errorRatePercent),
  /** Share of drifted features (0-1) above which a model alerts. */
  driftShare: z.number().gt(0, 'expected more than 0').max(1, 'expected at most 1').default(ALERT_THRESHOLD_DEFAULTS.driftShare),
});

/**
 * Serves every model of the environment on Cloud Run with the model-server container, scaling to zero, instead of a
 * Vertex AI endpoint with at least one dedicated replica.
 */
const servingOverrideSchema = z
  .strictObject({
    kind: z.literal('cloudRun', { error: 'expected "cloudRun"' }),
    /** CPUs of each instance. */
    cpu: z.union(CLOUD_RUN_CPUS.map((n) => z.literal(n)), { error: `expected ${CLOUD_RUN_CPUS.join(', ')}` }).default(1),
    /** Memory of each instance, in MB (MiB). */
    memoryMb: z.number().int('expected a whole number of MB').min(512, 'expected at least 512 MB').max(32768, 'expected at most 32768 MB').default(2048),
    /** Most instances of each model's service; the fewest is always 0. */
    maxInstances: z.number().int().min(1, 'expected 1 to 1000').max(1000, 'expected 1 to 1000').default(3),
  })
  .superRefine((o, ctx) => {
    // Only between valid values: an invalid CPU count or memory size is reported on its own.
    if (!(CLOUD_RUN_CPUS as readonly unknown[]).includes(o?.cpu) || !Number.isInteger(o.memoryMb) || o.memoryMb < 512 || o.memoryMb > 32768) return;
    const problem = cloudRunMemoryProblem(o.cpu, o.memoryMb);
    if (problem) ctx.addIssue({ code: 'custom', path: ['memoryMb'], message: problem });
  }, ALWAYS);

const RETRAIN_BUILD_CONFIG_REQUIRED = 'expected the path of your retraining build config in gcp.repository, such as ci/retrain.cloudbuild.yaml (ModelStack ships no training build)';

/** Google Cloud settings of one environment. */
export const gcpEnvironmentSchema = z
  .strictObject({
    project: z
      .string()
      .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'expected a GCP project id (6-30 lowercase letters, digits, hyphens)'),
    region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'expected a GCP region such as europe-west1'),
    /**
     * Where Terraform keeps this environment's state. Required: `{ bucket, prefix? }` for a CI pipeline (and anyone
     * else) applying the stack, or `{ local: true }` as an explicit choice for a one-person trial.
     */
    state: stateSchema,
    /** Source of the Cloud Build deploy and retraining builds; without it no build triggers are created. */
    repository: repositorySchema.optional(),
    /** Private Vertex AI endpoints; public (IAM-authenticated) when absent. */
    network: networkSchema.optional(),
    /** Days drift reports are kept (a bucket retention policy: reports cannot be changed or deleted before). */
    reportRetentionDays: z.number().int().min(1).max(3650).default(30),
    alertThresholds: alertThresholdsSchema.default({ ...ALERT_THRESHOLD_DEFAULTS }),
    /** Vertex AI Feature Store (online serving); created when entities are declared. */
    featureStore: featureStoreSchema.optional(),
    /**
     * Serve every model on Cloud Run (model-server container, 0 instances when idle) in this environment, whatever
     * its `models[].gcp` replicas say; each model must be servable by the model server (`image: { build }` or
     * `models[].gcp.containerImage`).
     * @default - each model on its Vertex AI endpoint
     */
    servingOverride: servingOverrideSchema.optional(),
    /** Inference functions: who may call them, from where; absent means no invokers, ingress all, 10 instances. */
    functions: functionsSchema.optional(),
    /**
     * A Cloud Build retraining run on the DriftDetected messages of models without a `training` section (a model with
     * one is retrained by its training workflow); needs `repository`.
     */
    retraining: z
      .strictObject({
        /**
         * Your training build config in `repository`, such as `ci/retrain.cloudbuild.yaml`. Required: ModelStack
         * ships no training code, so there is no default to fall back on.
         */
        buildConfig: z
          .string({ error: (issue) => (issue.input === undefined ? RETRAIN_BUILD_CONFIG_REQUIRED : undefined) })
          .regex(/^[\w./-]+\.ya?ml$/, 'expected a path to a YAML build config'),
      })
      .optional(),
  })
  .superRefine((gcp, ctx) => {
    if (gcp?.retraining && !gcp.repository) {
      ctx.addIssue({ code: 'custom', path: ['retraining'], message: 'expected gcp.repository to be set: the retraining build runs from it' });
    }
  }, ALWAYS);

/** Google Cloud (Vertex AI) settings of one model; every field has a default. */
export const gcpModelSchema = z
  .strictObject({
    /** Compute Engine machine type of the deployed model's replicas. */
    machineType: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, 'expected a Compute Engine machine type such as n1-standard-2').default('n1-standard-2'),
    minReplicas: z.number().int().min(1).max(1000).default(1),
    maxReplicas: z.number().int().min(1).max(1000).default(2),
    /**
     * Serving container image; by default the build of the model's `image.build` folder (each deploy builds and
     * pushes it), else Vertex AI's prebuilt container for the model's framework (xgboost-X.Y, sklearn-X.Y,
     * tensorflow-X.Y) in the environment's region.
     */
    containerImage: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/, 'expected a container image URI such as europe-docker.pkg.dev/my-project/serving/churn:1')
      .optional(),
    /**
     * Traffic between the version being deployed (`latest`) and the one serving before it (`previous`), in
     * percent; other deployed versions are undeployed. `{ latest: 10, previous: 90 }` is a canary.
     */
    trafficSplit: z
      .strictObject({ latest: percent.min(1, 'expected the deployed version to get traffic: 1 to 100'), previous: percent.default(0) })
      .refine((t) => typeof t?.latest !== 'number' || typeof t.previous !== 'number' || t.latest + t.previous === 100, { message: 'expected latest + previous to sum to 100', ...ALWAYS })
      .default({ latest: 100, previous: 0 }),
  })
  .refine((m) => !(m?.minReplicas > m?.maxReplicas), { path: ['minReplicas'], message: 'expected at most maxReplicas', ...ALWAYS })
  .default({ machineType: 'n1-standard-2', minReplicas: 1, maxReplicas: 2, trafficSplit: { latest: 100, previous: 0 } });

/** Validated Google Cloud settings of one environment, with defaults filled in. */
export type GcpEnvironmentConfig = z.output<typeof gcpEnvironmentSchema>;
/** Validated Google Cloud (Vertex AI) settings of one model, with defaults filled in. */
export type GcpModelConfig = z.output<typeof gcpModelSchema>;
/** An environment's Cloud Run serving override, validated. */
export type GcpServingOverride = z.output<typeof servingOverrideSchema>;
/** Where Terraform keeps one environment's state, validated. */
export type GcpStateConfig = z.output<typeof stateSchema>;
