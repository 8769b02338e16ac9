import 'cdktf/lib/testing/adapters/jest';
import { VertexAiEndpoint } from '@cdktf/provider-google/lib/vertex-ai-endpoint';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { ModelEndpoint, type ModelEndpointProps } from '../../constructs/gcp/model-endpoint';
import { EncryptedTopic } from '../../constructs/gcp/encrypted-topic';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { numericId } from '../../constructs/gcp/private/ids';
import { all, synth } from './helpers';

Testing.setupJest();

// The agent is created first (google_project_service_identity), and every grant names it through that resource.
const VERTEX_AGENT = /^\$\{google_project_service_identity\.ServiceAgents-my-ml-project_Identity-vertex_\w+\.member\}$/;

function endpoints(...variants: Array<Partial<ModelEndpointProps> & { model: string }>) {
  const made: ModelEndpoint[] = [];
  const s = synth((scope: Construct) => {
    const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project: 'my-ml-project', region: 'europe-west1' });
    for (const v of variants) made.push(new ModelEndpoint(scope, `E-${v.model}`, { registry, namePrefix: 'ms-dev', project: 'my-ml-project', region: 'europe-west1', ...v }));
  });
  return { ...s, made };
}

describe('ModelEndpoint (GCP)', () => {
  test('name prefix, project and region default to the registry\'s, for the endpoint and the constructs around it', () => {
    let endpoint!: ModelEndpoint;
    let platform!: FunctionPlatform;
    const s = synth((scope: Construct) => {
      const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-prod', project: 'prod-project', region: 'europe-west4' });
      endpoint = new ModelEndpoint(scope, 'Churn', { registry, model: 'churn' });
      platform = new FunctionPlatform(scope, 'Functions', { registry });
      new EncryptedTopic(scope, 'Topic', { registry, name: 'ms-prod-DriftDetected' });
    });
    expect(endpoint.displayName).toBe('ms-prod-churn');
    expect(endpoint.resourceName).toBe(`projects/prod-project/locations/europe-west4/endpoints/${numericId('ms-prod-churn')}`);
    expect([platform.namePrefix, platform.project, platform.region]).toEqual(['ms-prod', 'prod-project', 'europe-west4']);
    expect(all(s, 'google_vertex_ai_endpoint')).toEqual([expect.objectContaining({ project: 'prod-project', location: 'europe-west4', region: 'europe-west4' })]);
    expect(all(s, 'google_artifact_registry_repository')).toEqual([expect.objectContaining({ project: 'prod-project', location: 'europe-west4', repository_id: 'ms-prod-functions' })]);
    expect(all(s, 'google_pubsub_topic')).toEqual([expect.objectContaining({ project: 'prod-project', name: 'ms-prod-DriftDetected' })]);
  });

  test('CMEK, request-response logging to BigQuery at the sampling rate, a stable numeric id, traffic left to the deploy tool', () => {
    const s = endpoints({ model: 'churn', samplingPercentage: 20 });
    const [endpoint] = s.made;
    expect(endpoint.endpointId).toBe(numericId('ms-dev-churn'));
    expect(endpoint.endpointId).toMatch(/^[1-9]\d{9}$/);
    expect(endpoint.resourceName).toBe(`projects/my-ml-project/locations/europe-west1/endpoints/${endpoint.endpointId}`);
    expect(s.json).toHaveResourceWithProperties(VertexAiEndpoint, {
      name: endpoint.endpointId,
      display_name: 'ms-dev-churn',
      location: 'europe-west1',
      encryption_spec: { kms_key_name: expect.stringMatching(/google_kms_crypto_key\.Registry_Key_\w+\.id/) },
      predict_request_response_logging_config: {
        enabled: true,
        sampling_rate: 0.2,
        bigquery_destination: { output_uri: expect.stringMatching(/^bq:\/\/my-ml-project\.\$\{google_bigquery_dataset\.Registry_RequestLogs_\w+\.dataset_id\}\.request_response_churn$/) },
      },
      lifecycle: { ignore_changes: ['traffic_split'] },
    });
    // Vertex AI's agent may use the key, write the logs and read artifacts, before the endpoint exists.
    const vertexGrants = [...all(s, 'google_kms_crypto_key_iam_member'), ...all(s, 'google_bigquery_dataset_iam_member'), ...all(s, 'google_storage_bucket_iam_member')].filter((g) =>
      VERTEX_AGENT.test(g.member),
    );
    expect(vertexGrants.map((g) => g.role).sort()).toEqual(['roles/bigquery.dataEditor', 'roles/cloudkms.cryptoKeyEncrypterDecrypter', 'roles/storage.objectViewer']);
    // The endpoint waits for the key and log grants to apply (time_sleep after each).
    expect(all(s, 'google_vertex_ai_endpoint')[0].depends_on).toEqual([
      expect.stringMatching(/^time_sleep\.ServiceAgents-my-ml-project_Settled-Registry_VertexAgentKeyAccess_\w+$/),
      expect.stringMatching(/^time_sleep\.ServiceAgents-my-ml-project_Settled-Registry_VertexAgentWritesLogs_\w+$/),
    ]);
    expect(all(s, 'google_project_service_identity')).toEqual([expect.objectContaining({ service: 'aiplatform.googleapis.com', project: 'my-ml-project', provider: 'google-beta' })]);
  });

  test('the Vertex AI agent reads every model\'s artifacts: exactly objects under models/ (not models//)', () => {
    const s = endpoints({ model: 'churn' }, { model: 'sales' });
    const reads = all(s, 'google_storage_bucket_iam_member').filter((g) => VERTEX_AGENT.test(g.member));
    expect(reads).toHaveLength(1);
    expect(reads[0].role).toBe('roles/storage.objectViewer');
    expect(reads[0].condition.expression).toMatch(
      /^resource\.type == "storage\.googleapis\.com\/Bucket" \|\| resource\.name\.startsWith\("projects\/_\/buckets\/\$\{google_storage_bucket\.Registry_Bucket_\w+\.name\}\/objects\/models\/"\)$/,
    );
    expect(reads[0].condition.title).toBe('only models/');
  });

  test('no logging at 0%, private service connect and VPC peering, shared agent grants', () => {
    const s = endpoints(
      { model: 'plain' },
      { model: 'psc', network: { kind: 'psc', projectAllowlist: ['consumer-project', 'my-ml-project'] } },
      { model: 'peered', network: { kind: 'vpc', network: 'projects/123456/global/networks/ml' } },
    );
    const byName = (model: string) => all(s, 'google_vertex_ai_endpoint').find((e) => e.display_name === `ms-dev-${model}`);
    const [plain, psc, peered] = ['plain', 'psc', 'peered'].map(byName);
    expect(plain.predict_request_response_logging_config).toBeUndefined();
    expect(plain.private_service_connect_config).toBeUndefined();
    expect(plain.network).toBeUndefined();
    expect(psc.private_service_connect_config).toEqual({ enable_private_service_connect: true, project_allowlist: ['my-ml-project', 'consumer-project'] });
    expect(peered.network).toBe('projects/123456/global/networks/ml');
    expect(all(s, 'google_kms_crypto_key_iam_member').filter((g) => VERTEX_AGENT.test(g.member))).toHaveLength(1);
    expect(new Set(s.made.map((e) => e.endpointId)).size).toBe(3);
    expect(s.made[0].metricFilter('m')).toBe(`resource.type = "aiplatform.googleapis.com/Endpoint" AND resource.labels.endpoint_id = "${s.made[0].endpointId}" AND metric.type = "m"`);
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => endpoints({ model: 'Churn', namePrefix: 'x_y', samplingPercentage: 120, network: { kind: 'vpc', network: 'default' } })).toThrow(
      'ModelEndpoint (GCP): invalid props\n' +
        '  - namePrefix "x_y": expected lowercase letters, digits and single hyphens\n' +
        '  - model "Churn": expected lowercase letters, digits and single hyphens\n' +
        '  - samplingPercentage 120: expected a whole number from 0 to 100\n' +
        '  - network.network "default": expected projects/<project number>/global/networks/<name>',
    );
  });
});
