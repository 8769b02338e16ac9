// The environments' SageMaker managed MLflow tracking servers: one per environment where a model trains (unless
// aws.mlflow is false), artifacts under mlflow/ in the registry, a role limited to that prefix and the registry
// key, and the pipeline roles allowed to log runs to that server only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ExperimentTracking, MLFLOW_CLIENT_VERSION, MLFLOW_LOGGING_ACTIONS, MLFLOW_VERSION } from '../../constructs/aws/experiment-tracking';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { buildAwsPlatform } from '../../infra/aws/app';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { testApp, testStack } from '../helpers/aws';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statements = (template: Template, rolePrefix: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);

describe('experiment tracking on AWS', () => {
  const config = parseConfig(demoConfig);
  const { environments } = buildAwsPlatform(testApp(), config, ['staging', 'dev']);
  const staging = environments.staging;
  const template = Template.fromStack(staging.registry);

  test('staging gets a Small, private tracking server with its artifacts under mlflow/ in the registry; dev opts out', () => {
    template.hasResourceProperties('AWS::SageMaker::MlflowTrackingServer', {
      TrackingServerName: 'modelstack-staging',
      // s3://<the registry bucket>/mlflow/, the bucket by reference.
      ArtifactStoreUri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^RegistryBucket') }, '/mlflow/']] },
      TrackingServerSize: 'Small',
      // Major.minor: CreateMlflowTrackingServer refuses '2.16.2' ("The provided MLflow version is not supported",
      // hashicorp/terraform-provider-aws#42276) and accepts '2.16'.
      MlflowVersion: '2.16',
      AutomaticModelRegistration: false,
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ExperimentsRole'), 'Arn'] },
    });
    expect(staging.training!.experiments!.trackingServerArn).toContain(':mlflow-tracking-server/modelstack-staging');
    expect(environments.dev.training!.experiments).toBeUndefined();
    expect(Template.fromStack(environments.dev.registry).findResources('AWS::SageMaker::MlflowTrackingServer')).toEqual({});
  });

  test('the server\'s role may use only mlflow/ and the registry key', () => {
    const role = statements(template, 'ExperimentsRole');
    expect(role.map((s) => s.Sid)).toEqual(['ListArtifacts', 'ReadWriteArtifacts', 'RegistryKey']);
    const bySid = Object.fromEntries(role.map((s) => [s.Sid, s]));
    expect(bySid.ListArtifacts.Condition).toEqual({ StringLike: { 's3:prefix': ['mlflow/*'] } });
    expect(JSON.stringify(bySid.ReadWriteArtifacts.Resource)).toMatch(/\/mlflow\/\*"\]\]\}$/);
    expect(JSON.stringify(bySid.RegistryKey.Resource)).toContain('RegistryKey');
    for (const s of role) for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
  });

  test('each pipeline role may log runs to that server only, with the logging actions only', () => {
    const pipeline = staging.training!.pipelines.churn;
    const logging = statements(Template.fromStack(Stack.of(pipeline)), 'PipelineRole').filter((s) => [s.Action].flat().some((a) => a.startsWith('sagemaker-mlflow:')));
    expect(logging).toHaveLength(1);
    expect([logging[0].Action].flat().sort()).toEqual([...MLFLOW_LOGGING_ACTIONS].sort());
    expect(logging[0].Resource).toBe('arn:aws:sagemaker:eu-west-1:222222222222:mlflow-tracking-server/modelstack-staging');
    // The Track step's environment names the same server.
    const body = JSON.stringify(Stack.of(pipeline).resolve(pipeline.pipeline.pipelineDefinition));
    expect(body).toContain('\\"MLFLOW_TRACKING_URI\\":\\"arn:aws:sagemaker:eu-west-1:222222222222:mlflow-tracking-server/modelstack-staging\\"');
  });

  test('the server is asked for major.minor, the image pins the client of that line', () => {
    expect(MLFLOW_VERSION).toMatch(/^\d+\.\d+$/);
    expect(MLFLOW_CLIENT_VERSION.startsWith(`${MLFLOW_VERSION}.`)).toBe(true);
    const requirements = readFileSync(join(__dirname, '../../containers/training/requirements.txt'), 'utf8');
    expect(requirements).toMatch(new RegExp(`^mlflow==${MLFLOW_CLIENT_VERSION.replace(/\./g, '\\.')}$`, 'm'));
  });

  test('the logging actions cover every MLflow REST call the Track step makes, the first run of an experiment included', () => {
    // training/tracking.py: set_experiment (GetExperimentByName; when absent CreateExperiment then GetExperiment by id,
    // mlflow/tracking/fluent.py), start_run (CreateRun), log_params / log_metrics / set_tags (LogBatch), end of the
    // `with` block (set_terminated: UpdateRun). Names: Service Authorization Reference, Amazon SageMaker with MLflow.
    const calls = ['GetExperimentByName', 'CreateExperiment', 'GetExperiment', 'CreateRun', 'LogBatch', 'UpdateRun'];
    expect(MLFLOW_LOGGING_ACTIONS).toEqual(expect.arrayContaining(calls.map((call) => `sagemaker-mlflow:${call}`)));
  });

  test('bad names and maintenance windows are refused, each named', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'modelstack-dev', models: ['churn'] });
    expect(() => new ExperimentTracking(stack, 'E', { registry, trackingServerName: '-bad-', weeklyMaintenanceWindowStart: 'Sunday 2am' })).toThrow(
      /trackingServerName "-bad-": expected at most 256 letters[\s\S]*weeklyMaintenanceWindowStart "Sunday 2am": expected Ddd:HH:MM in UTC/,
    );
  });

  test('the config: false opts out, a size is one of three, every problem named', () => {
    const raw = structuredClone(demoConfig) as any;
    raw.environments.prod.aws.mlflow = { size: 'Huge', weeklyMaintenanceWindowStart: 'Sun:25:00' };
    expect(() => parseConfig(raw)).toThrow(/environments\.prod\.aws\.mlflow/);
    raw.environments.prod.aws.mlflow = { size: 'Large' };
    expect(parseConfig(raw).environments.prod.aws!.mlflow).toEqual({ size: 'Large' });
    delete raw.environments.prod.aws.mlflow;
    expect(parseConfig(raw).environments.prod.aws!.mlflow).toEqual({ size: 'Small' });
  });
});
