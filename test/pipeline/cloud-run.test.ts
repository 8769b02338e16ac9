// `modelstack pipeline run|status --env`: the deployed pipeline started and followed through each cloud's API, here
// loopback servers speaking SageMaker's AWS JSON 1.1 protocol and the Workflow Executions REST API.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { run } from '../../cli/main';
import { registerPipeline, type PipelineCloudDeps } from '../../cli/pipeline-command';
import { sageMakerExecutions } from '../../cli/pipeline/sagemaker-executions';
import { parseConfig } from '../../infra/config/load';
import { trainingPipelineDefinition } from '../../infra/pipeline/training-pipeline';
import { cli } from '../cli/helpers';
import { demo } from '../helpers/config';
import { FakeSageMakerPipelines } from './fake-sagemaker-pipelines';
import { FakeWorkflows } from './fake-workflows';

const dir = mkdtempSync(join(tmpdir(), 'modelstack-pipeline-cloud-'));
const configFile = join(dir, 'platform.json');
writeFileSync(configFile, JSON.stringify(demo()));
const PIPELINE = 'modelstack-dev-churn-training';
const PIPELINE_ARN = `arn:aws:sagemaker:eu-west-1:111111111111:pipeline/${PIPELINE}`;
const WORKFLOW = 'projects/modelstack-demo-dev/locations/europe-west1/workflows/modelstack-dev-churn-training';

/** The CLI in-process with its pipeline command talking to `deps`; polls recorded, not waited for. */
async function modelstack(args: string[], deps: PipelineCloudDeps) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), stderrIsTTY: false };
  const code = await run(['pipeline', ...args, '--config', configFile], io, [(program, ctx) => registerPipeline(program, ctx, deps)]);
  return { code, stdout, stderr };
}

