/**
 * The Cloud Workflows program of a scheduled Vertex AI batch prediction (JSON syntax, which Workflows accepts beside
 * YAML). It calls Google APIs through Workflows connectors only (https://cloud.google.com/workflows/docs/reference/googleapis):
 * `googleapis.storage.v1.objects.list` or `googleapis.bigquery.v2.tables.get` to see whether there is input,
 * `googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create`/`get`/`cancel` for the job
 * (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.batchPredictionJobs). Connector calls
 * retry transient errors by themselves.
 *
 * Without input the run returns at once: no job, no failure. Any failure (a connector call that fails for good, a job
 * that ends FAILED, CANCELLED or EXPIRED, or runs past `maxRuntimeSeconds` and is cancelled) writes one ERROR log
 * entry with `event: batch_prediction_failed` (the log-based failure metric counts these) and fails the execution.
 */

/** The input Vertex AI reads: objects under a prefix of the artifacts bucket, or a BigQuery table. */
export type BatchWorkflowInput =
  | { readonly kind: 'gcs'; readonly prefix: string; readonly format: 'csv' | 'jsonl' }
  | { readonly kind: 'bigquery'; readonly table: { readonly project: string; readonly dataset: string; readonly table: string } };

/** Where Vertex AI writes the predictions. */
export type BatchWorkflowOutput = { readonly kind: 'gcs' } | { readonly kind: 'bigquery'; readonly uri: string };

/**
 * What the workflow reads from its environment (`user_env_vars`): values Terraform only knows at apply time, so the
 * source itself holds no Terraform references.
 */
export const BATCH_WORKFLOW_ENV = {
  /** The artifacts bucket holding the input prefix. */
  inputBucket: 'BATCH_INPUT_BUCKET',
  /** `gs://<reports bucket>/batch/<model>/output/`. */
  outputUri: 'BATCH_OUTPUT_URI',
  /** The account the job's container runs as. */
  jobAccount: 'BATCH_JOB_ACCOUNT',
  /** The CMEK key of the job. */
  kmsKey: 'BATCH_KMS_KEY',
} as const;

export interface BatchWorkflowSpec {
  readonly model: string;
  readonly project: string;
  readonly region: string;
  /** `projects/<p>/locations/<r>/models/<id>@<alias>`. */
  readonly modelVersion: string;
  readonly displayName: string;
  readonly input: BatchWorkflowInput;
  readonly output: BatchWorkflowOutput;
  /** Feature names in the model's order: JSON Lines objects and BigQuery rows become arrays in this order. */
  readonly features: readonly string[];
  readonly machineType: string;
  readonly startingReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly maxRuntimeSeconds: number;
  /** Seconds between two looks at the job. */
  readonly pollSeconds: number;
}

/** The log entry's `event` the failure metric matches. */
export const BATCH_FAILED_EVENT = 'batch_prediction_failed';

/** Job states after which nothing changes (`JobState`, Vertex AI REST reference). */
const FAILED_STATES = ['JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'];

