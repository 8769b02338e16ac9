import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';

export interface ModelRegistryProps {
  /** Prefix for resource names, such as `modelstack-dev`. Lowercase letters, digits and single hyphens. */
  readonly namePrefix: string;
  /** GCP project id. */
  readonly project: string;
  /** Region of the bucket and the key ring, such as `europe-west1` (CMEK keys must share the bucket's location). */
  readonly region: string;
  /**
   * Keep the bucket and key when the stack is destroyed (Terraform `prevent_destroy`).
   * @default true
   */
  readonly retainOnDelete?: boolean;
  /**
   * Days before non-current object versions are deleted.
   * @default 90
   */
  readonly noncurrentVersionRetentionDays?: number;
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

/**
 * The Google Cloud model registry: a CMEK-encrypted, versioned GCS bucket with uniform bucket-level access and
 * public access prevention enforced, its KMS key ring and rotating key, and a service account that may read
 * the registry (and nothing else).
 *
 * @example
 * const registry = new ModelRegistry(stack, 'Registry', {
 *   namePrefix: 'modelstack-dev',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 *   retainOnDelete: false,
 * });
 * // registry.bucket.name, registry.cryptoKey.id, registry.readerServiceAccount.email
 */
export class ModelRegistry extends Construct {
  readonly keyRing: KmsKeyRing;
  readonly cryptoKey: KmsCryptoKey;
  readonly bucket: StorageBucket;
  /** Reads objects in the registry and decrypts them. */
  readonly readerServiceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id);
    validateProps(props);
    const { project, region } = props;
    const retain = props.retainOnDelete ?? true;
    const lifecycle = retain ? { preventDestroy: true } : undefined;

    // Key rings cannot be deleted in GCP; destroying one only removes it from state.
    this.keyRing = new KmsKeyRing(this, 'KeyRing', { name: `${props.namePrefix}-registry`, location: region, project });
    this.cryptoKey = new KmsCryptoKey(this, 'Key', {
      name: 'registry',
      keyRing: this.keyRing.id,
      purpose: 'ENCRYPT_DECRYPT',
      rotationPeriod: `${(props.keyRotationDays ?? 90) * 86400}s`,
      labels: props.labels,
      lifecycle,
    });

    // GCS encrypts with the key on the bucket's behalf, as the project's Cloud Storage service agent.
    const storageAgent = new DataGoogleStorageProjectServiceAccount(this, 'StorageAgent', { project });
    const agentCanUseKey = new KmsCryptoKeyIamMember(this, 'StorageAgentKeyAccess', {
      cryptoKeyId: this.cryptoKey.id,
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: storageAgent.member,
    });

    this.bucket = new StorageBucket(this, 'Bucket', {
      // Bucket names are global; the project id makes this one unique.
      name: boundedName([props.namePrefix, 'models', project], 63),
      project,
      location: region.toUpperCase(),
      storageClass: 'STANDARD',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: this.cryptoKey.id },
      lifecycleRule: [
        {
          action: { type: 'Delete' },
          condition: { daysSinceNoncurrentTime: props.noncurrentVersionRetentionDays ?? 90, withState: 'ARCHIVED' },
        },
        { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
      ],
      forceDestroy: false,
      labels: props.labels,
      lifecycle,
      dependsOn: [agentCanUseKey],
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
    new KmsCryptoKeyIamMember(this, 'ReaderKeyAccess', {
      cryptoKeyId: this.cryptoKey.id,
      role: 'roles/cloudkms.cryptoKeyDecrypter',
      member: this.readerServiceAccount.member,
    });
  }
}

function validateProps(props: ModelRegistryProps): void {
  const problems = new Problems('ModelRegistry (GCP)');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  problems.check(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(props.project), `project "${props.project}": expected a GCP project id`);
  problems.check(/^[a-z]+-[a-z]+\d+$/.test(props.region), `region "${props.region}": expected a GCP region such as europe-west1`);
  const days = props.noncurrentVersionRetentionDays ?? 90;
  problems.check(Number.isInteger(days) && days >= 1, `noncurrentVersionRetentionDays ${days}: expected a whole number of days, at least 1`);
  const rotation = props.keyRotationDays ?? 90;
  problems.check(Number.isInteger(rotation) && rotation >= 1 && rotation <= 36500, `keyRotationDays ${rotation}: expected 1 to 36500`);
  problems.throwIfAny();
}