describe('pipeline run|status on AWS (SageMaker)', () => {
  const fake = new FakeSageMakerPipelines();
  const sleeps: number[] = [];
  let deps: PipelineCloudDeps;
  let url: string;
  const declared = (trainingPipelineDefinition(parseConfig(demo(), 'demo'), 'dev', 'churn').Parameters ?? []).map((p) => p.Name);

  beforeAll(async () => {
    url = await fake.start();
    fake.addPipeline(PIPELINE, declared);
    const sagemaker = new SageMakerClient({ region: 'eu-west-1', endpoint: url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, maxAttempts: 1 });
    deps = { sagemaker, poll: { sleep: async (ms) => void sleeps.push(ms) }, now: () => new Date('2026-11-27T21:30:05Z') };
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.executions.length = 0;
    fake.calls.length = 0;
    fake.denied.clear();
    sleeps.length = 0;
  });

  test('run starts the pipeline by ARN with a display name, an idempotency token and only declared parameters', async () => {
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--parameter', 'InstanceType=ml.m5.2xlarge'], deps);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const start = fake.calls.find((c) => c.operation === 'StartPipelineExecution')!.input;
    expect(start).toMatchObject({
      PipelineName: PIPELINE_ARN,
      PipelineExecutionDisplayName: 'manual-20261127-213005',
      // As the starter: no approved package yet, so CurrentModelDataUrl keeps its default (the no-current-version prefix).
      PipelineParameters: [{ Name: 'InstanceType', Value: 'ml.m5.2xlarge' }],
    });
    expect(start.ClientRequestToken).toMatch(/^[0-9a-f]{40}$/);
    expect(result.stdout).toContain(`churn: started execution ${fake.executions[0].arn} of pipeline ${PIPELINE_ARN}`);
    expect(result.stdout).toContain(`modelstack pipeline status --model churn --env dev --cloud aws --execution ${fake.executions[0].arn} --wait`);

    // The same command again within the second: the token makes it the same execution (SageMaker's idempotency), and
    // the CLI refuses first anyway because that execution is running.
    const again = await modelstack(['run', '--model', 'churn', '--env', 'dev'], deps);
    expect(again.code).toBe(4);
    expect(fake.executions).toHaveLength(1);
  });

  test('run passes the latest approved version model data, as the starter does', async () => {
    fake.approvedModelData = 's3://modelstack-dev-registry/models/churn/3/model.tar.gz';
    try {
      const result = await modelstack(['run', '--model', 'churn', '--env', 'dev'], deps);
      expect(result.code).toBe(0);
      const start = fake.calls.find((c) => c.operation === 'StartPipelineExecution')!.input;
      expect(start.PipelineParameters).toEqual([{ Name: 'CurrentModelDataUrl', Value: fake.approvedModelData }]);
    } finally {
      fake.approvedModelData = undefined;
    }
  });

  test('ClientRequestToken: starting twice within the same second is one execution', async () => {
    const executions = sageMakerExecutions({ config: parseConfig(demo(), 'demo'), environment: 'dev', model: 'churn', client: deps.sagemaker!, declaredParameters: declared, now: deps.now });
    const first = await executions.start();
    expect(await executions.start()).toBe(first);
    expect(fake.executions).toHaveLength(1);
    const tokens = fake.calls.filter((c) => c.operation === 'StartPipelineExecution').map((c) => c.input.ClientRequestToken);
    expect(new Set(tokens).size).toBe(1);
  });

  test('status --execution --wait follows a running execution (started by the schedule) to its end', async () => {
    const scheduled = fake.addExecution(PIPELINE, 'Executing', { describes: 2, status: 'Stopped', steps: [{ StepName: 'Train', StepStatus: 'Stopped' }] });
    const result = await modelstack(['status', '--model', 'churn', '--env', 'dev', '--execution', scheduled.arn, '--wait'], deps);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('Executing\n  PrepareData: Executing\nStopped\n  Train: Stopped\n');
    expect(result.stderr).toBe(`churn: execution ${scheduled.arn} stopped: no reason given\n`);
  });

  test('run works outside the repository: the built images\' folders are not needed to start the deployed pipeline', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const result = await modelstack(['run', '--model', 'churn', '--env', 'dev'], deps);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });

  test('a parameter the pipeline does not declare is refused before any call', async () => {
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--parameter', 'Epochs=3'], deps);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--parameter: Epochs: not a parameter of the pipeline: expected one of ${declared.join(', ')}`);
    expect(fake.calls).toEqual([]);
  });

  test('run refuses to start while an execution is Executing, naming it', async () => {
    const scheduled = fake.addExecution(PIPELINE, 'Executing');
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev'], deps);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`churn: not started: execution ${scheduled.arn} of pipeline ${PIPELINE_ARN} is still Executing (started 2027-01-15T08:00:00.000Z); at most one execution runs per model`);
    expect(fake.calls.map((c) => c.operation)).toEqual(['ListPipelineExecutions']);
  });

  test('run --wait follows the steps with growing waits to a registered version: exit 0', async () => {
    fake.nextOutcome = {
      describes: 3,
      status: 'Succeeded',
      steps: [
        { StepName: 'PrepareData', StepStatus: 'Succeeded' },
        { StepName: 'Tune', StepStatus: 'Succeeded' },
        { StepName: 'Evaluate', StepStatus: 'Succeeded' },
        { StepName: 'Baseline', StepStatus: 'Succeeded' },
        { StepName: 'Gate', StepStatus: 'Succeeded', Metadata: { Condition: { Outcome: 'True' } } },
        { StepName: 'Publish', StepStatus: 'Succeeded' },
        { StepName: 'Register', StepStatus: 'Succeeded', Metadata: { RegisterModel: { Arn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/4' } } },
      ],
    };
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--wait'], deps);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const id = fake.executions[0].arn.split('/').at(-1);
    expect(result.stdout).toContain('Executing\n  PrepareData: Executing\n');
    expect(result.stdout).toContain('Succeeded\n  PrepareData: Succeeded\n');
    expect(result.stdout).toContain('  Register: Succeeded -> arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/4\n');
    expect(result.stdout).toContain(`churn: registered version ${id} (${fake.executions[0].arn})`);
    // Three polls while it runs: 10 s, then half as long again each time.
    expect(sleeps).toEqual([10_000, 15_000, 22_500]);
  });

  test('run --wait ends with exit 1 and the gate\'s reason when the Refuse step fails the execution', async () => {
    const reason = 'rocAuc 0.61 is worse than the current version\'s 0.80 on the same held-out rows';
    fake.nextOutcome = {
      describes: 1,
      status: 'Failed',
      failureReason: 'Step failure: One or multiple steps failed.',
      steps: [
        { StepName: 'Evaluate', StepStatus: 'Succeeded' },
        { StepName: 'Gate', StepStatus: 'Succeeded', Metadata: { Condition: { Outcome: 'False' } } },
        { StepName: 'Refuse', StepStatus: 'Failed', FailureReason: reason, Metadata: { Fail: { ErrorMessage: reason } } },
      ],
    };
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--wait'], deps);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`churn: not registered: ${reason}\n`);
  });

  test('run --wait ends with exit 3 naming the failed step when a job fails', async () => {
    fake.nextOutcome = {
      describes: 1,
      status: 'Failed',
      failureReason: 'Step failure: One or multiple steps failed.',
      steps: [{ StepName: 'PrepareData', StepStatus: 'Failed', FailureReason: 'ClientError: AlgorithmError: no CSV under /opt/ml/processing/input/data' }],
    };
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--wait'], deps);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('failed: step PrepareData: ClientError: AlgorithmError: no CSV under /opt/ml/processing/input/data');
  });

  test('status lists the recent executions newest first and shows the newest one\'s steps', async () => {
    fake.addExecution(PIPELINE, 'Succeeded');
    const newest = fake.addExecution(PIPELINE, 'Failed', {
      describes: 0,
      status: 'Failed',
      failureReason: 'Step failure: One or multiple steps failed.',
      steps: [{ StepName: 'Train', StepStatus: 'Failed', FailureReason: 'ResourceLimitExceeded: ml.m5.xlarge' }],
    });
    const result = await modelstack(['status', '--model', 'churn', '--env', 'dev'], deps);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`churn: the 2 most recent executions of pipeline ${PIPELINE_ARN}, newest first:`);
    expect(lines[1]).toContain(`Failed      ${newest.arn}  Step failure: One or multiple steps failed.`);
    expect(lines[2]).toContain('Succeeded');
    expect(result.stdout).toContain(`execution ${newest.arn}\n  state: Failed`);
    expect(result.stdout).toContain('  reason: step Train: ResourceLimitExceeded: ml.m5.xlarge\n  Train: Failed (ResourceLimitExceeded: ml.m5.xlarge)');
    expect(fake.calls.find((c) => c.operation === 'ListPipelineExecutions')!.input).toMatchObject({ PipelineName: PIPELINE_ARN, SortBy: 'CreationTime', SortOrder: 'Descending' });
  });

  test('status --execution takes the id at the end of the ARN', async () => {
    const execution = fake.addExecution(PIPELINE, 'Succeeded');
    const result = await modelstack(['status', '--model', 'churn', '--env', 'dev', '--execution', execution.arn.split('/').at(-1)!], deps);
    expect(result.code).toBe(0);
    expect(fake.calls.find((c) => c.operation === 'DescribePipelineExecution')!.input).toEqual({ PipelineExecutionArn: execution.arn });
    expect(result.stdout).toContain(`version: ${execution.arn.split('/').at(-1)}`);
  });

  test('a permission error names the call, the pipeline and SageMaker\'s reason: exit 3', async () => {
    fake.denied.add('StartPipelineExecution');
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev'], deps);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `modelstack: error: SageMaker StartPipelineExecution on pipeline ${PIPELINE_ARN} failed: AccessDeniedException (HTTP 400): ` +
        'User: arn:aws:sts::111111111111:assumed-role/data-scientist/cli is not authorized to perform: sagemaker:StartPipelineExecution because no identity-based policy allows the sagemaker:StartPipelineExecution action\n',
    );
  });

  test('a pipeline that is not deployed (or another account\'s credentials): SageMaker\'s error and what to check', async () => {
    const result = await modelstack(['status', '--model', 'sales-forecast', '--env', 'dev'], deps);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      'modelstack: error: SageMaker ListPipelineExecutions on pipeline arn:aws:sagemaker:eu-west-1:111111111111:pipeline/modelstack-dev-sales-forecast-training failed: ' +
        'ResourceNotFound (HTTP 400): Pipeline arn:aws:sagemaker:eu-west-1:111111111111:pipeline/modelstack-dev-sales-forecast-training does not exist.: ' +
        'is the environment deployed (its registry stack holds the pipeline), and are the credentials for its account?\n',
    );
  });

  test('the default client: the environment\'s region, the SDK\'s endpoint variable and credential chain', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_SAGEMAKER: url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' });
    try {
      fake.addExecution(PIPELINE, 'Succeeded');
      const result = await cli(['pipeline', 'status', '--model', 'churn', '--env', 'dev', '--config', configFile]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('churn: the 1 most recent executions');
    } finally {
      process.env = saved;
    }
  });
});

