import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnFeatureGroup } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { IModelRegistry } from './model-registry';
import { acknowledgeWildcardResource } from './private/nag';
import { operationsLayout } from './private/operations-layout';

/** One entity's feature group. */
export interface FeatureGroupSpec {
  /** Entity name; the group is `<namePrefix>-<name>`. */
  readonly name: string;
  /** Feature that identifies a record. */
  readonly recordIdentifier: string;
  /** Feature holding the record's event time. */
  readonly eventTime: string;
  /** The group's features; they must include `recordIdentifier` and `eventTime`. */
  readonly features: readonly {
    /** Feature name. */
    readonly name: string;
    /** Feature Store type: `string` (String), `integral` (Integral) or `fractional` (Fractional). */
    readonly type: 'string' | 'integral' | 'fractional';
  }[];
}

/** Properties of a {@link FeatureStore}. */
export interface FeatureStoreProps {
  /** Prefix of the group names, such as `modelstack-prod`. */
  readonly namePrefix: string;
  /** The registry: its bucket holds the offline store (under `feature-store/`) and its key encrypts both stores. */
  readonly registry: IModelRegistry;
  /** Feature groups, one per entity. At least one. */
  readonly groups: readonly FeatureGroupSpec[];
  /**
   * What happens to the feature groups when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const FEATURE_TYPES = { string: 'String', integral: 'Integral', fractional: 'Fractional' } as const;

/**
 * SageMaker Feature Store groups, one per entity, each with an online store (KMS-encrypted) and an offline store in
 * the registry bucket under `feature-store/` (SSE-KMS), written by a role that may only write there.
 * `grantRead`/`grantWrite` give least-privilege access to one group's online records.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as lambda from 'aws-cdk-lib/aws-lambda';
 * import { FeatureStore, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * declare const inferenceFunction: lambda.IFunction;
 *
 * const store = new FeatureStore(stack, 'Features', {
 *   namePrefix: 'modelstack-prod',
 *   registry,
 *   groups: [
 *     {
 *       name: 'customer',
 *       recordIdentifier: 'customer_id',
 *       eventTime: 'event_time',
 *       features: [
 *         { name: 'customer_id', type: 'string' },
 *         { name: 'event_time', type: 'string' },
 *         { name: 'tenure_months', type: 'integral' },
 *       ],
 *     },
 *   ],
 * });
 * store.grantRead(inferenceFunction, 'customer');
 * ```
 */
export class FeatureStore extends Construct {
  /** The feature groups, by entity name. */
  readonly groups: Readonly<Record<string, CfnFeatureGroup>>;
  /** The role SageMaker writes the offline store with. */
  readonly offlineStoreRole: iam.Role;
  private readonly props: FeatureStoreProps;

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    validateProps(props);
    this.props = props;
    const { registry } = props;
    const stack = Stack.of(this);

    this.offlineStoreRole = new iam.Role(this, 'OfflineStoreRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Feature Store offline store writer of ${props.namePrefix}`,
    });
    const objects = registry.bucket.arnForObjects(`${operationsLayout.featureStorePrefix}*`);
    const policy = new iam.Policy(this, 'OfflineStorePolicy', {
      roles: [this.offlineStoreRole],
      statements: [
        // What AWS's AmazonSageMakerFeatureStoreAccess grants for the offline store (s3:PutObject, s3:PutObjectAcl,
        // s3:GetBucketAcl; s3:GetObject of its metadata), scoped to our prefix; its Glue actions are not needed (no table).
        new iam.PolicyStatement({ sid: 'Bucket', actions: ['s3:GetBucketAcl'], resources: [registry.bucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'OfflineStore', actions: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject'], resources: [objects] }),
        new iam.PolicyStatement({ sid: 'OfflineStoreKey', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [registry.encryptionKey.keyArn] }),
      ],
    });
    acknowledgeWildcardResource(policy, objects, 'The offline store writes one object per record batch under the feature-store prefix only.');

    const groups: Record<string, CfnFeatureGroup> = {};
    for (const group of props.groups) {
      groups[group.name] = new CfnFeatureGroup(this, `Group-${group.name}`, {
        featureGroupName: this.featureGroupName(group.name),
        description: `Features of ${group.name} (${props.namePrefix})`,
        recordIdentifierFeatureName: group.recordIdentifier,
        eventTimeFeatureName: group.eventTime,
        featureDefinitions: group.features.map((f) => ({ featureName: f.name, featureType: FEATURE_TYPES[f.type] })),
        // These two properties are untyped JSON in the L1, so they take CloudFormation's PascalCase names.
        onlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: registry.encryptionKey.keyArn } },
        offlineStoreConfig: {
          S3StorageConfig: { S3Uri: registry.bucket.s3UrlForObject(operationsLayout.featureStorePrefix.replace(/\/$/, '')), KmsKeyId: registry.encryptionKey.keyArn },
          // No Glue table: the offline store role then needs no Glue permissions; catalog it with a crawler if wanted.
          DisableGlueTableCreation: true,
        },
        roleArn: this.offlineStoreRole.roleArn,
      });
      groups[group.name].node.addDependency(policy);
      groups[group.name].applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    }
    this.groups = groups;
  }

  /** The feature group name of `entity`: `<namePrefix>-<entity>`. */
  featureGroupName(entity: string): string {
    return `${this.props.namePrefix}-${entity}`;
  }

  /** The feature group ARN of `entity`; throws for an entity this store does not have. */
  featureGroupArn(entity: string): string {
    this.assertKnown(entity);
    return Stack.of(this).formatArn({ service: 'sagemaker', resource: 'feature-group', resourceName: this.featureGroupName(entity) });
  }

  /** Lets `grantee` read one entity's online records (GetRecord, BatchGetRecord). */
  grantRead(grantee: iam.IGrantable, entity: string): iam.Grant {
    this.props.registry.encryptionKey.grantDecrypt(grantee);
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:GetRecord', 'sagemaker:BatchGetRecord'], resourceArns: [this.featureGroupArn(entity)] });
  }

  /** Lets `grantee` write one entity's records (PutRecord, DeleteRecord). */
  grantWrite(grantee: iam.IGrantable, entity: string): iam.Grant {
    this.props.registry.encryptionKey.grantEncryptDecrypt(grantee);
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:PutRecord', 'sagemaker:DeleteRecord'], resourceArns: [this.featureGroupArn(entity)] });
  }

  private assertKnown(entity: string): void {
    if (!this.groups[entity]) throw new Error(`FeatureStore: unknown entity "${entity}": expected one of ${Object.keys(this.groups).join(', ')}`);
  }
}

function validateProps(props: FeatureStoreProps): void {
  const problems = new Problems('FeatureStore');
  problems.check(props.groups.length > 0, 'groups: expected at least one feature group');
  props.groups.forEach((g, i) => {
    const names = g.features.map((f) => f.name);
    problems.check(SAFE_RESOURCE_NAME.test(g.name), `groups[${i}].name "${g.name}": expected lowercase letters, digits and single hyphens`);
    problems.check(`${props.namePrefix}-${g.name}`.length <= 64, `groups[${i}].name: namePrefix + name is longer than 64 characters`);
    problems.check(names.includes(g.recordIdentifier), `groups[${i}].recordIdentifier "${g.recordIdentifier}": expected one of the features`);
    problems.check(names.includes(g.eventTime), `groups[${i}].eventTime "${g.eventTime}": expected one of the features`);
    problems.check(new Set(names).size === names.length, `groups[${i}].features: duplicate feature names`);
  });
  problems.throwIfAny();
}
