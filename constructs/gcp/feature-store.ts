import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { VertexAiFeatureOnlineStore } from '@cdktf/provider-google/lib/vertex-ai-feature-online-store';
import { VertexAiFeatureOnlineStoreFeatureview } from '@cdktf/provider-google/lib/vertex-ai-feature-online-store-featureview';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { underscored } from './private/ids';
import { ServiceAgents } from './private/service-agents';

/** One entity served online: a feature view synced from a BigQuery table. */
export interface FeatureEntity {
  /** Feature view name: a lowercase letter, then lowercase letters, digits and underscores. */
  readonly name: string;
  /** The BigQuery table the view syncs from, as `bq://<project>.<dataset>.<table>`. */
  readonly sourceTable: string;
  /** Columns that identify an entity. */
  readonly entityIdColumns: readonly string[];
  /**
   * When the view syncs from BigQuery (cron, UTC).
   * @default '0 * * * *'
   */
  readonly syncCron?: string;
}

/** Properties of a {@link FeatureStore}. */
export interface FeatureStoreProps {
  /** Prefix of the store name, such as `modelstack-prod` (hyphens become underscores). */
  readonly namePrefix: string;
  /** GCP project id. */
  readonly project: string;
  /** Region of the online store and its views, such as `europe-west1`. */
  readonly region: string;
  /** At least one entity. */
  readonly entities: readonly FeatureEntity[];
  /**
   * Fewest Bigtable nodes the autoscaler keeps.
   * @default 1
   */
  readonly minNodeCount?: number;
  /**
   * Most Bigtable nodes the autoscaler adds.
   * @default 3
   */
  readonly maxNodeCount?: number;
  /**
   * Bigtable CPU utilization the autoscaler aims for, in percent.
   * @default 50
   */
  readonly cpuUtilizationTarget?: number;
  /**
   * Keep the store when the stack is destroyed (`prevent_destroy`; otherwise it is force-destroyed with its views).
   * @default true
   */
  readonly retainOnDelete?: boolean;
  /**
   * Labels on the store and its views.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Vertex AI Feature Store online store (Bigtable, autoscaled) with one feature view per entity, each synced
 * from its BigQuery table on a schedule. Vertex AI syncs as its service agent, which is granted read access on
 * each source dataset (and nothing else).
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { FeatureStore } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 *
 * new FeatureStore(stack, 'Features', {
 *   namePrefix: 'modelstack-prod',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 *   entities: [{ name: 'customer', sourceTable: 'bq://my-ml-project.features.customers', entityIdColumns: ['customer_id'] }],
 * });
 * ```
 */
export class FeatureStore extends Construct {
  /** The online store. */
  readonly store: VertexAiFeatureOnlineStore;
  /** One feature view per entity, in the order of `entities`. */
  readonly views: VertexAiFeatureOnlineStoreFeatureview[] = [];

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    validateProps(props);
    const retain = props.retainOnDelete ?? true;
    const agents = ServiceAgents.of(this, props.project);
    const vertexAgent = agents.vertex;
    this.store = new VertexAiFeatureOnlineStore(this, 'Store', {
      name: `${underscored(props.namePrefix)}_features`,
      project: props.project,
      region: props.region,
      bigtable: {
        autoScaling: {
          minNodeCount: props.minNodeCount ?? 1,
          maxNodeCount: props.maxNodeCount ?? 3,
          cpuUtilizationTarget: props.cpuUtilizationTarget ?? 50,
        },
      },
      forceDestroy: !retain,
      labels: props.labels,
      lifecycle: retain ? { preventDestroy: true } : undefined,
    });

    const readers = new Map<string, BigqueryDatasetIamMember>();
    for (const entity of props.entities) {
      const [project, dataset] = parseTable(entity.sourceTable)!;
      const key = `${project}.${dataset}`;
      if (!readers.has(key)) {
        readers.set(
          key,
          new BigqueryDatasetIamMember(this, `SyncReads-${key.replace(/\./g, '-')}`, { project, datasetId: dataset, role: 'roles/bigquery.dataViewer', member: vertexAgent }),
        );
      }
      this.views.push(
        new VertexAiFeatureOnlineStoreFeatureview(this, `View-${entity.name}`, {
          name: entity.name,
          project: props.project,
          region: props.region,
          featureOnlineStore: this.store.name,
          bigQuerySource: { uri: entity.sourceTable, entityIdColumns: [...entity.entityIdColumns] },
          syncConfig: { cron: entity.syncCron ?? '0 * * * *' },
          labels: props.labels,
          dependsOn: [agents.settled(readers.get(key)!)],
        }),
      );
    }
  }
}

/** `bq://p.d.t` → [p, d, t], or undefined. */
function parseTable(uri: string): [string, string, string] | undefined {
  const match = /^bq:\/\/([a-z][a-z0-9-]{4,28}[a-z0-9])\.(\w+)\.([\w$-]+)$/.exec(uri);
  return match ? [match[1], match[2], match[3]] : undefined;
}

function validateProps(props: FeatureStoreProps): void {
  const problems = new Problems('FeatureStore');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  problems.check(props.entities.length > 0, 'entities: expected at least one entity');
  const names = new Set<string>();
  props.entities.forEach((entity, i) => {
    problems.check(/^[a-z][a-z0-9_]{0,59}$/.test(entity.name), `entities[${i}].name "${entity.name}": expected lowercase letters, digits and underscores`);
    problems.check(!names.has(entity.name), `entities[${i}].name "${entity.name}": duplicate entity name`);
    names.add(entity.name);
    problems.check(parseTable(entity.sourceTable) !== undefined, `entities[${i}].sourceTable "${entity.sourceTable}": expected bq://<project>.<dataset>.<table>`);
    problems.check(entity.entityIdColumns.length > 0, `entities[${i}].entityIdColumns: expected at least one column`);
  });
  const min = props.minNodeCount ?? 1;
  const max = props.maxNodeCount ?? 3;
  problems.check(Number.isInteger(min) && min >= 1 && min <= max, `minNodeCount ${min}: expected a whole number from 1 to maxNodeCount (${max})`);
  const cpu = props.cpuUtilizationTarget ?? 50;
  problems.check(cpu >= 10 && cpu <= 80, `cpuUtilizationTarget ${cpu}: expected 10 to 80`);
  problems.throwIfAny();
}
