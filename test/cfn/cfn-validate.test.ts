import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildAwsPlatform } from '../../infra/aws/app';
import { cdkJsonContext } from '../../infra/aws/context';
import { buildPipelineApp } from '../../infra/aws/pipeline';
import { parseConfig } from '../../infra/config/load';
import {
  type CfnValidation,
  findTemplates,
  formatVerdict,
  judge,
  loadAllowlist,
  validateTemplates,
} from '../../scripts/cfn-validate';
import { demo } from '../helpers/config';

/**
 * A config that turns on every optional AWS feature, so each resource type the platform can create is validated:
 * async, serverless and real-time serving (VPC, data capture), batch (JSON Lines), provisioned streaming, the
 * feature store, alarm emails, approvals, every promotion strategy.
 */
function everyFeatureConfig() {
  const config = demo();
  config.platform.name = 'allfeatures';
  config.environments = {
    qa: {
      aws: { account: '444444444444', region: 'us-east-1' },
      gcp: config.environments.staging.gcp,
      alarmEmails: ['ml-platform-qa@example.com', 'ml-qa@example.com', 'ml-oncall@example.com'],
      approvalRequired: true,
      vpc: { subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], securityGroupIds: ['sg-0123456789abcdef0'] },
    },
  };
  config.models[0].batch = { schedule: 'rate(1 day)', contentType: 'application/jsonlines', maxRuntimeHours: 2, aws: { instanceType: 'ml.m5.xlarge', instanceCount: 2 } };
  config.models[0].streaming = { batchSize: 50, maxBatchingWindowSeconds: 10, retryAttempts: 2, retentionHours: 48, aws: { shardCount: 2 } };
  config.models[1].serving = { kind: 'async', instanceType: 'ml.m5.large', maxInstances: 3 };
  config.models[1].aws.promotion = { strategy: 'all-at-once' };
  config.models[1].batch = { schedule: 'cron(0 3 * * ? *)', aws: { instanceType: 'ml.m5.large' } };
  config.models.push({ ...structuredClone(config.models[1]), name: 'price', serving: { kind: 'serverless', memorySizeMb: 1024 }, aws: {} });
  return parseConfig(config, 'every optional AWS feature');
}

