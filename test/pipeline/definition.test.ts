import { parseConfig } from '../../infra/config/load';
import { executionOrder, pipelineDefinitionProblems } from '../../infra/pipeline/checks';
import { trainingPipelineDefinition } from '../../infra/pipeline/training-pipeline';
import { demo } from '../helpers/config';

const config = parseConfig(demo(), 'demo');
/** A fresh, untyped copy of a generated definition, for mutating. */
const generated = (model = 'churn', env = 'prod'): any => structuredClone(trainingPipelineDefinition(config, env, model));
const step = (definition: any, name: string): any =>
  [...definition.Steps, ...definition.Steps.flatMap((s: any) => [...(s.Arguments?.IfSteps ?? []), ...(s.Arguments?.ElseSteps ?? [])])].find((s: any) => s.Name === name);

describe('the generated training pipeline definitions', () => {
  test.each(['dev', 'staging', 'prod'].flatMap((env) => ['churn', 'sales-forecast'].map((model) => [env, model])))('%s %s passes every check', (env, model) => {
    expect(pipelineDefinitionProblems(JSON.parse(JSON.stringify(trainingPipelineDefinition(config, env, model))))).toEqual([]);
  });

  test('churn is tuned over its ranges for the best validation ROC AUC; sales-forecast trains once with its fixed hyper-parameters', () => {
    const tune = step(generated('churn'), 'Tune').Arguments;
    expect(tune.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:rocAuc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.02', MaxValue: '0.3', ScalingType: 'Logarithmic' }],
        IntegerParameterRanges: [
          { Name: 'max_depth', MinValue: '2', MaxValue: '6', ScalingType: 'Auto' },
          { Name: 'n_estimators', MinValue: '50', MaxValue: '300', ScalingType: 'Auto' },
        ],
        CategoricalParameterRanges: [],
      },
      TrainingJobEarlyStoppingType: 'Auto',
    });
    expect(tune.TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions).toEqual([{ Name: 'validation:rocAuc', Regex: 'validation:rocAuc=([-+0-9.eE]+)' }]);
    const train = step(generated('sales-forecast'), 'Train').Arguments;
    expect(train.HyperParameters).toMatchObject({ model: 'sales-forecast', target: 'units_sold', metric: 'rmse', max_iter: '200', learning_rate: '0.08' });
    // rmse: lower is better, so the floor is a ceiling.
    expect(step(generated('sales-forecast'), 'Gate').Arguments.Conditions[1]).toMatchObject({ Type: 'LessThanOrEqualTo', RightValue: { Get: 'Parameters.ObjectiveFloor' } });
  });

  test('jobs run encrypted with the registry key, isolated from the network, and register into the model\'s package group with the environment\'s approval', () => {
    const prod = generated('churn', 'prod');
    const prepare = step(prod, 'PrepareData').Arguments;
    expect(prepare.ProcessingResources.ClusterConfig.VolumeKmsKeyId).toBe('alias/modelstack-prod-model-registry');
    expect(prepare.ProcessingOutputConfig.KmsKeyId).toBe('alias/modelstack-prod-model-registry');
    expect(prepare.NetworkConfig).toEqual({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });
    expect(prod.Parameters.find((p: any) => p.Name === 'ModelApprovalStatus').DefaultValue).toBe('PendingManualApproval');
    expect(generated('churn', 'dev').Parameters.find((p: any) => p.Name === 'ModelApprovalStatus').DefaultValue).toBe('Approved');
    const register = step(prod, 'Register').Arguments;
    expect(register.ModelPackageGroupName).toBe('modelstack-prod-churn');
    expect(register.InferenceSpecification.Containers[0].ModelDataUrl).toEqual({
      'Std:Join': { On: '/', Values: ['s3://modelstack-prod-models-333333333333-eu-west-1/models/churn', { Get: 'Execution.PipelineExecutionId' }, 'model.tar.gz'] },
    });
    expect(prod.Parameters.find((p: any) => p.Name === 'InputData').DefaultValue).toBe('s3://modelstack-prod-models-333333333333-eu-west-1/training-data/churn/');
  });

  test('the current version reaches the network-isolated Evaluate as a processing input; "none yet" is a prefix PrepareData writes', () => {
    const prod = generated('churn', 'prod');
    const parameter = prod.Parameters.find((p: any) => p.Name === 'CurrentModelDataUrl');
    expect(parameter).toMatchObject({ Type: 'String', DefaultValue: 's3://modelstack-prod-models-333333333333-eu-west-1/pipelines/churn/no-current-version/' });
    const evaluate = step(prod, 'Evaluate').Arguments;
    expect(evaluate.ProcessingInputs).toContainEqual({
      InputName: 'current',
      S3Input: { S3Uri: { Get: 'Parameters.CurrentModelDataUrl' }, LocalPath: '/opt/ml/processing/input/current', S3DataType: 'S3Prefix', S3InputMode: 'File' },
    });
    const args = evaluate.AppSpecification.ContainerArguments;
    expect(args[args.indexOf('--current') + 1]).toBe('/opt/ml/processing/input/current');
    expect(step(prod, 'PrepareData').Arguments.ProcessingOutputConfig.Outputs).toContainEqual({
      OutputName: 'no-current-version',
      S3Output: { S3Uri: parameter.DefaultValue, LocalPath: '/opt/ml/processing/prepared/no-current-version', S3UploadMode: 'EndOfJob' },
    });
    // A reference to a parameter the definition does not declare is caught.
    const broken = generated('churn', 'prod');
    broken.Parameters = broken.Parameters.filter((p: any) => p.Name !== 'CurrentModelDataUrl');
    expect(pipelineDefinitionProblems(broken)).toEqual([expect.stringMatching(/^Steps\[2\]\.Arguments\.ProcessingInputs\[2\]\.S3Input\.S3Uri: no parameter named "CurrentModelDataUrl"/)]);
    // A word such as "none" as the input's default (what the definition had before) fails at CreateProcessingJob.
    const none = generated('churn', 'prod');
    none.Parameters.find((p: any) => p.Name === 'CurrentModelDataUrl').DefaultValue = 'none';
    step(none, 'PrepareData').Arguments.ProcessingInputs[0].S3Input.S3Uri = 'training-data/churn/';
    expect(pipelineDefinitionProblems(none)).toEqual([
      'Steps[0].Arguments.ProcessingInputs[0].S3Input.S3Uri: expected an s3:// or https:// URI, got "training-data/churn/"',
      'Steps[2].Arguments.ProcessingInputs[2].S3Input.S3Uri: parameter CurrentModelDataUrl\'s default "none" is not an S3 URI: an execution that keeps it fails',
    ]);
  });

  test('prod tracks each run in its MLflow tracking server: a Track step with network, the registered version linked to the run', () => {
    const prod = generated('churn', 'prod');
    const track = step(prod, 'Track');
    expect(track.Arguments.Environment).toEqual({ MLFLOW_TRACKING_URI: 'arn:aws:sagemaker:eu-west-1:333333333333:mlflow-tracking-server/modelstack-prod', MLFLOW_EXPERIMENT_NAME: 'modelstack-prod-churn', AWS_DEFAULT_REGION: 'eu-west-1' });
    // churn tunes: its trials become nested runs, read from the tuning job the Tune step ran.
    const args = track.Arguments.AppSpecification.ContainerArguments;
    expect(args.slice(args.indexOf('--tuning-job'), args.indexOf('--out'))).toEqual([
      '--tuning-job', { Get: 'Steps.Tune.HyperParameterTuningJobName' },
      '--best-trial', { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' },
    ]);
    // The only step with network: the MLflow client calls the server; it reads no training data.
    expect(track.Arguments.NetworkConfig).toEqual({ EnableNetworkIsolation: false, EnableInterContainerTrafficEncryption: true });
    expect(track.Arguments.ProcessingInputs.map((i: any) => i.InputName)).toEqual(['model', 'evaluation']);
    expect(prod.Steps.flatMap((s: any) => [s, ...(s.Arguments?.IfSteps ?? [])]).filter((s: any) => s.Type === 'Processing' && s.Name !== 'Track').map((s: any) => s.Arguments.NetworkConfig.EnableNetworkIsolation)).toEqual([true, true, true]);
    expect(step(prod, 'Gate').DependsOn).toEqual(['Baseline', 'Track']);
    expect(step(prod, 'Register').Arguments.CustomerMetadataProperties).toEqual({
      mlflow_run_id: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Track.PropertyFiles.MlflowRun' }, Path: 'run_id' } },
      mlflow_tracking_server_arn: 'arn:aws:sagemaker:eu-west-1:333333333333:mlflow-tracking-server/modelstack-prod',
      mlflow_experiment: 'modelstack-prod-churn',
    });
    // sales-forecast trains once: no trials to read.
    expect(step(generated('sales-forecast', 'prod'), 'Track').Arguments.AppSpecification.ContainerArguments).not.toContain('--tuning-job');
    // dev opts out (aws.mlflow: false): no Track step, no link.
    const dev = generated('churn', 'dev');
    expect(step(dev, 'Track')).toBeUndefined();
    expect(step(dev, 'Register').Arguments.CustomerMetadataProperties).toBeUndefined();
  });

  test('the execution order respects every dependency', () => {
    // The branch steps after their condition, whatever else they wait for (prod tracks its runs: Track before Gate).
    expect(executionOrder(generated('churn'))).toEqual(['PrepareData', 'Tune', 'Baseline', 'Evaluate', 'Track', 'Gate', 'Publish', 'Refuse', 'Register']);
    expect(executionOrder(generated('churn', 'dev'))).toEqual(['PrepareData', 'Tune', 'Baseline', 'Evaluate', 'Gate', 'Publish', 'Refuse', 'Register']);
  });
});

