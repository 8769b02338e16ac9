import type { Construct } from 'constructs';
import { CloudRunModelService } from '../../constructs/gcp/cloud-run-model-service';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { ModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { maxDeliveryAttempts, StreamingInference, type StreamingInferenceProps } from '../../constructs/gcp/streaming-inference';
import { all, synth } from './helpers';

const project = 'ms-project';
const region = 'europe-west1';

function build(scope: Construct, overrides: Partial<StreamingInferenceProps> = {}, serving: 'vertex' | 'cloudRun' = 'vertex') {
  const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region, retainOnDelete: false });
  const platform = new FunctionPlatform(scope, 'Functions', { registry });
  const endpoint =
    serving === 'cloudRun'
      ? new CloudRunModelService(scope, 'Serve-churn', { registry, namePrefix: 'ms-dev', model: 'churn', project, region })
      : new ModelEndpoint(scope, 'Endpoint-churn', { registry, model: 'churn', samplingPercentage: 0 });
  const streaming = new StreamingInference(scope, 'Streaming-churn', {
    platform,
    endpoint,
    features: [{ name: 'tenure', type: 'numeric' }],
    maxBodyBytes: 4096,
    maxInstancesPerRequest: 20,
    upstreamTimeoutMs: 5000,
    retryAttempts: 6,
    retentionHours: 240,
    ordered: true,
    retainOnDelete: false,
    notificationChannels: ['projects/ms-project/notificationChannels/1'],
    ...overrides,
  });
  streaming.grantPublish('AppPublishes', 'serviceAccount:app@ms-project.iam.gserviceaccount.com');
}

