import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { type RegistryBucketKind, registryBucketName } from './private/registry-names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { objectPrefixCondition } from './private/iam';
import { stableDigest, underscored } from './private/ids';
import { ServiceAgents } from './private/service-agents';
import { deploymentStamp } from './private/time';

/** Properties of a {@link ModelRegistry}. */
export interface ModelRegistryProps {
  /** Prefix for resource names, such as `modelstack-dev`. Lowercase letters, digits and single hyphens. */
  readonly namePrefix: string;
  /** GCP project id. */
  readonly project: string;
  /** Region of the bucket and the key ring, such as `europe-west1` (CMEK keys must share the bucket's location). */
  readonly region: string;
  /**
   * Keep the buckets, the key and the request-log dataset when the stack is destroyed (Terraform `prevent_destroy`).
   * When false, destroying the stack deletes them with their contents (`force_destroy`, `delete_contents_on_destroy`).
   * @default true
   */
  readonly retainOnDelete?: boolean;
  /**
   * Days before non-current object versions are deleted.
   * @default 90
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * Days drift reports are kept. The reports bucket has a retention policy (objects cannot be replaced or
   * deleted before then) and deletes reports after it.
   * @default 30
   */
  readonly reportRetentionDays?: number;
  /**
   * How often the key rotates, in days.
   * @default 90
   */
  readonly keyRotationDays?: number;
  /**
   * Labels on every resource that supports them.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/** Which of the registry's buckets. */
export type RegistryBucket = 'artifacts' | 'baselines' | 'reports';

/** Which registry bucket, and which objects in it, an object grant covers. */
export interface ObjectGrantOptions {
  /**
   * The registry bucket.
   * @default 'artifacts'
   */
  readonly bucket?: RegistryBucket;
  /**
   * Only objects under this prefix (an IAM condition; listing stays bucket-wide, which shows names only).
   * @default - every object in the bucket
   */
  readonly prefix?: string;
}

/**
 * The Google Cloud model registry: three CMEK-encrypted GCS buckets with uniform bucket-level access and
 * public access prevention enforced (model artifacts and drift baselines versioned, drift reports under a
 * retention policy: GCS allows one or the other on a bucket, not both), a CMEK BigQuery dataset for Vertex AI
 * request-response logs, the KMS key ring and rotating key every one of them uses, and a service account
 * that may read the artifacts (and nothing else).
 *
 * @example
 * ```ts
 * import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
 * import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
 * import { App, TerraformStack } from 'cdktf';
 * import { ModelRegistry } from 'modelstack/gcp';
 *
 * const stack = new TerraformStack(new App(), 'models-dev');
 * new GoogleProvider(stack, 'google', { project: 'my-ml-project', region: 'europe-west1' });
 * const registry = new ModelRegistry(stack, 'Registry', {
 *   namePrefix: 'modelstack-dev',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 *   retainOnDelete: false,
 * });
 * const trainer = new ServiceAccount(stack, 'Trainer', { accountId: 'churn-trainer', project: 'my-ml-project' });
 * registry.grantCreate(trainer.member, { prefix: 'models/churn/' });
 * ```
 */
export class ModelRegistry extends Construct {
  /** The key ring of the registry key (`<namePrefix>-registry`). */
  readonly keyRing: KmsKeyRing;
  /** The rotating key that encrypts the buckets, the dataset, and the platform's topics, images and functions. */
  readonly cryptoKey: KmsCryptoKey;
  /** Model artifacts (`models/<model>/<version>/`), versioned. */
  readonly bucket: StorageBucket;
  /** Drift baselines, versioned. */
  readonly baselinesBucket: StorageBucket;
  /** Drift reports, under a retention policy. */
  readonly reportsBucket: StorageBucket;
  /** Where Vertex AI writes request-response logs, one table per endpoint. */
  readonly requestLogDataset: BigqueryDataset;
  /** Reads objects in the registry and decrypts them. */
  readonly readerServiceAccount: ServiceAccount;
  /** The project's Cloud Storage service agent (it publishes the buckets' notifications). */
  readonly storageAgentMember: string;
  /** The registry's name prefix, such as `modelstack-dev`: the default of the constructs built on it. */
  readonly namePrefix: string;
  /** The GCP project id of the registry: the default of the constructs built on it. */
  readonly project: string;
  /** The registry's region, such as `europe-west1`: the default of the constructs built on it. */
  readonly region: string;

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id);
    validateProps(props);
    const { project, region } = props;
    this.namePrefix = props.namePrefix;
    this.project = project;
    this.region = region;
    const retain = props.retainOnDelete ?? true;
    const lifecycle = retain ? { preventDestroy: true } : undefined;

