import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryTable } from '@cdktf/provider-google/lib/bigquery-table';
import { BigqueryTableIamMember } from '@cdktf/provider-google/lib/bigquery-table-iam-member';
import type { Cloudfunctions2Function } from '@cdktf/provider-google/lib/cloudfunctions2-function';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription';
import { PubsubSubscriptionIamMember } from '@cdktf/provider-google/lib/pubsub-subscription-iam-member';
import type { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import type { VpcAccessConnector } from '@cdktf/provider-google/lib/vpc-access-connector';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { Construct } from 'constructs';
import type { InputFeature } from '../../core/inference';
import { GCP_STREAMING_ENV } from '../../lambdas/streaming/gcp/config';
import { boundedName } from '../private/names';
import { Problems } from '../private/validation';
import { functionServiceName } from './drift-contract';
import { EncryptedTopic } from './encrypted-topic';
import type { FunctionPlatform } from './function-platform';
import { CloudRunModelService } from './cloud-run-model-service';
import type { ModelEndpoint } from './model-endpoint';
import type { PrivateEndpointAddress } from './private-endpoint-access';
import { allowInvoke, platformFunction } from './private/cloud-function';
import { underscored } from './private/ids';
import { ServiceAgents } from './private/service-agents';

/** Properties of a {@link StreamingInference}. */
export interface StreamingInferenceProps {
  /** The environment's function platform: source archives, image repository, build account and the predictor role. */
  readonly platform: FunctionPlatform;
  /**
   * What scores the messages: the model's Vertex AI endpoint, or its Cloud Run service (a `CloudRunModelService`,
   * called at `<uri>/predict` with an identity token for it, which grants the function's account `roles/run.invoker`
   * on that service only), as for the `InferenceFunction`.
   */
  readonly endpoint: ModelEndpoint | CloudRunModelService;
  /** The model's input features, in order (the API's validation). */
  readonly features: readonly InputFeature[];
  /** Largest message data, in bytes (the API's `maxBodyBytes`). */
  readonly maxBodyBytes: number;
  /** Most instances one message may carry (the API's `maxInstancesPerRequest`). */
  readonly maxInstancesPerRequest: number;
  /** Per-attempt timeout of the Vertex AI call, in milliseconds (two attempts fit the acknowledgement deadline). */
  readonly upstreamTimeoutMs: number;
  /**
   * Retries of a message whose scoring or result write failed before it goes to the dead-letter topic: Pub/Sub's
   * `maxDeliveryAttempts` is this plus one, at least 5 (Pub/Sub's minimum).
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Hours unacknowledged messages are kept: the topic keeps them up to 31 days, the subscription up to 7.
   * @default 24
   */
  readonly retentionHours?: number;
  /**
   * Deliver messages with the same ordering key in publish order.
   * @default false
   */
  readonly ordered?: boolean;
  /**
   * Most instances of the function.
   * @default 10
   */
  readonly maxInstances?: number;
  /**
   * Messages waiting in the dead-letter subscription from which the alert fires.
   * @default 1
   */
  readonly deadLetterAlarmDepth?: number;
  /**
   * Keep the results dataset when the stack is destroyed.
   * @default true
   */
  readonly retainOnDelete?: boolean;
  /**
   * A Private Service Connect endpoint's reserved address (Vertex AI endpoints only) (predictions go to it, not to the public Vertex AI API, which
   * a PSC endpoint does not answer on) and the connector that reaches it, as for the inference function.
   * @default - the public Vertex AI API
   */
  readonly privateEndpoint?: {
    /** `PrivateEndpointAccess.addressFor(endpoint)`. */
    readonly address: PrivateEndpointAddress;
    /** `PrivateEndpointAccess.connector`. */
    readonly connector: VpcAccessConnector;
  };
  /**
   * Notification channel ids the dead-letter alert notifies.
   * @default - none (the alert still opens an incident)
   */
  readonly notificationChannels?: string[];
}

/** The results table's columns (what `lambdas/streaming/gcp` writes). */
export const STREAMING_RESULT_COLUMNS = [
  { name: 'model', type: 'STRING', mode: 'REQUIRED', description: 'Model name' },
  { name: 'message_id', type: 'STRING', mode: 'REQUIRED', description: 'Pub/Sub message id (also the insert id)' },
  { name: 'ordering_key', type: 'STRING', mode: 'NULLABLE', description: 'Pub/Sub ordering key, when the publisher set one' },
  { name: 'publish_time', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'When the message was published' },
  { name: 'scored_at', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'When the function handled it' },
  { name: 'predictions', type: 'STRING', mode: 'NULLABLE', description: 'The predictions as a JSON array; null for a refused message' },
  { name: 'error_code', type: 'STRING', mode: 'NULLABLE', description: 'Why the message was refused (the API error code)' },
  { name: 'error_message', type: 'STRING', mode: 'NULLABLE', description: 'What was wrong' },
  { name: 'error_field', type: 'STRING', mode: 'NULLABLE', description: 'The field at fault' },
] as const;

/** Pub/Sub limits (https://cloud.google.com/pubsub/docs/subscription-properties): delivery attempts 5-100, subscription retention at most 7 days. */
const MIN_DELIVERY_ATTEMPTS = 5;
const MAX_SUBSCRIPTION_RETENTION_HOURS = 7 * 24;
const MAX_TOPIC_RETENTION_HOURS = 31 * 24;
/** How long Pub/Sub waits for the function's answer; the function may take as long. */
const ACK_DEADLINE_SECONDS = 60;

/**
 * Streaming inference of one model on Google Cloud, the counterpart of the AWS Kinesis path: publishers put API
 * request bodies (`{ "instances": [...] }`) on a CMEK Pub/Sub topic; a push subscription (OIDC token of its own
 * account) delivers each message to a Cloud Run function that validates it with the API's parser, scores it on the
 * model's Vertex AI endpoint (or its Cloud Run service, with an identity token) and writes one row (predictions, or the validation error) to a BigQuery table in a CMEK
 * dataset. A message whose scoring or write fails is redelivered with backoff and, after `retryAttempts` + 1
 * deliveries, forwarded to a CMEK dead-letter topic whose subscription keeps it 7 days; an alert policy fires when
 * messages wait there.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { type FunctionPlatform, type ModelEndpoint, StreamingInference } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const platform: FunctionPlatform;
 * declare const churn: ModelEndpoint;
 *
 * const streaming = new StreamingInference(stack, 'Streaming-churn', {
 *   platform,
 *   endpoint: churn,
 *   features: [{ name: 'tenure_months', type: 'numeric' }],
 *   maxBodyBytes: 1048576,
 *   maxInstancesPerRequest: 100,
 *   upstreamTimeoutMs: 10000,
 *   ordered: true,
 * });
 * streaming.grantPublish('AppPublishes', 'serviceAccount:app@my-ml-project.iam.gserviceaccount.com');
 * ```
 */
export class StreamingInference extends Construct {
  /** The requests topic publishers write to. */
  readonly requests: EncryptedTopic;
  /** Where messages go after their last failed delivery. */
  readonly deadLetter: EncryptedTopic;
  /** Keeps dead-lettered messages for inspection (a topic without a subscription drops them). */
  readonly deadLetterSubscription: PubsubSubscription;
  /** Delivers requests to the function. */
  readonly subscription: PubsubSubscription;
  /** The function that scores each message. */
  readonly function: Cloudfunctions2Function;
  /** The function's own service account. */
  readonly serviceAccount: ServiceAccount;
  /** The dataset of the results table (CMEK). */
  readonly resultsDataset: BigqueryDataset;
  /** One row per handled message. */
  readonly resultsTable: BigqueryTable;
  /** Fires when messages wait in the dead-letter subscription. */
  readonly deadLetterAlert: MonitoringAlertPolicy;

  constructor(scope: Construct, id: string, props: StreamingInferenceProps) {
    super(scope, id);
    validateProps(props);
    const { platform, endpoint } = props;
    const { registry, project, region, namePrefix } = platform;
    const model = endpoint.model;
    const agents = ServiceAgents.of(this, project);
    const retain = props.retainOnDelete ?? true;
    const retentionHours = props.retentionHours ?? 24;
    const name = boundedName([namePrefix, 'stream', model], 200);

    this.requests = new EncryptedTopic(this, 'Requests', { name, project, registry, messageRetentionSeconds: Math.min(retentionHours, MAX_TOPIC_RETENTION_HOURS) * 3600 });
    this.deadLetter = new EncryptedTopic(this, 'DeadLetter', { name: `${name}-dead-letter`, project, registry });
    const week = `${MAX_SUBSCRIPTION_RETENTION_HOURS * 3600}s`;
    this.deadLetterSubscription = new PubsubSubscription(this, 'DeadLetterMessages', {
      name: `${name}-dead-letter`,
      project,
      topic: this.deadLetter.topic.id,
      messageRetentionDuration: week,
      // Subscriptions expire after 31 days without activity by default; this one must wait for the first failure.
      expirationPolicy: { ttl: '' },
    });

    const bigqueryKey = agents.settled(registry.grantKeyUse('BigQueryAgent', agents.bigquery));
    this.resultsDataset = new BigqueryDataset(this, 'Results', {
      datasetId: underscored(`${namePrefix}_stream_${model}`),
      project,
      location: region,
      description: `${namePrefix} streaming inference results of ${model}`,
      defaultEncryptionConfiguration: { kmsKeyName: registry.cryptoKey.id },
      deleteContentsOnDestroy: !retain,
      lifecycle: { preventDestroy: retain },
      dependsOn: [bigqueryKey],
    });
    this.resultsTable = new BigqueryTable(this, 'ResultsTable', {
      datasetId: this.resultsDataset.datasetId,
      tableId: 'predictions',
      project,
      description: `One row per streamed message of ${model}: predictions or the validation error`,
      schema: JSON.stringify(STREAMING_RESULT_COLUMNS),
      timePartitioning: { type: 'DAY', field: 'scored_at' },
      encryptionConfiguration: { kmsKeyName: registry.cryptoKey.id },
      deletionProtection: retain,
    });

    this.serviceAccount = new ServiceAccount(this, 'Account', { accountId: boundedName([namePrefix, 'stream', model], 30), displayName: `${name} function`, project });
    const member = this.serviceAccount.member;
    const cloudRun = endpoint instanceof CloudRunModelService ? endpoint : undefined;
    const grants = [
      // On Cloud Run, invoking that one service; on Vertex AI, online prediction (the inference function's grants).
      cloudRun ? cloudRun.grantInvoke(`Invoker-${name}`, member) : new ProjectIamMember(this, 'Predicts', { project, role: platform.predictorRole.name, member }),
      // Rows into its own table only (insertAll needs bigquery.tables.updateData there).
      new BigqueryTableIamMember(this, 'WritesResults', { project, datasetId: this.resultsDataset.datasetId, tableId: this.resultsTable.tableId, role: 'roles/bigquery.dataEditor', member }),
    ];
    this.function = platformFunction(this, 'Function', {
      platform,
      name: functionServiceName(namePrefix, `stream-${model}`),
      description: `Streaming inference of ${model}: Pub/Sub messages scored on ${cloudRun ? `Cloud Run service ${cloudRun.serviceName}` : 'Vertex AI'}, results to BigQuery (ModelStack)`,
      bundle: 'streaming',
      serviceAccount: this.serviceAccount,
      environment: {
        [GCP_STREAMING_ENV.model]: model,
        [GCP_STREAMING_ENV.endpointName]: endpoint.resourceName,
        [GCP_STREAMING_ENV.features]: JSON.stringify(props.features),
        [GCP_STREAMING_ENV.maxBodyBytes]: String(props.maxBodyBytes),
        [GCP_STREAMING_ENV.maxInstances]: String(props.maxInstancesPerRequest),
        [GCP_STREAMING_ENV.upstreamTimeoutMs]: String(props.upstreamTimeoutMs),
        [GCP_STREAMING_ENV.resultsTable]: `${project}.${underscored(`${namePrefix}_stream_${model}`)}.predictions`,
        ...(props.privateEndpoint ? { [GCP_STREAMING_ENV.vertexBaseUrl]: props.privateEndpoint.address.baseUrl } : {}),
        ...(cloudRun ? { [GCP_STREAMING_ENV.cloudRunUrl]: cloudRun.uri } : {}),
      },
      vpcConnector: props.privateEndpoint?.connector.id,
      timeoutSeconds: ACK_DEADLINE_SECONDS,
      maxInstances: props.maxInstances ?? 10,
      // Internal ingress admits Pub/Sub pushes from the same project ("Restricting ingress for Cloud Run",
      // https://cloud.google.com/run/docs/securing/ingress) and nothing from the internet; IAM (run.invoker) admits
      // only the push account.
      ingress: 'internal',
      dependsOn: grants,
    });

    const pushAccount = new ServiceAccount(this, 'PushAccount', { accountId: boundedName([namePrefix, 'push', model], 30), displayName: `${name} push`, project });
    const pushInvokes = allowInvoke(this, 'PushInvokes', this.function, pushAccount.member);
    // Dead-lettering forwards as the Pub/Sub service agent: it publishes to the dead-letter topic and acknowledges the
    // forwarded message on the source subscription (https://cloud.google.com/pubsub/docs/dead-letter-topics).
    const agentPublishes = this.deadLetter.grantPublish('PubSubAgentPublishes', agents.pubsub);
    this.subscription = new PubsubSubscription(this, 'Push', {
      name,
      project,
      topic: this.requests.topic.id,
      ackDeadlineSeconds: ACK_DEADLINE_SECONDS,
      messageRetentionDuration: `${Math.min(retentionHours, MAX_SUBSCRIPTION_RETENTION_HOURS) * 3600}s`,
      expirationPolicy: { ttl: '' },
      enableMessageOrdering: props.ordered ?? false,
      pushConfig: { pushEndpoint: this.function.url, oidcToken: { serviceAccountEmail: pushAccount.email, audience: this.function.url } },
      deadLetterPolicy: { deadLetterTopic: this.deadLetter.topic.id, maxDeliveryAttempts: maxDeliveryAttempts(props.retryAttempts ?? 3) },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      dependsOn: [pushInvokes, agentPublishes],
    });
    new PubsubSubscriptionIamMember(this, 'PubSubAgentAcknowledges', { project, subscription: this.subscription.name, role: 'roles/pubsub.subscriber', member: agents.pubsub });

    const depth = props.deadLetterAlarmDepth ?? 1;
    this.deadLetterAlert = new MonitoringAlertPolicy(this, 'DeadLetterAlert', {
      displayName: `${namePrefix} streaming dead letters of ${model}`,
      combiner: 'OR',
      conditions: [
        {
          displayName: 'messages in the dead-letter subscription',
          conditionThreshold: {
            filter: `resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "${name}-dead-letter" AND metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"`,
            aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_MAX', crossSeriesReducer: 'REDUCE_MAX' }],
            comparison: 'COMPARISON_GT',
            thresholdValue: depth - 1,
            duration: '0s',
          },
        },
      ],
      notificationChannels: props.notificationChannels,
      alertStrategy: { autoClose: '86400s' },
      documentation: {
        content: `Messages of ${model} failed ${maxDeliveryAttempts(props.retryAttempts ?? 3)} deliveries and wait in subscription ${name}-dead-letter: see the function's logs, fix the cause, then republish them to ${name}.`,
        mimeType: 'text/markdown',
      },
      project,
      dependsOn: [this.deadLetterSubscription],
    });
  }

  /** Lets `member` publish requests (and nothing else). */
  grantPublish(id: string, member: string): PubsubTopicIamMember {
    if (/allUsers|allAuthenticatedUsers/.test(member)) throw new Error(`publisher "${member}": public publishers are not allowed; name a service account, group or user`);
    return this.requests.grantPublish(id, member);
  }
}

/** Pub/Sub's `maxDeliveryAttempts` for `retryAttempts` retries: the first delivery plus the retries, 5 to 100. */
export function maxDeliveryAttempts(retryAttempts: number): number {
  return Math.min(100, Math.max(MIN_DELIVERY_ATTEMPTS, retryAttempts + 1));
}

function validateProps(props: StreamingInferenceProps): void {
  const problems = new Problems('StreamingInference');
  const retries = props.retryAttempts ?? 3;
  problems.check(Number.isInteger(retries) && retries >= 0 && retries <= 99, `retryAttempts ${retries}: expected 0 to 99`);
  const hours = props.retentionHours ?? 24;
  problems.check(Number.isInteger(hours) && hours >= 1, `retentionHours ${hours}: expected a whole number of hours, at least 1`);
  problems.check(props.features.length > 0, 'features: expected at least one feature');
  problems.check(!(props.privateEndpoint && props.endpoint instanceof CloudRunModelService), 'privateEndpoint: a Cloud Run service is called at its own URL; expected no privateEndpoint with a CloudRunModelService');
  // The function tries twice and writes a row, within the acknowledgement deadline.
  problems.check(props.upstreamTimeoutMs * 2 <= (ACK_DEADLINE_SECONDS - 10) * 1000, `upstreamTimeoutMs ${props.upstreamTimeoutMs}: expected at most ${((ACK_DEADLINE_SECONDS - 10) * 1000) / 2} (two attempts within the ${ACK_DEADLINE_SECONDS} s acknowledgement deadline)`);
  const depth = props.deadLetterAlarmDepth ?? 1;
  problems.check(Number.isInteger(depth) && depth >= 1, `deadLetterAlarmDepth ${depth}: expected at least 1`);
  problems.throwIfAny();
}