describe('StreamingInference (Pub/Sub → Cloud Run function → BigQuery)', () => {
  const s = synth((scope) => build(scope));
  const byName = (type: string, name: string) => all(s, type).find((r) => r.name === name);

  test('CMEK request and dead-letter topics; the request topic keeps messages for retentionHours', () => {
    const topics = all(s, 'google_pubsub_topic');
    expect(topics.map((t) => t.name).sort()).toEqual(['ms-dev-stream-churn', 'ms-dev-stream-churn-dead-letter']);
    for (const t of topics) expect(t.kms_key_name).toMatch(/^\$\{google_kms_crypto_key\.Registry_Key/);
    expect(byName('google_pubsub_topic', 'ms-dev-stream-churn').message_retention_duration).toBe('864000s');
  });

  test('push subscription: OIDC token of its own account for the function URL, ordering, bounded delivery attempts, dead letters', () => {
    const push = byName('google_pubsub_subscription', 'ms-dev-stream-churn');
    expect(push.push_config).toEqual({
      push_endpoint: expect.stringMatching(/^\$\{google_cloudfunctions2_function\.Streaming-churn_Function_\w+\.url\}$/),
      oidc_token: { service_account_email: expect.stringMatching(/^\$\{google_service_account\.Streaming-churn_PushAccount_\w+\.email\}$/), audience: push.push_config.push_endpoint },
    });
    expect(push.enable_message_ordering).toBe(true);
    expect(push.dead_letter_policy).toEqual({ dead_letter_topic: expect.stringMatching(/DeadLetter_Topic_\w+\.id\}$/), max_delivery_attempts: 7 });
    // The subscription keeps at most 7 days (Pub/Sub's limit), whatever the topic keeps.
    expect(push.message_retention_duration).toBe('604800s');
    expect(push.ack_deadline_seconds).toBe(60);
    expect(push.expiration_policy).toEqual({ ttl: '' });
    const dead = byName('google_pubsub_subscription', 'ms-dev-stream-churn-dead-letter');
    expect(dead.push_config).toBeUndefined();
    expect(dead.expiration_policy).toEqual({ ttl: '' });
  });

  test('Pub/Sub\'s service agent may publish dead letters and acknowledge forwarded messages, and nothing more', () => {
    const agent = /^\$\{google_project_service_identity\.ServiceAgents-ms-project_Identity-pubsub_\w+\.member\}$/;
    const topicGrants = all(s, 'google_pubsub_topic_iam_member').filter((g) => agent.test(g.member));
    expect(topicGrants.map((g) => [g.topic, g.role])).toEqual([[expect.stringMatching(/DeadLetter_Topic_\w+\.id\}$/), 'roles/pubsub.publisher']]);
    const subscriptionGrants = all(s, 'google_pubsub_subscription_iam_member');
    expect(subscriptionGrants).toEqual([expect.objectContaining({ role: 'roles/pubsub.subscriber', member: expect.stringMatching(agent), subscription: expect.stringMatching(/Streaming-churn_Push_\w+\.name\}$/) })]);
  });

  test('the function: shared streaming bundle, CMEK, its own account with the predictor role and only its table; only the push account invokes it', () => {
    const fn = byName('google_cloudfunctions2_function', 'ms-dev-fn-stream-churn');
    expect(fn.build_config.entry_point).toBe('score');
    expect(fn.kms_key_name).toMatch(/^\$\{google_kms_crypto_key\.Registry_Key/);
    expect(fn.service_config.environment_variables).toMatchObject({
      MODEL_NAME: 'churn',
      ENDPOINT_NAME: expect.stringMatching(/^projects\/ms-project\/locations\/europe-west1\/endpoints\/\d+$/),
      RESULTS_TABLE: 'ms-project.ms_dev_stream_churn.predictions',
      MAX_BODY_BYTES: '4096',
      MAX_INSTANCES: '20',
      UPSTREAM_TIMEOUT_MS: '5000',
    });
    expect(fn.service_config.timeout_seconds).toBe(60);
    expect(fn.service_config.ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
    const account = fn.service_config.service_account_email.replace('.email}', '.member}');
    const projectRoles = all(s, 'google_project_iam_member').filter((m) => m.member === account);
    expect(projectRoles.map((m) => m.role)).toEqual([expect.stringMatching(/PredictorRole/)]);
    const tableGrants = all(s, 'google_bigquery_table_iam_member');
    expect(tableGrants).toEqual([expect.objectContaining({ member: account, role: 'roles/bigquery.dataEditor', table_id: expect.stringMatching(/ResultsTable_\w+\.table_id\}$/) })]);
    const invokers = all(s, 'google_cloud_run_v2_service_iam_member');
    expect(invokers).toEqual([expect.objectContaining({ role: 'roles/run.invoker', member: expect.stringMatching(/PushAccount_\w+\.member\}$/) })]);
    expect(s.json).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('results: a CMEK dataset and a day-partitioned table with the handler\'s columns', () => {
    const dataset = all(s, 'google_bigquery_dataset').find((d) => d.dataset_id === 'ms_dev_stream_churn');
    expect(dataset.default_encryption_configuration.kms_key_name).toMatch(/^\$\{google_kms_crypto_key\.Registry_Key/);
    expect(dataset.delete_contents_on_destroy).toBe(true);
    const table = all(s, 'google_bigquery_table')[0];
    expect(table.table_id).toBe('predictions');
    expect(table.time_partitioning).toEqual({ type: 'DAY', field: 'scored_at' });
    expect(JSON.parse(table.schema).map((c: any) => c.name)).toEqual(['model', 'message_id', 'ordering_key', 'publish_time', 'scored_at', 'predictions', 'error_code', 'error_message', 'error_field']);
  });

  test('an alert on the dead-letter backlog', () => {
    const alert = all(s, 'google_monitoring_alert_policy')[0];
    expect(alert.conditions[0].condition_threshold).toMatchObject({
      filter: 'resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "ms-dev-stream-churn-dead-letter" AND metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"',
      comparison: 'COMPARISON_GT',
      threshold_value: 0,
    });
    expect(alert.notification_channels).toEqual(['projects/ms-project/notificationChannels/1']);
  });

  test('delivery attempts are retries + 1 within Pub/Sub\'s 5-100; bad settings and public publishers are refused', () => {
    expect([0, 3, 4, 10, 200].map(maxDeliveryAttempts)).toEqual([5, 5, 5, 11, 100]);
    expect(() => synth((scope) => build(scope, { upstreamTimeoutMs: 26_000, retryAttempts: -1 }))).toThrow(/retryAttempts -1: expected 0 to 99[\s\S]*upstreamTimeoutMs 26000: expected at most 25000/);
    expect(() =>
      synth((scope) => {
        build(scope);
        (scope.node.findChild('Streaming-churn') as StreamingInference).grantPublish('Anyone', 'allUsers');
      }),
    ).toThrow(/public publishers are not allowed/);
  });
});

describe('StreamingInference of a model on Cloud Run (gcp.servingOverride)', () => {
  const s = synth((scope) => build(scope, {}, 'cloudRun'));
  const fn = () => all(s, 'google_cloudfunctions2_function').find((f) => f.name === 'ms-dev-fn-stream-churn');

  test('the function calls the service\'s URL (identity token) and may invoke that service only: no Vertex AI predictor role', () => {
    expect(fn().service_config.environment_variables).toMatchObject({
      ENDPOINT_NAME: 'projects/ms-project/locations/europe-west1/services/ms-dev-serve-churn',
      CLOUD_RUN_URL: expect.stringMatching(/^\$\{google_cloud_run_v2_service\.Serve-churn_Service_\w+\.uri\}$/),
    });
    expect(fn().service_config.environment_variables.VERTEX_API_BASE_URL).toBeUndefined();
    const account = fn().service_config.service_account_email.replace('.email}', '.member}');
    expect(all(s, 'google_project_iam_member').filter((m) => m.member === account)).toEqual([]);
    const serviceInvokers = all(s, 'google_cloud_run_v2_service_iam_member').filter((m) => /Serve-churn_Service_/.test(m.name));
    expect(serviceInvokers).toEqual([expect.objectContaining({ role: 'roles/run.invoker', member: account })]);
    // The push account invokes the function, and nothing else.
    const functionInvokers = all(s, 'google_cloud_run_v2_service_iam_member').filter((m) => !/Serve-churn_Service_/.test(m.name));
    expect(functionInvokers).toEqual([expect.objectContaining({ role: 'roles/run.invoker', member: expect.stringMatching(/PushAccount_\w+\.member\}$/) })]);
    expect(fn().depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^google_cloud_run_v2_service_iam_member\.Serve-churn_Invoker-/)]));
  });

  test('a private endpoint address makes no sense for a Cloud Run service: refused', () => {
    expect(() => synth((scope) => build(scope, { privateEndpoint: { address: { baseUrl: 'http://10.0.0.5' }, connector: { id: 'c' } } as any }, 'cloudRun'))).toThrow(/privateEndpoint: a Cloud Run service is called at its own URL/);
  });
});