    // Key rings and keys cannot be deleted: destroying one only removes it from the state, and creating the same name
    // again fails with 409 (https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/kms_key_ring).
    // The deployment stamp makes each deployment's key ring a new one, so destroy-then-deploy works.
    this.keyRing = new KmsKeyRing(this, 'KeyRing', { name: `${props.namePrefix}-registry-${deploymentStamp(this)}`, location: region, project });
    this.cryptoKey = new KmsCryptoKey(this, 'Key', {
      name: 'registry',
      keyRing: this.keyRing.id,
      purpose: 'ENCRYPT_DECRYPT',
      rotationPeriod: `${(props.keyRotationDays ?? 90) * 86400}s`,
      labels: props.labels,
      lifecycle,
    });

    // GCS encrypts with the key on the bucket's behalf, as the project's Cloud Storage service agent.
    const agents = ServiceAgents.of(this, project);
    this.storageAgentMember = agents.storage;
    const agentCanUseKey = agents.settled(this.grantKeyUse('StorageAgent', agents.storage));

    const versioned = (id: string, kind: RegistryBucketKind) =>
      new StorageBucket(this, id, {
        ...secureBucket(props.namePrefix, kind, project, region, this.cryptoKey.id, !retain),
        versioning: { enabled: true },
        lifecycleRule: [
          {
            action: { type: 'Delete' },
            condition: { daysSinceNoncurrentTime: props.noncurrentVersionRetentionDays ?? 90, withState: 'ARCHIVED' },
          },
          { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
        ],
        labels: props.labels,
        lifecycle,
        dependsOn: [agentCanUseKey],
      });
    this.bucket = versioned('Bucket', 'models');
    this.baselinesBucket = versioned('Baselines', 'baselines');

    const reportDays = props.reportRetentionDays ?? 30;
    this.reportsBucket = new StorageBucket(this, 'Reports', {
      ...secureBucket(props.namePrefix, 'reports', project, region, this.cryptoKey.id, !retain),
      // Not locked: a locked policy can never be shortened or removed, which is a decision for the operator.
      retentionPolicy: { retentionPeriod: reportDays * 86400, isLocked: false },
      lifecycleRule: [
        { action: { type: 'Delete' }, condition: { age: reportDays } },
        { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
      ],
      labels: props.labels,
      lifecycle,
      dependsOn: [agentCanUseKey],
    });

    // BigQuery encrypts the dataset's tables as its own service agent, which must be able to use the key first.
    const bigqueryCanUseKey = agents.settled(this.grantKeyUse('BigQueryAgent', agents.bigquery));
    this.requestLogDataset = new BigqueryDataset(this, 'RequestLogs', {
      datasetId: `${underscored(props.namePrefix)}_request_logs`,
      project,
      location: region,
      description: `${props.namePrefix} Vertex AI request-response logs`,
      defaultEncryptionConfiguration: { kmsKeyName: this.cryptoKey.id },
      // Vertex AI adds a table per endpoint; without this a destroy stops at a non-empty dataset.
      deleteContentsOnDestroy: !retain,
      labels: props.labels,
      lifecycle,
      dependsOn: [bigqueryCanUseKey],
    });

    this.readerServiceAccount = new ServiceAccount(this, 'Reader', {
      accountId: boundedName([props.namePrefix, 'reader'], 30),
      displayName: `${props.namePrefix} model registry reader`,
      project,
    });
    new StorageBucketIamMember(this, 'ReaderObjects', {
      bucket: this.bucket.name,
      role: 'roles/storage.objectViewer',
      member: this.readerServiceAccount.member,
    });
    // No key grant: Cloud Storage decrypts CMEK objects as its service agent; a reader needs storage.objects.get
    // only (https://cloud.google.com/storage/docs/encryption/using-customer-managed-keys, "Before you begin").
  }

  /**
   * Lets `member` (a Google service agent) encrypt and decrypt with the registry key. Idempotent per `id`, so
   * every construct that needs the same agent can ask.
   */
  grantKeyUse(id: string, member: string): KmsCryptoKeyIamMember {
    return this.once(`${id}KeyAccess`, (grantId) => new KmsCryptoKeyIamMember(this, grantId, { cryptoKeyId: this.cryptoKey.id, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member }));
  }

  /**
   * Lets `member` read and list objects (`roles/storage.objectViewer`) in one of the registry's buckets, or only
   * under `options.prefix`. Asking twice for the same grant returns the first one.
   */
  grantRead(member: string, options: ObjectGrantOptions = {}): StorageBucketIamMember {
    return this.grantObjectRole('Reads', 'roles/storage.objectViewer', member, options);
  }

  /**
   * Lets `member` create objects (`roles/storage.objectCreator`): write-once, it can neither read, replace nor
   * delete an object (https://cloud.google.com/storage/docs/access-control/iam-roles). Asking twice for the same
   * grant returns the first one.
   */
  grantCreate(member: string, options: ObjectGrantOptions = {}): StorageBucketIamMember {
    return this.grantObjectRole('Creates', 'roles/storage.objectCreator', member, options);
  }

  /**
   * Lets `member` create, read, list, replace and delete objects (`roles/storage.objectUser`). Asking twice for the
   * same grant returns the first one.
   */
  grantReadWrite(member: string, options: ObjectGrantOptions = {}): StorageBucketIamMember {
    return this.grantObjectRole('ReadsWrites', 'roles/storage.objectUser', member, options);
  }

  /** Lets `member` write tables in the request-log dataset (Vertex AI creates one per endpoint). Idempotent per `id`. */
  grantRequestLogWrite(id: string, member: string): BigqueryDatasetIamMember {
    return this.once(id, (grantId) =>
      new BigqueryDatasetIamMember(this, grantId, { datasetId: this.requestLogDataset.datasetId, project: this.requestLogDataset.project, role: 'roles/bigquery.dataEditor', member }),
    );
  }

  /** An object grant named for what it allows and on which bucket, its id derived from role, bucket, prefix and member. */
  private grantObjectRole(verb: string, role: string, member: string, { bucket = 'artifacts', prefix }: ObjectGrantOptions): StorageBucketIamMember {
    const id = `${verb}${bucket[0].toUpperCase()}${bucket.slice(1)}-${stableDigest([role, bucket, prefix ?? '', member])}`;
    const target = { artifacts: this.bucket, baselines: this.baselinesBucket, reports: this.reportsBucket }[bucket];
    return this.once(id, (grantId) =>
      new StorageBucketIamMember(this, grantId, { bucket: target.name, role, member, condition: prefix === undefined ? undefined : objectPrefixCondition(target.name, prefix) }),
    );
  }

  /** The child `id` if a grant made it already, else the one `create` makes: the registry's one idempotency rule. */
  private once<T extends Construct>(id: string, create: (id: string) => T): T {
    return (this.node.tryFindChild(id) as T | undefined) ?? create(id);
  }
}

/** What every registry bucket shares: CMEK, uniform access, public access prevention; force destroy only when not retained. */
function secureBucket(namePrefix: string, kind: RegistryBucketKind, project: string, region: string, kmsKeyName: string, forceDestroy: boolean) {
  return {
    name: registryBucketName(namePrefix, kind, project),
    project,
    location: region.toUpperCase(),
    storageClass: 'STANDARD',
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'enforced',
    encryption: { defaultKmsKeyName: kmsKeyName },
    // Versioned buckets keep non-current versions: without force_destroy a destroy stops at a non-empty bucket.
    // Reports under an unexpired retention policy still cannot be deleted (see docs/operations.md).
    forceDestroy,
  };
}

function validateProps(props: ModelRegistryProps): void {
  const problems = new Problems('ModelRegistry (GCP)');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  problems.check(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(props.project), `project "${props.project}": expected a GCP project id`);
  problems.check(/^[a-z]+-[a-z]+\d+$/.test(props.region), `region "${props.region}": expected a GCP region such as europe-west1`);
  const days = props.noncurrentVersionRetentionDays ?? 90;
  problems.check(Number.isInteger(days) && days >= 1, `noncurrentVersionRetentionDays ${days}: expected a whole number of days, at least 1`);
  const reports = props.reportRetentionDays ?? 30;
  problems.check(Number.isInteger(reports) && reports >= 1 && reports <= 3650, `reportRetentionDays ${reports}: expected 1 to 3650`);
  const rotation = props.keyRotationDays ?? 90;
  problems.check(Number.isInteger(rotation) && rotation >= 1 && rotation <= 36500, `keyRotationDays ${rotation}: expected 1 to 36500`);
  problems.throwIfAny();
}