describe('pipeline run|status on Google Cloud (Cloud Workflows)', () => {
  const fake = new FakeWorkflows();
  const sleeps: number[] = [];
  let deps: PipelineCloudDeps;

  beforeAll(async () => {
    const url = await fake.start();
    fake.addWorkflow(WORKFLOW);
    deps = { workflowsBaseUrl: url, accessToken: async () => 'test-token', initialBackoffMs: 1, poll: { sleep: async (ms) => void sleeps.push(ms) } };
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.executions.length = 0;
    fake.requests.length = 0;
    fake.denied.clear();
    sleeps.length = 0;
  });

  test('run creates an execution of <platform>-<env>-<model>-training in the environment\'s region with the manual argument', async () => {
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp'], deps);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(fake.executions[0].argument)).toEqual({ reason: 'manual', model: 'churn' });
    expect(result.stdout).toContain(`churn: started execution exec-1 of workflow ${WORKFLOW}`);
    // The running check: one equality filter per running state, then the create.
    expect(fake.requests.map((r) => `${r.method} ${decodeURIComponent(r.query)}`)).toEqual([
      'GET ?view=BASIC&pageSize=1&filter=state="ACTIVE"',
      'GET ?view=BASIC&pageSize=1&filter=state="QUEUED"',
      'POST ',
    ]);
  });

  test('run refuses to start while an execution is ACTIVE or QUEUED, naming it', async () => {
    fake.addExecution(WORKFLOW, 'QUEUED');
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp'], deps);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`churn: not started: execution sched-1 of workflow ${WORKFLOW} is still QUEUED`);
    expect(fake.executions).toHaveLength(1);
  });

  test('run --wait prints the parsed result and metrics of a registered version: exit 0', async () => {
    fake.nextOutcome = { gets: 2, state: 'SUCCEEDED', result: { status: 'registered', version: '7', reason: 'rocAuc 0.83 >= 0.80', metrics: { rocAuc: 0.83, accuracy: 0.79 } } };
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--wait'], deps);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ACTIVE\nSUCCEEDED\n  result: registered\n  metrics: rocAuc=0.83, accuracy=0.79\nchurn: registered version 7 (exec-1)\n');
    expect(sleeps).toEqual([10_000, 15_000]);
  });

  test('run --wait: a rejected candidate exits 1 with the workflow\'s reason; a failed execution exits 3 with its error', async () => {
    fake.nextOutcome = { gets: 0, state: 'SUCCEEDED', result: { status: 'rejected', reason: 'rmse 31.2 is above the ceiling 25' } };
    const rejected = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--wait'], deps);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toBe('churn: not registered: rejected: rmse 31.2 is above the ceiling 25\n');

    fake.nextOutcome = { gets: 0, state: 'FAILED', error: { payload: '{"message":"CustomJob failed: quota exceeded"}', context: 'step "train"' } };
    const failed = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--wait'], deps);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toBe('churn: execution exec-2 failed: {"message":"CustomJob failed: quota exceeded"} at step "train"\n');
  });

  test('status of a workflow that never ran says how to start it', async () => {
    const result = await modelstack(['status', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp'], deps);
    expect(result).toEqual({ code: 0, stderr: '', stdout: `churn: no executions of workflow ${WORKFLOW} yet: start one with modelstack pipeline run --model churn --env dev --cloud gcp\n` });
  });

  test('a result outside the contract is an error, not a success', async () => {
    fake.nextOutcome = { gets: 0, state: 'SUCCEEDED', result: { ok: true } };
    const result = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--wait'], deps);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the workflow\'s result has status undefined: expected "registered", "rejected" or "skipped"');

    // A workflow that returns nothing: the execution has no result.
    fake.nextOutcome = { gets: 0, state: 'SUCCEEDED' };
    const none = await modelstack(['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--wait'], deps);
    expect(none.code).toBe(3);
    expect(none.stdout).toContain('  result: (none)\n');
    expect(none.stderr).toContain('the workflow succeeded without a JSON result: expected {"status": "registered" | "rejected" | "skipped", ...}');
  });

  test('status lists the recent executions and shows the newest with its result; --execution shows one', async () => {
    const older = fake.addExecution(WORKFLOW, 'SUCCEEDED', { gets: 0, state: 'SUCCEEDED', result: { status: 'registered', version: '3', reason: 'first' } });
    fake.addExecution(WORKFLOW, 'SUCCEEDED', { gets: 0, state: 'SUCCEEDED', result: { status: 'skipped', reason: 'an execution was running' } });
    const listed = await modelstack(['status', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp'], deps);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/newest first:\n {2}\S+ {2}SUCCEEDED {3}sched-2\n {2}\S+ {2}SUCCEEDED {3}sched-1\n/);
    expect(listed.stdout).toContain('execution sched-2\n  state: SUCCEEDED');
    expect(listed.stdout).toContain('  reason: skipped: an execution was running\n  result: skipped');

    const one = await modelstack(['status', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--execution', older.id], deps);
    expect(one.stdout).toContain('execution sched-1\n  state: SUCCEEDED');
    expect(one.stdout).toContain('  version: 3');
  });

  test('the default wiring, as a user runs it: Application Default Credentials (here the metadata server) and WORKFLOWS_API_BASE_URL', async () => {
    // A separate process: Google's auth library loads its HTTP client with import(), which jest's VM does not run.
    fake.addExecution(WORKFLOW, 'SUCCEEDED', { gets: 0, state: 'SUCCEEDED', result: { status: 'registered', version: '2', reason: 'better' } });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GOOGLE_APPLICATION_CREDENTIALS|CLOUDSDK_CONFIG|GCE_METADATA_HOST|GCE_METADATA_IP)$/.test(key)));
    const base = deps.workflowsBaseUrl!;
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'modelstack.cjs'), 'pipeline', 'status', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--config', configFile], {
      env: { ...clean, HOME: mkdtempSync(join(tmpdir(), 'modelstack-adc-home-')), GCE_METADATA_HOST: new URL(base).host, WORKFLOWS_API_BASE_URL: base },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('execution sched-1\n  state: SUCCEEDED');
    expect(stdout).toContain('  version: 2');
  }, 60_000);

  test('no workflow, or no credentials: exit 3 with the reason and what to check', async () => {
    const missing = await modelstack(['run', '--model', 'sales-forecast', '--env', 'dev', '--cloud', 'gcp'], deps);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('HTTP 404 NOT_FOUND: Resource \'projects/modelstack-demo-dev/locations/europe-west1/workflows/modelstack-dev-sales-forecast-training\' was not found: is the environment\'s Google Cloud stack deployed with the model\'s training workflow?');

    const adcError = 'access token from Application Default Credentials failed: Could not load the default credentials (set GOOGLE_APPLICATION_CREDENTIALS ...)';
    const noCredentials = await modelstack(['status', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp'], { ...deps, accessToken: async () => Promise.reject(new Error(adcError)) });
    expect(noCredentials).toEqual({ code: 3, stdout: '', stderr: `modelstack: error: ${adcError}\n` });
    expect(fake.executions).toEqual([]);
  });

  test('a permission error shows Google\'s status and message: exit 3', async () => {
    fake.denied.add(WORKFLOW);
    const result = await modelstack(['status', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp'], deps);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `modelstack: error: Workflows executions.list failed: GET ${WORKFLOW}/executions?view=BASIC&pageSize=10: HTTP 403 PERMISSION_DENIED: ` +
        `Permission 'workflows.executions.list' denied on resource '${WORKFLOW}' (or it may not exist).\n`,
    );
  });
});

describe('pipeline run|status: the flags', () => {
  const none: PipelineCloudDeps = {};
  test.each([
    [['run', '--model', 'churn'], '--env: expected the environment whose deployed pipeline runs (dev, staging, prod), or --local to run here'],
    [['run', '--model', 'churn', '--env', 'qa'], '--env: no environment named "qa": expected one of dev, staging, prod'],
    [['status', '--model', 'churn', '--env', 'dev', '--cloud', 'azure'], '--cloud: expected aws or gcp, got azure'],
    [['status', '--model', 'nope', '--env', 'dev'], '--model: no model named "nope"'],
    [['run', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--parameter', 'Seed=1'], '--parameter: AWS only'],
    [['run', '--model', 'churn', '--env', 'dev', '--data', 'x.csv'], '--data and --code: only with --local'],
    [['run', '--local', '--model', 'churn', '--wait'], '--cloud, --wait and --parameter: only without --local'],
  ])('%j is a usage error', async (args, message) => {
    const result = await modelstack(args, none);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  test('an environment on one cloud only: --cloud names what it deploys to', async () => {
    const config = demo();
    delete config.environments.dev.gcp;
    const file = join(dir, 'aws-only.json');
    writeFileSync(file, JSON.stringify(config));
    const result = await cli(['pipeline', 'status', '--model', 'churn', '--env', 'dev', '--cloud', 'gcp', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--cloud gcp: environment dev is not deployed to gcp (it deploys to aws)');
  });
});