/** Synthesizes one app into a temporary cloud assembly; bundling is skipped (the templates are the same). */
function synth(build: (app: App) => void): string {
  const outdir = mkdtempSync(join(tmpdir(), 'modelstack-cfn-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  build(app);
  app.synth();
  return outdir;
}

/** The cloud assemblies of the demo, the pipeline app and the every-feature config, synthesized once. */
let outdirs: Record<string, string>;

describe('CloudFormation validation of everything we synthesize', () => {
  let validation: CfnValidation;

  beforeAll(() => {
    const demoConfig = parseConfig(demo());
    const withDelivery = demo();
    // The pipeline app needs a delivery section; the demo's, or a placeholder one.
    withDelivery.aws.delivery ??= {
      connectionArn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      repository: 'example-org/modelstack',
    };
    outdirs = {
      demo: synth((app) => buildAwsPlatform(app, demoConfig)),
      pipeline: synth((app) => buildPipelineApp(app, parseConfig(withDelivery))),
      every: synth((app) => buildAwsPlatform(app, everyFeatureConfig())),
    };
    validation = validateTemplates(Object.values(outdirs).flatMap(findTemplates), { root: tmpdir() });
  }, 120_000);

  test('every stack, nested stack and pipeline stage template is found, with its account and region', () => {
    const demo = findTemplates(outdirs.demo);
    // 3 environments × (registry, serving, operations) + a serving, an operations and a training nested stack per model
    expect(demo.filter((t) => !t.file.endsWith('.nested.template.json'))).toHaveLength(9);
    expect(demo.filter((t) => t.file.endsWith('.nested.template.json'))).toHaveLength(18);
    expect(demo.find((t) => t.file.endsWith('modelstackprodservingModelchurnE4E8724A.nested.template.json'))).toMatchObject({ account: '333333333333', region: 'eu-west-1' });
    const pipeline = findTemplates(outdirs.pipeline);
    expect(pipeline.filter((t) => t.file.includes('assembly-modelstack-pipeline-'))).toHaveLength(27);
    expect(pipeline.find((t) => t.file.endsWith('modelstack-pipeline.template.json'))).toMatchObject({ account: '111111111111', region: 'eu-west-1' });
    expect(findTemplates(outdirs.every).every((t) => t.region === 'us-east-1' && t.account === '444444444444')).toBe(true);
    expect(validation.templates).toBe(demo.length + pipeline.length + findTemplates(outdirs.every).length);
  });

  test('the optional features add their resource types to what is validated', () => {
    for (const type of [
      'AWS::SNS::Subscription', // alarm emails
      'AWS::Kinesis::Stream', // streaming
      'AWS::KinesisFirehose::DeliveryStream',
      'AWS::SageMaker::FeatureGroup',
      'AWS::Scheduler::Schedule',
      'AWS::SageMaker::ModelCard',
      'AWS::CodePipeline::Pipeline',
      'AWS::CodeBuild::Project',
      'AWS::SageMaker::Pipeline', // training
    ]) {
      expect(validation.resourceTypes).toContain(type);
    }
  });

  test('no errors', () => {
    const { errors } = judge(validation.findings, []);
    expect(errors.map((f) => `${f.ruleId} ${f.template} ${f.resource}: ${f.message}`)).toEqual([]);
  });

  test('every warning is listed in scripts/cfn-allowlist.json with its reason, and every entry still matches one', () => {
    const verdict = judge(validation.findings, loadAllowlist());
    expect(verdict.unlisted.map((f) => `${f.ruleId} ${f.template} ${f.resource}: ${f.message}`)).toEqual([]);
    expect(verdict.stale).toEqual([]);
    expect(verdict.allowed).toBeGreaterThan(0);
  });
});

describe('the validator and its allowlist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelstack-cfn-unit-'));
  const template = (name: string, body: object) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(body));
    return { file, region: 'eu-west-1', account: '111111111111' };
  };
  const role = { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] } } };

  test('an invalid resource is an error naming the rule, the resource and the property', () => {
    const { findings } = validateTemplates(
      [template('bad.template.json', { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon', Colour: 'red' } } } })],
      { root: dir },
    );
    const errors = judge(findings, []).errors;
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((e) => e.template === 'bad.template.json' && e.resource === 'AWS::SQS::Queue/Queue')).toBe(true);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/Colour/);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/VisibilityTimeout/);
  });

  test('an unlisted warning fails; a listed one passes; an entry that matches nothing is stale', () => {
    const body = {
      Resources: {
        Role: role,
        Topic: { Type: 'AWS::SNS::Topic', DependsOn: ['Role'], Properties: { DisplayName: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
      },
    };
    const validation = validateTemplates([template('warn.template.json', body)], { root: dir });
    const warnings = validation.findings.filter((f) => f.severity === 'warning');
    expect(warnings).toEqual([expect.objectContaining({ ruleId: 'W3005', resource: 'AWS::SNS::Topic/Topic' })]);

    const none = judge(validation.findings, []);
    expect(none.unlisted).toHaveLength(1);
    expect(formatVerdict(validation, none).failed).toBe(true);

    const reason = 'The explicit dependency is redundant but harmless here.';
    const listed = judge(validation.findings, [
      { rule: 'W3005', resource: 'AWS::SNS::*', reason },
      { rule: 'W3005', resource: 'AWS::SQS::Queue/*', reason },
    ]);
    expect(listed.unlisted).toEqual([]);
    expect(listed.allowed).toBe(1);
    expect(listed.stale).toEqual([{ rule: 'W3005', resource: 'AWS::SQS::Queue/*', reason }]);
    expect(formatVerdict(validation, listed).failed).toBe(false);
    const strict = formatVerdict(validation, listed, true);
    expect(strict.failed).toBe(true);
    expect(strict.text).toContain('1 allowlist entries matched nothing:\n  W3005 AWS::SQS::Queue/*');
  });

  test('the script: exit 1 with the finding on a bad template, 2 without a cloud assembly', () => {
    const root = join(__dirname, '..', '..');
    const script = (args: string[]) =>
      spawnSync(process.execPath, ['--import', require.resolve('tsx'), join(root, 'scripts', 'cfn-validate.ts'), ...args], { cwd: dir, encoding: 'utf8' });
    const bad = mkdtempSync(join(tmpdir(), 'modelstack-cfn-bad-'));
    writeFileSync(join(bad, 'bad.template.json'), JSON.stringify({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { Colour: 'red' } } } }));
    writeFileSync(
      join(bad, 'manifest.json'),
      JSON.stringify({ artifacts: { bad: { type: 'aws:cloudformation:stack', environment: 'aws://111111111111/eu-west-1', properties: { templateFile: 'bad.template.json' } } } }),
    );
    const failed = script([bad]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/1 errors:\n {2}[EF]\d{4} .*bad\.template\.json AWS::SQS::Queue\/Queue: .*Colour/);
    expect(failed.stdout).toMatch(/\n1 errors, 0 unlisted warnings, 0 allowlisted warnings\n$/);
    const missing = script([join(dir, 'nowhere')]);
    expect({ status: missing.status, stderr: missing.stderr }).toEqual({
      status: 2,
      stderr: `${join(dir, 'nowhere')}: no manifest.json: synthesize first (npm run synth, or npx cdk synth -o ${join(dir, 'nowhere')})\n`,
    });
  });

  test('an allowlist entry needs a warning rule id, a resource pattern and a reason', () => {
    const file = join(dir, 'allowlist.json');
    writeFileSync(file, JSON.stringify([{ rule: 'E3002', resource: '', reason: 'ok' }]));
    expect(() => loadAllowlist(file)).toThrow(
      `Invalid CloudFormation allowlist (${file}):\n` +
        '  - [0].rule: expected a warning rule id such as W3005 (errors cannot be allowlisted)\n' +
        '  - [0].resource: expected a pattern such as AWS::Lambda::Function/*\n' +
        '  - [0].reason: expected why the warning is acceptable (at least 30 characters)',
    );
  });
});
