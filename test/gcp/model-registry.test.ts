import 'cdktf/lib/testing/adapters/jest';
import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Testing } from 'cdktf';
import { ModelRegistry, type ModelRegistryProps } from '../../constructs/gcp/model-registry';
import { all, synth as synthScope } from './helpers';

Testing.setupJest();

const base: ModelRegistryProps = { namePrefix: 'ms-dev', project: 'my-ml-project', region: 'europe-west1' };
const KEY = expect.stringMatching(/^\$\{google_kms_crypto_key\.Registry_Key_\w+\.id\}$/);

function synth(props: Partial<ModelRegistryProps> = {}, use?: (registry: ModelRegistry) => void) {
  return synthScope((scope) => {
    const registry = new ModelRegistry(scope, 'Registry', { ...base, ...props });
    use?.(registry);
  });
}

const bucketNamed = (s: ReturnType<typeof synth>, kind: string) => all(s, 'google_storage_bucket').find((b) => b.name.includes(`-${kind}-`));

describe('ModelRegistry (GCP)', () => {
  test('artifact and baseline buckets: uniform access, public access prevention, CMEK, versioning, lifecycle', () => {
    const s = synth();
    for (const kind of ['models', 'baselines']) {
      expect(s.json).toHaveResourceWithProperties(StorageBucket, {
        name: `ms-dev-${kind}-my-ml-project`,
        location: 'EUROPE-WEST1',
        uniform_bucket_level_access: true,
        public_access_prevention: 'enforced',
        versioning: { enabled: true },
        encryption: { default_kms_key_name: KEY },
        lifecycle_rule: [
          { action: { type: 'Delete' }, condition: { days_since_noncurrent_time: 90, with_state: 'ARCHIVED' } },
          { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
        ],
      });
    }
  });

  test('the reports bucket has a retention policy instead of versioning, and deletes after it', () => {
    const s = synth({ reportRetentionDays: 14 });
    const reports = bucketNamed(s, 'reports');
    expect(reports).toMatchObject({
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      encryption: { default_kms_key_name: KEY },
      retention_policy: { retention_period: 14 * 86400, is_locked: false },
      lifecycle_rule: [{ action: { type: 'Delete' }, condition: { age: 14 } }, { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } }],
    });
    expect(reports.versioning).toBeUndefined();
    expect(bucketNamed(synth(), 'reports').retention_policy.retention_period).toBe(30 * 86400);
  });

  test('a CMEK BigQuery dataset for request-response logs, after BigQuery may use the key', () => {
    const s = synth();
    expect(s.json).toHaveResourceWithProperties(BigqueryDataset, {
      dataset_id: 'ms_dev_request_logs',
      location: 'europe-west1',
      default_encryption_configuration: { kms_key_name: KEY },
      delete_contents_on_destroy: false,
    });
    expect(s.json).toHaveResourceWithProperties(KmsCryptoKeyIamMember, {
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: expect.stringMatching(/^\$\{data\.google_bigquery_default_service_account\.ServiceAgents-my-ml-project_BigQuery_\w+\.member\}$/),
    });
    // After the grant and the time IAM takes to apply it.
    const [dataset] = all(s, 'google_bigquery_dataset');
    expect(dataset.depends_on).toEqual([expect.stringMatching(/^time_sleep\.ServiceAgents-my-ml-project_Settled-Registry_BigQueryAgentKeyAccess_\w+$/)]);
    const sleep = s.resources.time_sleep[dataset.depends_on[0].split('.')[1]];
    expect(sleep).toMatchObject({ create_duration: '120s', depends_on: [expect.stringMatching(/^google_kms_crypto_key_iam_member\.Registry_BigQueryAgentKeyAccess_\w+$/)] });
  });

  test('the key rotates, and the storage agent may use it before any bucket is created', () => {
    const s = synth({ keyRotationDays: 30 });
    expect(s.json).toHaveResourceWithProperties(KmsCryptoKey, { rotation_period: '2592000s', purpose: 'ENCRYPT_DECRYPT' });
    expect(s.json).toHaveResourceWithProperties(KmsCryptoKeyIamMember, {
      role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
      member: expect.stringMatching(/^\$\{data\.google_storage_project_service_account\.ServiceAgents-my-ml-project_Storage_\w+\.member\}$/),
    });
    for (const bucket of all(s, 'google_storage_bucket')) {
      expect(bucket.depends_on).toEqual([expect.stringMatching(/^time_sleep\.ServiceAgents-my-ml-project_Settled-Registry_StorageAgentKeyAccess_\w+$/)]);
    }
  });

  test('data is retained by default (prevent_destroy) and disposable when asked', () => {
    const kept = synth();
    for (const type of ['google_storage_bucket', 'google_kms_crypto_key', 'google_bigquery_dataset']) {
      for (const resource of all(kept, type)) expect(resource.lifecycle).toEqual({ prevent_destroy: true });
    }
    for (const bucket of all(kept, 'google_storage_bucket')) expect(bucket.force_destroy).toBe(false);
    expect(all(kept, 'google_bigquery_dataset')[0].delete_contents_on_destroy).toBe(false);
    // Disposable data goes with the stack: buckets with their (non-current) objects, the dataset with its tables.
    const disposable = synth({ retainOnDelete: false });
    for (const bucket of all(disposable, 'google_storage_bucket')) expect({ lifecycle: bucket.lifecycle, force: bucket.force_destroy }).toEqual({ lifecycle: undefined, force: true });
    expect(all(disposable, 'google_bigquery_dataset')[0]).toMatchObject({ delete_contents_on_destroy: true });
    expect(all(disposable, 'google_bigquery_dataset')[0].lifecycle).toBeUndefined();
  });

  test('the key ring is named per deployment: key rings are never deleted, so a re-deploy needs a new name', () => {
    const s = synth();
    expect(all(s, 'google_kms_key_ring')[0].name).toBe('ms-dev-registry-${time_static.DeploymentStamp.unix}');
    expect(s.resources.time_static.DeploymentStamp).toBeDefined();
    expect(JSON.parse(s.json).terraform.required_providers.time).toEqual({ source: 'hashicorp/time', version: '~> 0.12' });
  });

  test('a reader service account gets object read only (Cloud Storage decrypts as its agent), and no public member exists', () => {
    const s = synth();
    const { json } = s;
    expect(json).toHaveResourceWithProperties(ServiceAccount, { account_id: 'ms-dev-reader' });
    expect(json).toHaveResourceWithProperties(StorageBucketIamMember, { role: 'roles/storage.objectViewer', member: expect.stringMatching(/Registry_Reader_/) });
    expect(all(s, 'google_kms_crypto_key_iam_member').filter((g) => /Registry_Reader_/.test(g.member))).toEqual([]);
    expect(json).not.toMatch(/roles\/cloudkms\.cryptoKeyDecrypter"/);
    expect(json).not.toMatch(/allUsers|allAuthenticatedUsers/);
    expect(json).not.toMatch(/roles\/(owner|editor|storage\.admin)/);
  });

  test('grants: prefix-scoped object roles, key use and log writing, each once', () => {
    const s = synth({}, (registry) => {
      registry.grantCreate('serviceAccount:t@p.iam.gserviceaccount.com', { prefix: 'models/churn/' });
      registry.grantCreate('serviceAccount:t@p.iam.gserviceaccount.com', { prefix: 'models/churn/' });
      registry.grantCreate('serviceAccount:d@p.iam.gserviceaccount.com', { bucket: 'reports' });
      registry.grantKeyUse('Agent', 'serviceAccount:a@p.iam.gserviceaccount.com');
      registry.grantKeyUse('Agent', 'serviceAccount:a@p.iam.gserviceaccount.com');
      registry.grantRequestLogWrite('Logs', 'serviceAccount:a@p.iam.gserviceaccount.com');
      registry.grantRequestLogWrite('Logs', 'serviceAccount:a@p.iam.gserviceaccount.com');
    });
    expect(s.json).toHaveResourceWithProperties(StorageBucketIamMember, {
      bucket: expect.stringMatching(/google_storage_bucket\.Registry_Bucket_\w+\.name/),
      role: 'roles/storage.objectCreator',
      condition: {
        title: 'only models/churn/',
        expression: expect.stringMatching(/^resource\.type == "storage\.googleapis\.com\/Bucket" \|\| resource\.name\.startsWith\("projects\/_\/buckets\/\$\{google_storage_bucket\.Registry_Bucket_\w+\.name\}\/objects\/models\/churn\/"\)$/),
      },
    });
    const reportGrant = all(s, 'google_storage_bucket_iam_member').find((g) => g.member.startsWith('serviceAccount:d@'));
    expect(reportGrant.bucket).toMatch(/Registry_Reports_/);
    expect(reportGrant.condition).toBeUndefined();
    expect(all(s, 'google_storage_bucket_iam_member').filter((g) => g.member.startsWith('serviceAccount:t@'))).toHaveLength(1);
    expect(all(s, 'google_kms_crypto_key_iam_member').filter((g) => g.member.startsWith('serviceAccount:a@'))).toHaveLength(1);
    expect(s.json).toHaveResourceWithProperties(BigqueryDatasetIamMember, { role: 'roles/bigquery.dataEditor', member: 'serviceAccount:a@p.iam.gserviceaccount.com' });
    expect(all(s, 'google_bigquery_dataset_iam_member')).toHaveLength(1);
  });

  test('object grants are named for what they allow: read, create only, read-write', () => {
    const member = 'serviceAccount:f@p.iam.gserviceaccount.com';
    const s = synth({}, (registry) => {
      registry.grantRead(member, { bucket: 'baselines', prefix: 'models/churn/' });
      registry.grantCreate(member, { bucket: 'reports', prefix: 'reports/churn/' });
      registry.grantReadWrite(member, { prefix: 'data-capture/churn/' });
      // Same role and member, another prefix: another grant.
      registry.grantReadWrite(member, { prefix: 'reports/churn/' });
    });
    const grants = Object.entries(s.resources.google_storage_bucket_iam_member).filter(([, g]) => g.member === member);
    const summary = grants.map(([id, g]) => [id.replace(/_[0-9A-F]{8}$/, ''), g.role, g.condition.title]).sort((a, b) => `${a[1]} ${a[2]}`.localeCompare(`${b[1]} ${b[2]}`));
    expect(summary).toEqual([
      [expect.stringMatching(/^Registry_CreatesReports-[0-9a-f]{8}$/), 'roles/storage.objectCreator', 'only reports/churn/'],
      [expect.stringMatching(/^Registry_ReadsWritesArtifacts-[0-9a-f]{8}$/), 'roles/storage.objectUser', 'only data-capture/churn/'],
      [expect.stringMatching(/^Registry_ReadsWritesArtifacts-[0-9a-f]{8}$/), 'roles/storage.objectUser', 'only reports/churn/'],
      [expect.stringMatching(/^Registry_ReadsBaselines-[0-9a-f]{8}$/), 'roles/storage.objectViewer', 'only models/churn/'],
    ]);
  });

  test('a grant to a service account has the same Terraform address however many tokens were made before it', () => {
    const grantIds = (before: number) => {
      const s = synth({}, (registry) => {
        // Each attribute read makes a token; token strings are numbered in creation order.
        for (let i = 0; i < before; i++) expect(new ServiceAccount(registry, `Other${i}`, { accountId: `other-${i}` }).member).toMatch(/TOKEN/);
        const trainer = new ServiceAccount(registry, 'Trainer', { accountId: 'trainer' });
        registry.grantCreate(trainer.member, { prefix: 'models/churn/' });
        registry.grantCreate(trainer.member, { prefix: 'models/churn/' });
      });
      return Object.entries(s.resources.google_storage_bucket_iam_member)
        .filter(([, g]) => /google_service_account\.Registry_Trainer_/.test(g.member))
        .map(([id]) => id);
    };
    const first = grantIds(0);
    expect(first).toHaveLength(1);
    expect(grantIds(3)).toEqual(first);
  });

  test('long names stay within GCP limits and stay distinct', () => {
    const s = synth({ namePrefix: 'a-very-long-platform-name-production', project: 'a-rather-long-project-id-123' });
    const names = all(s, 'google_storage_bucket').map((b) => b.name);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
    expect(new Set(names).size).toBe(3);
    const account = all(s, 'google_service_account')[0];
    expect(account.account_id.length).toBeLessThanOrEqual(30);
    expect(account.account_id).toMatch(/^a-very-long-platform-[0-9a-f]{8}$/);
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => synth({ namePrefix: 'Bad', project: 'x', region: 'Europe', noncurrentVersionRetentionDays: 0, reportRetentionDays: 0, keyRotationDays: 0.5 })).toThrow(
      'ModelRegistry (GCP): invalid props\n' +
        '  - namePrefix "Bad": expected lowercase letters, digits and single hyphens\n' +
        '  - project "x": expected a GCP project id\n' +
        '  - region "Europe": expected a GCP region such as europe-west1\n' +
        '  - noncurrentVersionRetentionDays 0: expected a whole number of days, at least 1\n' +
        '  - reportRetentionDays 0: expected 1 to 3650\n' +
        '  - keyRotationDays 0.5: expected 1 to 36500',
    );
  });
});
