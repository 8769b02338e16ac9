import 'cdktf/lib/testing/adapters/jest';
import { VertexAiFeatureOnlineStore } from '@cdktf/provider-google/lib/vertex-ai-feature-online-store';
import { VertexAiFeatureOnlineStoreFeatureview } from '@cdktf/provider-google/lib/vertex-ai-feature-online-store-featureview';
import { Testing } from 'cdktf';
import { FeatureStore, type FeatureStoreProps } from '../../constructs/gcp/feature-store';
import { all, synth } from './helpers';

Testing.setupJest();

const project = 'my-ml-project';

describe('FeatureStore (GCP)', () => {
  const customer = { name: 'customer', sourceTable: 'bq://feature-project.features.customers', entityIdColumns: ['customer_id'] };
  const store = (props: Partial<FeatureStoreProps> = {}) =>
    synth((scope) => new FeatureStore(scope, 'Features', { namePrefix: 'ms-prod', project, region: 'europe-west1', entities: [customer], ...props }));

  test('a Bigtable online store with a synced view per entity; Vertex AI may read each source dataset', () => {
    const s = store({ entities: [customer, { ...customer, name: 'account', syncCron: '0 3 * * *' }] });
    expect(s.json).toHaveResourceWithProperties(VertexAiFeatureOnlineStore, {
      name: 'ms_prod_features',
      region: 'europe-west1',
      bigtable: { auto_scaling: { min_node_count: 1, max_node_count: 3, cpu_utilization_target: 50 } },
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(s.json).toHaveResourceWithProperties(VertexAiFeatureOnlineStoreFeatureview, {
      name: 'account',
      big_query_source: { uri: 'bq://feature-project.features.customers', entity_id_columns: ['customer_id'] },
      sync_config: { cron: '0 3 * * *' },
    });
    expect(all(s, 'google_vertex_ai_feature_online_store_featureview')).toHaveLength(2);
    expect(all(s, 'google_bigquery_dataset_iam_member')).toEqual([
      expect.objectContaining({ project: 'feature-project', dataset_id: 'features', role: 'roles/bigquery.dataViewer', member: expect.stringMatching(/^\$\{google_project_service_identity\.ServiceAgents-my-ml-project_Identity-vertex_\w+\.member\}$/) }),
    ]);
    // Each view syncs only after its read grant has applied.
    for (const view of all(s, 'google_vertex_ai_feature_online_store_featureview')) expect(view.depends_on).toEqual([expect.stringMatching(/^time_sleep\..*Settled-Features_SyncReads-feature-project-features_/)]);
    const disposable = all(store({ retainOnDelete: false }), 'google_vertex_ai_feature_online_store')[0];
    expect(disposable).toMatchObject({ force_destroy: true });
    expect(disposable.lifecycle).toBeUndefined();
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => store({ entities: [{ ...customer, name: 'Customer', sourceTable: 'features.customers', entityIdColumns: [] }, customer, customer], minNodeCount: 4, cpuUtilizationTarget: 90 })).toThrow(
      'FeatureStore: invalid props\n' +
        '  - entities[0].name "Customer": expected lowercase letters, digits and underscores\n' +
        '  - entities[0].sourceTable "features.customers": expected bq://<project>.<dataset>.<table>\n' +
        '  - entities[0].entityIdColumns: expected at least one column\n' +
        '  - entities[2].name "customer": duplicate entity name\n' +
        '  - minNodeCount 4: expected a whole number from 1 to maxNodeCount (3)\n' +
        '  - cpuUtilizationTarget 90: expected 10 to 80',
    );
    expect(() => store({ entities: [] })).toThrow('entities: expected at least one entity');
  });
});