/** The workflow definition as an object (tests read it); `batchWorkflowSource` is what Terraform uploads. */
export function batchWorkflowDefinition(spec: BatchWorkflowSpec): Record<string, unknown> {
  const expr = (e: string) => `\${${e}}`;
  const env = (name: string) => `sys.get_env("${name}")`;
  const job = {
    displayName: spec.displayName,
    model: spec.modelVersion,
    inputConfig:
      spec.input.kind === 'gcs'
        ? { instancesFormat: spec.input.format, gcsSource: { uris: [expr(`"gs://" + ${env(BATCH_WORKFLOW_ENV.inputBucket)} + "/${spec.input.prefix}*"`)] } }
        : { instancesFormat: 'bigquery', bigquerySource: { inputUri: `bq://${spec.input.table.project}.${spec.input.table.dataset}.${spec.input.table.table}` } },
    // The model server takes rows as arrays in feature order, as the online endpoint gets them. CSV lines already are.
    ...(spec.input.kind === 'gcs' && spec.input.format === 'csv' ? {} : { instanceConfig: { instanceType: 'array', includedFields: [...spec.features] } }),
    outputConfig:
      spec.output.kind === 'gcs'
        ? { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: expr(env(BATCH_WORKFLOW_ENV.outputUri)) } }
        : { predictionsFormat: 'bigquery', bigqueryDestination: { outputUri: spec.output.uri } },
    dedicatedResources: { machineSpec: { machineType: spec.machineType }, startingReplicaCount: spec.startingReplicaCount, maxReplicaCount: spec.maxReplicaCount },
    // The model container runs as this account (it needs no grant); without it Vertex AI picks a shared one.
    serviceAccount: expr(env(BATCH_WORKFLOW_ENV.jobAccount)),
    encryptionSpec: { kmsKeyName: expr(env(BATCH_WORKFLOW_ENV.kmsKey)) },
    labels: { modelstack_model: spec.model },
  };
  // Every failure, ours or a connector's, goes through the `except` below, which logs it once.
  // Step names must be unique within a subworkflow (https://cloud.google.com/workflows/docs/reference/syntax/steps):
  // each failure step has its own.
  const fail = (step: string, reason: string) => [{ [step]: { raise: { code: 'BatchPredictionFailed', message: reason } } }];
  const countInput =
    spec.input.kind === 'gcs'
      ? [
          {
            listInput: {
              call: 'googleapis.storage.v1.objects.list',
              args: { bucket: expr(env(BATCH_WORKFLOW_ENV.inputBucket)), prefix: spec.input.prefix, maxResults: 10 },
              result: 'listing',
            },
          },
          // A "folder" object named like the prefix is not input.
          { countInput: { for: { value: 'object', in: expr('default(map.get(listing, "items"), [])'), steps: [{ countObject: { switch: [{ condition: expr('not text.match_regex(object.name, "/$")'), steps: [{ count: { assign: [{ inputs: expr('inputs + 1') }] } }] }] } }] } } },
        ]
      : [
          {
            getTable: {
              call: 'googleapis.bigquery.v2.tables.get',
              args: { projectId: spec.input.table.project, datasetId: spec.input.table.dataset, tableId: spec.input.table.table },
              result: 'table',
            },
          },
          // numRows leaves out rows still in the streaming buffer: they are scored on the next run.
          { countInput: { assign: [{ inputs: expr('int(default(map.get(table, "numRows"), "0"))') }] } },
        ];
  const steps = [
    { init: { assign: [{ inputs: 0 }, { deadline: expr(`sys.now() + ${spec.maxRuntimeSeconds}`) }] } },
    ...countInput,
    { anyInput: { switch: [{ condition: expr('inputs == 0'), steps: [{ noInput: { return: 'no input: nothing to score' } }] }] } },
    {
      createJob: {
        call: 'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create',
        args: { parent: `projects/${spec.project}/locations/${spec.region}`, region: spec.region, body: job },
        result: 'job',
      },
    },
    { wait: { call: 'sys.sleep', args: { seconds: spec.pollSeconds } } },
    { poll: { call: 'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.get', args: { name: expr('job.name'), region: spec.region }, result: 'job' } },
    {
      outcome: {
        switch: [
          { condition: expr('job.state == "JOB_STATE_SUCCEEDED"'), steps: [{ scored: { return: expr('job.name') } }] },
          { condition: expr(`job.state in ${JSON.stringify(FAILED_STATES)}`), steps: fail('jobFailed', expr('job.name + " ended " + job.state')) },
          {
            condition: expr('sys.now() > deadline'),
            steps: [
              { cancelJob: { call: 'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.cancel', args: { name: expr('job.name'), region: spec.region } } },
              ...fail('jobTimedOut', expr(`job.name + " cancelled after running longer than ${spec.maxRuntimeSeconds / 3600} hours"`)),
            ],
          },
        ],
        next: 'wait',
      },
    },
  ];
  return {
    main: {
      steps: [
        {
          run: {
            try: { steps },
            except: {
              as: 'e',
              steps: [
                { logFailure: { call: 'sys.log', args: { severity: 'ERROR', json: { event: BATCH_FAILED_EVENT, model: spec.model, error: expr('e') } } } },
                { failed: { raise: expr('e') } },
              ],
            },
          },
        },
      ],
    },
  };
}

/**
 * The workflow source for Terraform: JSON, with every Workflows expression's `${` written `$${`, Terraform's escape
 * for a literal `${` (the source holds no Terraform references).
 */
export function batchWorkflowSource(spec: BatchWorkflowSpec): string {
  return JSON.stringify(batchWorkflowDefinition(spec), null, 2).replace(/\$\{/g, '$${');
}
