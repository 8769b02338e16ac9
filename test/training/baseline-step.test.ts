// The training pipeline's Baseline Lambda step against a real S3 API (s3rver on loopback): it profiles the prepared
// features folder into baseline.json with the drift engine's profiler and returns the step's output parameter.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseBaseline } from '../../core/profile/baseline';
import { createBaselineHandler } from '../../lambdas/training-baseline/aws/handler';
import { startS3 } from '../helpers/s3rver';

const BUCKET = 'modelstack-dev-models-111111111111-eu-west-1';
let s3: Awaited<ReturnType<typeof startS3>>;

beforeAll(async () => {
  s3 = await startS3(BUCKET);
});
afterAll(() => s3.stop());

function featuresCsv(rows: number): string {
  const lines = ['tenure_months,contract'];
  for (let i = 0; i < rows; i++) lines.push(`${i % 60},${['month-to-month', 'one-year', 'two-year'][i % 3]}`);
  return `${lines.join('\n')}\n`;
}

describe('the Baseline step function', () => {
  test('profiles the features CSV under the prepared folder and writes baseline.json where the step says', async () => {
    const client = s3.client();
    const work = `pipelines/churn/exec-1`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${work}/prepared/features/features.csv`, Body: featuresCsv(300) }));
    const handler = createBaselineHandler({ s3: client, registryBucket: BUCKET });
    const result = await handler({ features: `s3://${BUCKET}/${work}/prepared/features`, categorical: 'contract', output: `s3://${BUCKET}/${work}/baseline/baseline.json` });
    expect(result).toEqual({ baseline: `s3://${BUCKET}/${work}/baseline/baseline.json` });
    const written = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${work}/baseline/baseline.json` }));
    const baseline = parseBaseline(JSON.parse(await written.Body!.transformToString()));
    expect(baseline.rows).toBe(300);
    expect(baseline.features.map((f) => [f.name, f.kind])).toEqual([
      ['tenure_months', 'numeric'],
      ['contract', 'categorical'],
    ]);
  });

  test('refuses locations outside the registry work folders, and a folder without a CSV, naming the argument', async () => {
    const handler = createBaselineHandler({ s3: s3.client(), registryBucket: BUCKET });
    await expect(handler({ features: 's3://other-bucket/pipelines/x', output: `s3://${BUCKET}/pipelines/churn/e/baseline.json` })).rejects.toThrow(
      `argument "features" must be under s3://${BUCKET}/pipelines/, got s3://other-bucket/pipelines/x`,
    );
    await expect(handler({ features: `s3://${BUCKET}/pipelines/churn/e/f`, output: `s3://${BUCKET}/models/churn/1/baseline.json` })).rejects.toThrow('argument "output" must be under');
    await expect(handler({ features: `s3://${BUCKET}/pipelines/churn/empty/prepared/features`, output: `s3://${BUCKET}/pipelines/churn/empty/baseline/baseline.json` })).rejects.toThrow(
      `no CSV file under s3://${BUCKET}/pipelines/churn/empty/prepared/features`,
    );
    await expect(handler({ output: 'x' })).rejects.toThrow('argument "features" must be an s3:// URI, got undefined');
  });
});