describe('each check catches a mutated definition', () => {
  const cases: [string, (d: any) => void, RegExp][] = [
    ['wrong Version', (d) => (d.Version = '2021-01-01'), /^Version: expected "2020-12-01"/],
    ['unknown top-level key', (d) => (d.Stages = []), /^definition\.Stages: unknown key/],
    ['bad metadata key', (d) => (d.Metadata['bad key'] = 'x'), /^Metadata\.bad key: expected a key/],
    ['bad parameter name', (d) => (d.Parameters[0].Name = 'Input Data'), /^Parameters\[0\]\.Name: expected 1-64 letters/],
    ['duplicate parameter', (d) => d.Parameters.push({ ...d.Parameters[0] }), /duplicate parameter name "InputData"/],
    ['integer parameter with a float default', (d) => (d.Parameters.find((p: any) => p.Name === 'Seed').DefaultValue = 1.5), /Parameters\[3\]\.DefaultValue: expected a integer/],
    ['unknown parameter type', (d) => (d.Parameters[0].Type = 'Text'), /Parameters\[0\]\.Type: expected one of String, Integer, Float, Boolean/],
    ['unknown step type', (d) => (d.Steps[0].Type = 'Processor'), /^Steps\[0\]\.Type: expected one of Processing/],
    ['bad step name', (d) => (step(d, 'Baseline').Name = 'Base line'), /^Steps\[3\]\.Name: expected 1-64 letters/],
    ['unknown step key', (d) => (d.Steps[0].Retries = 2), /^Steps\[0\]\.Retries: unknown key/],
    ['missing Arguments', (d) => delete step(d, 'Evaluate').Arguments, /^Steps\[2\]\.Arguments: missing/],
    ['duplicate step name', (d) => (step(d, 'Publish').Name = 'Evaluate'), /duplicate step name "Evaluate"/],
    ['DependsOn an unknown step', (d) => (step(d, 'Gate').DependsOn = ['Nope']), /^Steps\[5\]\.DependsOn\[0\]: no step named "Nope"/],
    ['a metadata property that is not a string', (d) => (step(d, 'Register').Arguments.CustomerMetadataProperties.mlflow_run_id = 7), /CustomerMetadataProperties\.mlflow_run_id: expected a string of at most 256 characters, got 7/],
    ['a bad metadata property key', (d) => (step(d, 'Register').Arguments.CustomerMetadataProperties['run#id'] = 'x'), /CustomerMetadataProperties\.run#id: expected a key of 1-128 letters/],
    ['a registration reading a missing property file', (d) => (step(d, 'Track').PropertyFiles = []), /step "Track" has no property file "MlflowRun"/],
    ['a step depending on itself', (d) => (step(d, 'Gate').DependsOn = ['Gate']), /a step cannot depend on itself/],
    ['a cycle', (d) => (d.Steps[0].DependsOn = ['Gate']), /the steps form a cycle: .*PrepareData.*Gate/],
    ['a missing parameter', (d) => (step(d, 'PrepareData').Arguments.ProcessingInputs[0].S3Input.S3Uri = { Get: 'Parameters.Data' }), /no parameter named "Data"/],
    ['an unknown execution variable', (d) => (step(d, 'Publish').Arguments.AppSpecification.ContainerArguments[3] = { Get: 'Execution.Id' }), /no execution variable "Id"/],
    ['a reference to a missing step', (d) => (step(d, 'Evaluate').Arguments.ProcessingInputs[1].S3Input.S3Uri = { Get: "Steps.Prepare.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri" }), /no step named "Prepare"/],
    ['a property the step type lacks', (d) => (step(d, 'Publish').Arguments.ProcessingInputs[0].S3Input.S3Uri = { Get: 'Steps.Tune.ModelArtifacts.S3ModelArtifacts' }), /a Tuning step has no property "ModelArtifacts"/],
    ['a missing processing output', (d) => (step(d, 'Evaluate').Arguments.ProcessingInputs[1].S3Input.S3Uri = { Get: "Steps.PrepareData.ProcessingOutputConfig.Outputs['holdout'].S3Output.S3Uri" }), /step "PrepareData" has no output "holdout"/],
    ['a missing property file', (d) => (step(d, 'Evaluate').PropertyFiles[0].PropertyFileName = 'Report'), /step "Evaluate" has no property file "EvaluationReport"/],
    ['a property file on a missing output', (d) => (step(d, 'Evaluate').PropertyFiles[0].OutputName = 'report'), /PropertyFiles\[0\]\.OutputName: expected one of the step's outputs \(evaluation\)/],
    ['an undeclared Lambda output', (d) => (step(d, 'Baseline').OutputParameters = []), /step "Baseline" declares no output parameter "baseline"/],
    ['a bad Lambda ARN', (d) => (step(d, 'Baseline').FunctionArn = 'baseline'), /Steps\[3\]\.FunctionArn: expected a Lambda function ARN/],
    ['a step reading itself', (d) => (step(d, 'Evaluate').Arguments.ProcessingInputs[1].S3Input.S3Uri = { Get: 'Steps.Evaluate.ProcessingJobName' }), /a step cannot read its own properties/],
    ['an unknown condition type', (d) => (step(d, 'Gate').Arguments.Conditions[0].Type = 'AtLeast'), /Conditions\[0\]\.Type: expected one of GreaterThan/],
    ['a condition without a right value', (d) => delete step(d, 'Gate').Arguments.Conditions[0].RightValue, /Conditions\[0\]\.RightValue: missing/],
    ['a Lambda step in a branch', (d) => step(d, 'Gate').Arguments.IfSteps.push({ ...step(d, 'Baseline'), Name: 'Baseline2' }), /IfSteps\[2\]\.Type: a condition's IfSteps and ElseSteps hold only Training, Fail, Processing, Transform, RegisterModel steps, got Lambda/],
    ['a bad tuning strategy', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.Strategy = 'Grid'), /Strategy: expected Bayesian or Random/],
    ['more parallel jobs than jobs', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs = 9), /MaxParallelTrainingJobs: expected at most MaxNumberOfTrainingJobs/],
    ['zero tuning jobs', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 0), /MaxNumberOfTrainingJobs: expected an integer of at least 1/],
    ['more than 20 ranges of a kind', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges = Array.from({ length: 21 }, (_, i) => ({ Name: `p${i}`, MinValue: '1', MaxValue: '2' }))), /IntegerParameterRanges: expected at most 20 ranges, got 21/],
    ['a numeric range bound', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MinValue = 2), /IntegerParameterRanges\[0\]\.MinValue: expected a string/],
    ['an empty range', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MaxValue = '2'), /IntegerParameterRanges\[0\]\.MaxValue: expected more than MinValue \(2\)/],
    ['a bad scaling type', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].ScalingType = 'Log'), /ScalingType: expected one of Auto, Linear, Logarithmic, ReverseLogarithmic/],
    ['a bad objective', (d) => (step(d, 'Tune').Arguments.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.Type = 'Max'), /HyperParameterTuningJobObjective: expected \{ Type: Maximize \| Minimize, MetricName \}/],
    ['a training job definition without a role', (d) => delete step(d, 'Tune').Arguments.TrainingJobDefinition.RoleArn, /TrainingJobDefinition\.RoleArn: missing/],
    ['a numeric hyper-parameter', (d) => (step(d, 'Tune').Arguments.TrainingJobDefinition.StaticHyperParameters.seed = 7), /StaticHyperParameters\.seed: expected a string/],
    ['a bad approval status', (d) => (step(d, 'Register').Arguments.ModelApprovalStatus = 'Yes'), /ModelApprovalStatus: expected one of Approved, Rejected, PendingManualApproval/],
    ['a registration without a model', (d) => (step(d, 'Register').Arguments.InferenceSpecification.Containers = []), /Containers: expected at least one container/],
    ['a malformed Std:Join', (d) => (step(d, 'Register').Arguments.InferenceSpecification.Containers[0].ModelDataUrl = { 'Std:Join': { Values: ['a'] } }), /ModelDataUrl: expected \{ "Std:Join": \{ On/],
    ['a Std:Join nesting a Std:Join', (d) => (step(d, 'Register').Arguments.InferenceSpecification.Containers[0].ModelDataUrl = { 'Std:Join': { On: '/', Values: [{ 'Std:Join': { On: '', Values: [] } }] } }), /Values\[0\]: expected a string, number, boolean or \{ Get \}/],
    ['a malformed Std:JsonGet', (d) => (step(d, 'Refuse').Arguments.ErrorMessage = { 'Std:JsonGet': { Path: 'decision.reason' } }), /ErrorMessage: expected \{ "Std:JsonGet"/],
    ['a bad retry policy', (d) => (d.Steps[0].RetryPolicies = [{ ExceptionType: 'Any' }]), /RetryPolicies\[0\]\.ExceptionType: expected one of Step\.SERVICE_FAULT/],
    ['a condition inside a branch', (d) => step(d, 'Gate').Arguments.ElseSteps.push({ Name: 'Inner', Type: 'Condition', Arguments: { Conditions: [] } }), /ElseSteps\[1\]: a condition step cannot be inside another condition's branch/],
  ];
  test.each(cases)('%s', (_, mutate, expected) => {
    const definition = generated('churn');
    mutate(definition);
    const problems = pipelineDefinitionProblems(definition);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });
});
