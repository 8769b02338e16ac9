import 'cdktf/lib/testing/adapters/jest';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Testing } from 'cdktf';
import { ModelRegistry, type ModelRegistryProps } from '../../constructs/gcp/model-registry';

Testing.setupJest();

const base: ModelRegistryProps = { namePrefix: 'ms-dev', project: 'my-ml-project', region: 'europe-west1' };

function synth(props: Partial<ModelRegistryProps> = {}) {
  const json = Testing.synthScope((scope) => {
    new ModelRegistry(scope, 'Registry', { ...base, ...props });
  });
  return { json, parsed: JSON.parse(json) as { resource: Record<string, Record<string, any>> } };
}

const only = (parsed: ReturnType<typeof synth>['parsed'], type: string) => Object.values(parsed.resource[type]);

describe('ModelRegistry (GCP)', () => {
  test('bucket: uniform access, public access prevention, CMEK, versioning, lifecycle', () => {
    const { json } = synth();
    expect(json).toHaveResourceWithProperties(StorageBucket, {
      name: 'ms-dev-models-my-ml-project',
      location: 'EUROPE-WEST1',
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      versioning: { enabled: true },
      encryption: { default_kms_key_name: expect.stringMatching(/^\$\{google_kms_crypto_key\.Registry_Key_\w+\.id\}$/) },
      force_destroy: false,
      lifecycle_rule: [
        { action: { type: 'Delete' }, condition: { days_since_noncurrent_time: 90, with_state: 'ARCHIVED' } },
        { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
      ],
    });
  });

  test('the key rotates, and the storage agent may use it before the bucket is created', () => {
    const { json, parsed } = synth({ keyRotationDays: 30 });
    expect(json).toHaveResourceWithProperties(KmsCryptoKey, { rotation_period: '2592000s', purpose: 'ENCRYPT_DECRYPT' });
    expect(json).toHaveResourceWithProperties(KmsCryptoKeyIamMember, {
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: expect.stringMatching(/^\$\{data\.google_storage_project_service_account\.Registry_StorageAgent_\w+\.member\}$/),
    });
    const [bucket] = only(parsed, 'google_storage_bucket');
    expect(bucket.depends_on).toEqual([expect.stringMatching(/^google_kms_crypto_key_iam_member\.Registry_StorageAgentKeyAccess_\w+$/)]);
  });

  test('data is retained by default (prevent_destroy) and disposable when asked', () => {
    const kept = synth().parsed;
    expect(only(kept, 'google_storage_bucket')[0].lifecycle).toEqual({ prevent_destroy: true });
    expect(only(kept, 'google_kms_crypto_key')[0].lifecycle).toEqual({ prevent_destroy: true });
    const disposable = synth({ retainOnDelete: false }).parsed;
    expect(only(disposable, 'google_storage_bucket')[0].lifecycle).toBeUndefined();
  });

  test('a reader service account gets object read and decrypt, and no public member exists', () => {
    const { json } = synth();
    expect(json).toHaveResourceWithProperties(ServiceAccount, { account_id: 'ms-dev-reader' });
    expect(json).toHaveResourceWithProperties(StorageBucketIamMember, { role: 'roles/storage.objectViewer' });
    expect(json).toHaveResourceWithProperties(KmsCryptoKeyIamMember, { role: 'roles/cloudkms.cryptoKeyDecrypter' });
    expect(json).not.toMatch(/allUsers|allAuthenticatedUsers/);
    expect(json).not.toMatch(/roles\/(owner|editor|storage\.admin)/);
  });

  test('long names stay within GCP limits and stay distinct', () => {
    const { parsed } = synth({ namePrefix: 'a-very-long-platform-name-production', project: 'a-rather-long-project-id-123' });
    const bucket = only(parsed, 'google_storage_bucket')[0];
    const account = only(parsed, 'google_service_account')[0];
    expect(bucket.name.length).toBeLessThanOrEqual(63);
    expect(account.account_id.length).toBeLessThanOrEqual(30);
    expect(account.account_id).toMatch(/^a-very-long-platform-[0-9a-f]{8}$/);
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => synth({ namePrefix: 'Bad', project: 'x', region: 'Europe', noncurrentVersionRetentionDays: 0, keyRotationDays: 0.5 })).toThrow(
      'ModelRegistry (GCP): invalid props\n' +
        '  - namePrefix "Bad": expected lowercase letters, digits and single hyphens\n' +
        '  - project "x": expected a GCP project id\n' +
        '  - region "Europe": expected a GCP region such as europe-west1\n' +
        '  - noncurrentVersionRetentionDays 0: expected a whole number of days, at least 1\n' +
        '  - keyRotationDays 0.5: expected 1 to 36500',
    );
  });
});
