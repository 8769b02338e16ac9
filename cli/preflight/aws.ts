import { HeadBucketCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { awsRegistryBucketName, pipelineEnvironment } from '../../infra/aws/names';
import { servedModels } from '../../infra/aws/serving-variant';
import { awsEnvironment } from '../../infra/config/clouds';
import type { PlatformConfig } from '../../infra/config/schema';
import type { ResolvedVersions } from '../../infra/config/versions';
import { registryLayout } from '../../core/layout';
import { type CheckResult, errorText } from './report';

/**
 * The bootstrap stack version aws-cdk-lib 2.276's DefaultStackSynthesizer requires to deploy and publish assets
 * (`MIN_BOOTSTRAP_STACK_VERSION`; 8 would be needed for lookups, which the platform does not do). Synthesized
 * templates assert it in their `CheckBootstrapVersion` rule; test/preflight checks it against a synthesized stack.
 */
export const REQUIRED_BOOTSTRAP_VERSION = 6;

/** Where the CDK CLI reads the bootstrap version: DefaultStackSynthesizer's parameter with the default qualifier. */
export const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

/** Client settings on top of the default credential chain and the environment's region; tests point them at loopback. */
export interface AwsPreflightClients {
  readonly ssm?: SSMClientConfig;
  readonly s3?: S3ClientConfig;
}

const isCredentialsError = (err: unknown) => (err as Error)?.name === 'CredentialsProviderError';
const status = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/**
 * Read-only checks of one environment's AWS account: CDK bootstrap version, the registry bucket, and per model
 * with a version its artifact (and its drift baseline when the endpoint captures data).
 */
export async function awsPreflight(
  config: PlatformConfig,
  envName: string,
  clients: AwsPreflightClients = {},
  versions?: ResolvedVersions,
): Promise<CheckResult[]> {
  // What the deploy would serve: pinned versions, else those resolved from approved packages (--versions).
  const models = servedModels(config, envName, versions?.[envName]);
  const serving = models.filter((m) => m.version !== undefined);
  const environment = awsEnvironment(config, envName);
  const { account, region } = environment.aws;
  const results: CheckResult[] = [];
  const add = (r: Omit<CheckResult, 'cloud'>) => results.push({ cloud: 'aws', ...r });
  const where = `${account}/${region}`;
  // With CDK Pipelines the pipeline's account deploys here through the bootstrap roles, which must trust it.
  const pipelineAccount = config.aws.delivery ? pipelineEnvironment(config).account : undefined;
  const trust = pipelineAccount && pipelineAccount !== account ? ` --trust ${pipelineAccount} --cloudformation-execution-policies <policy ARN>` : '';
  const bootstrapFix = `npx cdk bootstrap aws://${where}${trust} (with this repository's CDK CLI, from credentials for that account)`;

  const ssm = new SSMClient({ region, ...clients.ssm });
  try {
    // As the CDK CLI reads it (ToolkitInfo.versionFromSsmParameter): decrypted, parsed as an integer.
    const answer = await ssm.send(new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER, WithDecryption: true }));
    const version = Number.parseInt(`${answer.Parameter?.Value}`, 10);
    if (Number.isNaN(version)) {
      add({ status: 'blocker', detail: `CDK bootstrap of ${where}: ${BOOTSTRAP_VERSION_PARAMETER} is "${answer.Parameter?.Value}", not a version number`, fix: bootstrapFix });
    } else if (version < REQUIRED_BOOTSTRAP_VERSION) {
      add({ status: 'blocker', detail: `CDK bootstrap of ${where}: version ${version}, at least ${REQUIRED_BOOTSTRAP_VERSION} needed`, fix: `bootstrap again with a current CDK CLI: ${bootstrapFix}` });
    } else {
      add({ status: 'ok', detail: `CDK bootstrap of ${where}: version ${version} (at least ${REQUIRED_BOOTSTRAP_VERSION} needed)` });
    }
  } catch (err) {
    if (isCredentialsError(err)) {
      add({ status: 'blocker', detail: `no AWS credentials: ${errorText(err)}`, fix: `sign in to account ${account} (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)` });
      return results;
    }
    if ((err as Error)?.name === 'ParameterNotFound') {
      add({ status: 'blocker', detail: `CDK bootstrap of ${where}: not bootstrapped (${BOOTSTRAP_VERSION_PARAMETER} not found)`, fix: bootstrapFix });
    } else {
      add({ status: 'blocker', detail: `CDK bootstrap of ${where}: could not read ${BOOTSTRAP_VERSION_PARAMETER}: ${errorText(err)}`, fix: `allow ssm:GetParameter on it, or check the credentials are for account ${account}` });
    }
  }

  const bucket = awsRegistryBucketName(config, envName);
  const s3 = new S3Client({ region, ...clients.s3 });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: account }));
    add({ status: 'ok', detail: `registry bucket s3://${bucket} exists` });
  } catch (err) {
    if (status(err) === 404 && serving.length === 0) {
      // Nothing to serve yet: the first deploy creates the bucket, and no model needs an artifact from it.
      add({ status: 'info', detail: `registry bucket s3://${bucket} does not exist yet: the first deploy creates it` });
    } else if (status(err) === 404) {
      add({
        status: 'blocker',
        detail: `registry bucket s3://${bucket} does not exist yet, so the artifacts of ${serving.map((m) => `${m.name} ${m.version}`).join(', ')} cannot be in it`,
        fix: `deploy without those versions first (leave version out: the models wait for their first version), upload the artifacts, then deploy again`,
      });
    } else {
      add({ status: 'blocker', detail: `registry bucket s3://${bucket}: ${status(err) === 403 ? 'access denied, or owned by another account' : errorText(err)}`, fix: `use credentials of account ${account} that may read the bucket` });
    }
    return results;
  }

  for (const model of models) {
    const version: string | undefined = model.version;
    if (version === undefined) {
      add({ status: 'info', detail: `model ${model.name}: waiting for a first version (no endpoint until models/${model.name}/<version>/model.tar.gz is uploaded and the config names it)` });
      continue;
    }
    const key = registryLayout.modelArtifact(model.name, version);
    const found = await objectExists(s3, bucket, key, account);
    if (found === true) add({ status: 'ok', detail: `model ${model.name} ${version}: s3://${bucket}/${key}` });
    else {
      add({
        status: 'blocker',
        detail: `model ${model.name} ${version}: s3://${bucket}/${key} ${found === false ? 'is missing' : `could not be read: ${found}`}; SageMaker refuses to create a model without its artifact`,
        fix: `aws s3 cp model.tar.gz s3://${bucket}/${key}`,
      });
    }
    if (model.dataCapture.samplingPercentage > 0) {
      const baseline = registryLayout.baseline(model.name, version);
      const hasBaseline = await objectExists(s3, bucket, baseline, account);
      if (hasBaseline === true) add({ status: 'ok', detail: `model ${model.name} ${version}: drift baseline s3://${bucket}/${baseline}` });
      else {
        add({
          status: 'warning',
          detail: `model ${model.name} ${version}: drift baseline s3://${bucket}/${baseline} ${hasBaseline === false ? 'is missing' : `could not be read: ${hasBaseline}`}; every drift check fails until it exists`,
          fix: `npx modelstack baseline --data train.csv --out baseline.json && aws s3 cp baseline.json s3://${bucket}/${baseline}`,
        });
      }
    }
  }
  return results;
}

/** true, false when it is not there, or the error text. */
async function objectExists(s3: S3Client, bucket: string, key: string, account: string): Promise<true | false | string> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ExpectedBucketOwner: account }));
    return true;
  } catch (err) {
    return status(err) === 404 ? false : errorText(err);
  }
}
