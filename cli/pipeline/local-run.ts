// `modelstack pipeline run --local`: executes a model's generated SageMaker pipeline definition step by step on
// this machine. The registry folder stands in for the registry bucket (s3://<bucket>/<key> is <registry>/<key>);
// processing steps run their `python3 -m training.*` entry point with the container paths mapped to folders;
// training steps run the training code under SageMaker's training contract (hyperparameters.json, channels,
// /opt/ml/model packed as model.tar.gz); a tuning step is a seeded random search over its ranges, at most
// MaxNumberOfTrainingJobs trials, one at a time; the baseline Lambda step is `modelstack baseline`'s own code;
// the gate evaluates the definition's conditions on the evaluation's property file.
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { buildBaseline } from '../../core';
import { awsRegistryBucketName, namePrefixOf } from '../../infra/aws/names';
import type { PlatformConfig } from '../../infra/config/schema';
import { executionOrder, pipelineDefinitionProblems } from '../../infra/pipeline/checks';
import type { BinaryCondition, Channel, Expression, LambdaStep, PipelineStep, ProcessingStep, RegisterModelStep, TrainingJobShape, TuningStep } from '../../infra/pipeline/definition';
import { PARAMETER_NAMES, trainingPipelineDefinition } from '../../infra/pipeline/training-pipeline';

/** What a local run needs. */
export interface LocalRunOptions {
  readonly config: PlatformConfig;
  /** The environment whose definition runs (names, approval). */
  readonly environment: string;
  readonly model: string;
  /** The registry folder: models/<model>/<version>/, training-data/<model>/, pipelines/<model>/<execution>/. */
  readonly registry: string;
  /** Training data (a file or folder) instead of the InputData parameter's training-data/<model>/. */
  readonly data?: string;
  /** The repository holding training/ (the code the steps run). */
  readonly codeRoot: string;
  readonly python: string;
  readonly log: (line: string) => void;
}

/** How a local run ended. */
export interface LocalRunResult {
  readonly version: string;
  readonly registered: boolean;
  /** Where the version is (registered), or the gate's reason (refused). */
  readonly message: string;
  readonly approvalStatus?: string;
}

type Value = string | number | boolean;

/** The gate refused the candidate: the Fail step's message. */
export class CandidateRefused extends Error {}

/** The version folders of a model in a registry folder. */
export function registryVersions(registry: string, model: string): { version: string; folder: string; approved: boolean; at: number }[] {
  const root = join(registry, 'models', model);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((version) => ({ version, folder: join(root, version) }))
    .filter(({ folder }) => existsSync(join(folder, 'model.tar.gz')))
    .map(({ version, folder }) => {
      const lineageFile = join(folder, 'lineage.json');
      // A version published by hand (npm run train, docs/models.md) has no lineage.json: it counts as approved.
      const lineage = existsSync(lineageFile) ? (JSON.parse(readFileSync(lineageFile, 'utf8')) as { registration?: { approvalStatus?: string; registeredAt?: string } }) : undefined;
      const approved = lineage === undefined || lineage.registration?.approvalStatus === 'Approved';
      const at = lineage?.registration?.registeredAt ? Date.parse(lineage.registration.registeredAt) : statSync(join(folder, 'model.tar.gz')).mtimeMs;
      return { version, folder, approved, at };
    });
}

/** The next version label: one more than the highest numeric label. */
function nextVersion(registry: string, model: string): string {
  const root = join(registry, 'models', model);
  const numbers = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).map(Number) : [];
  return String(Math.max(0, ...numbers) + 1);
}

/** Runs the model's pipeline definition locally; resolves to the outcome, or throws on a failing step. */
export async function runLocalPipeline(options: LocalRunOptions): Promise<LocalRunResult> {
  const { config, environment, model, log } = options;
  const registry = resolve(options.registry);
  const bucket = awsRegistryBucketName(config, environment);
  // Locally nothing is pushed: the registration names the image the model would be served with.
  const definition = trainingPipelineDefinition(config, environment, model, { servingImage: `${namePrefixOf(config, environment)}-${model}:local` });
  const problems = pipelineDefinitionProblems(JSON.parse(JSON.stringify(definition)));
  if (problems.length > 0) throw new Error(`the generated definition is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);

  const version = nextVersion(registry, model);
  const current = registryVersions(registry, model)
    .filter((v) => v.approved)
    .sort((a, b) => b.at - a.at)[0];
  const parameters = new Map<string, Value>((definition.Parameters ?? []).map((p) => [p.Name, p.DefaultValue as Value]));
  if (options.data) parameters.set(PARAMETER_NAMES.inputData, resolve(options.data));
  // As the starter does: the approved version's model data, else the parameter's "none yet" default (PrepareData's marker).
  if (current) parameters.set(PARAMETER_NAMES.currentModelData, `s3://${bucket}/models/${model}/${current.version}/model.tar.gz`);
  const run = new Run(parameters, { PipelineExecutionId: version, PipelineExecutionArn: `local:${namePrefixOf(config, environment)}-${model}-training/${version}`, PipelineName: `${namePrefixOf(config, environment)}-${model}-training` }, { ...options, registry, bucket });
  log(`${model}: local pipeline run ${version} (${environment}'s definition; current version: ${current?.version ?? 'none'}; data: ${run.toLocal(String(parameters.get(PARAMETER_NAMES.inputData)))})`);
  const inputData = run.toLocal(String(parameters.get(PARAMETER_NAMES.inputData)));
  if (!existsSync(inputData)) throw new Error(`no training data at ${inputData}: put ${config.models.find((m) => m.name === model)?.training?.data.format ?? 'csv'} files there or pass --data <file or folder>`);
  try {
    const topLevel = new Set(definition.Steps.map((s) => s.Name));
    for (const name of executionOrder(definition).filter((n) => topLevel.has(n))) await run.step(definition.Steps.find((s) => s.Name === name)!);
  } catch (err) {
    if (err instanceof CandidateRefused) return { version, registered: false, message: err.message };
    throw err;
  } finally {
    run.cleanup();
  }
  const registration = run.registration;
  if (!registration) throw new Error('the pipeline ended without registering or refusing the candidate');
  return { version, registered: true, message: registration.folder, approvalStatus: registration.approvalStatus };
}

class Run {
  /** Step properties by step and property path, as the definition's Get references name them. */
  private readonly properties = new Map<string, Map<string, Value>>();
  /** Property files by step and file name: their local paths. */
  private readonly propertyFiles = new Map<string, Map<string, string>>();
  private readonly scratch = mkdtempSync(join(tmpdir(), 'modelstack-pipeline-'));
  registration?: { folder: string; approvalStatus: string };

  constructor(
    private readonly parameters: Map<string, Value>,
    private readonly executionVariables: Record<string, string>,
    private readonly options: LocalRunOptions & { bucket: string },
  ) {}

  cleanup(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }

  /** s3://<registry bucket>/<key> as <registry>/<key>; a local path stays. */
  toLocal(uri: string): string {
    if (!uri.startsWith('s3://')) return uri;
    const prefix = `s3://${this.options.bucket}/`;
    if (!uri.startsWith(prefix)) throw new Error(`${uri}: the local run reads and writes only the registry bucket (${prefix})`);
    return join(this.options.registry, uri.slice(prefix.length));
  }

  resolve(value: unknown): Value {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    const expression = value as Expression;
    if ('Get' in expression) return this.get(expression.Get);
    if ('Std:Join' in expression) return expression['Std:Join'].Values.map((v) => String(this.resolve(v))).join(expression['Std:Join'].On);
    const { PropertyFile, Path } = expression['Std:JsonGet'];
    const [, step, file] = /^Steps\.([^.]+)\.PropertyFiles\.(.+)$/.exec(PropertyFile.Get) ?? [];
    const path = this.propertyFiles.get(step)?.get(file);
    if (!path) throw new Error(`${PropertyFile.Get}: step ${step} has not written its property file ${file}`);
    let found: unknown = JSON.parse(readFileSync(path, 'utf8'));
    for (const key of Path.split('.')) found = (found as Record<string, unknown> | undefined)?.[key];
    if (typeof found !== 'string' && typeof found !== 'number' && typeof found !== 'boolean') throw new Error(`${path}: no value at ${Path}`);
    return found;
  }

  private get(reference: string): Value {
    const [kind, ...rest] = reference.split('.');
    if (kind === 'Parameters') return this.required(this.parameters.get(rest[0]), reference);
    if (kind === 'Execution') return this.required(this.executionVariables[rest[0]], reference);
    const [step, ...path] = rest;
    return this.required(this.properties.get(step)?.get(path.join('.')), reference);
  }

  private required(value: Value | undefined, reference: string): Value {
    if (value === undefined) throw new Error(`${reference}: not known when it is read (the local runner sets only what its steps produce)`);
    return value;
  }

  private set(step: string, path: string, value: Value): void {
    const properties = this.properties.get(step) ?? new Map<string, Value>();
    properties.set(path, value);
    this.properties.set(step, properties);
  }

  async step(step: PipelineStep): Promise<void> {
    const started = performance.now();
    let note = '';
    switch (step.Type) {
      case 'Processing':
        note = await this.processing(step);
        break;
      case 'Training': {
        const job = await this.trainingJob(step.Name, step.Arguments, step.Arguments.HyperParameters ?? {}, `${step.Name.toLowerCase()}-job`);
        this.set(step.Name, 'TrainingJobName', job.name);
        this.set(step.Name, 'ModelArtifacts.S3ModelArtifacts', job.modelUri);
        note = job.summary;
        break;
      }
      case 'Tuning':
        note = await this.tuning(step);
        break;
      case 'Lambda':
        note = await this.lambda(step);
        break;
      case 'Condition': {
        const holds = step.Arguments.Conditions.map((c) => this.condition(c));
        const branch = holds.every(Boolean) ? step.Arguments.IfSteps ?? [] : step.Arguments.ElseSteps ?? [];
        this.set(step.Name, 'Outcome', holds.every(Boolean));
        this.options.log(`  ${step.Name}: ${holds.every(Boolean) ? 'true' : 'false'} -> ${branch.map((s) => s.Name).join(', ') || 'nothing'}`);
        for (const inner of branch) await this.step(inner);
        return;
      }
      case 'RegisterModel':
        note = this.register(step);
        break;
      case 'Fail':
        throw new CandidateRefused(String(this.resolve(step.Arguments.ErrorMessage)));
    }
    this.options.log(`  ${step.Name} (${step.Type}, ${((performance.now() - started) / 1000).toFixed(1)} s)${note ? `: ${note}` : ''}`);
  }

  private condition(condition: BinaryCondition): boolean {
    const left = this.resolve(condition.LeftValue);
    const right = this.resolve(condition.RightValue);
    switch (condition.Type) {
      case 'GreaterThan':
        return left > right;
      case 'GreaterThanOrEqualTo':
        return left >= right;
      case 'LessThan':
        return left < right;
      case 'LessThanOrEqualTo':
        return left <= right;
      case 'Equals':
        return left === right;
      case 'NotEquals':
        return left !== right;
    }
  }

  /** Copies what an S3 URI names (a prefix: a folder, or one object) into `dest`, as SageMaker downloads an input. */
  private download(uri: string, dest: string): void {
    const source = this.toLocal(uri);
    mkdirSync(dest, { recursive: true });
    if (!existsSync(source)) throw new Error(`${uri}: no objects (${source} does not exist)`);
    if (statSync(source).isDirectory()) cpSync(source, dest, { recursive: true });
    else copyFileSync(source, join(dest, basename(source)));
  }

  private upload(folder: string, uri: string): void {
    const target = this.toLocal(uri);
    mkdirSync(target, { recursive: true });
    cpSync(folder, target, { recursive: true });
  }

  private async processing(step: ProcessingStep): Promise<string> {
    const args = step.Arguments;
    const [command, flag, module] = (args.AppSpecification.ContainerEntrypoint ?? []).map((v) => this.resolve(v));
    if (command !== 'python3' || flag !== '-m' || typeof module !== 'string') throw new Error(`${step.Name}: the local runner runs "python3 -m <module>" entry points, got ${JSON.stringify(args.AppSpecification.ContainerEntrypoint)}`);
    // The container's file system under a scratch folder: /opt/ml/processing/... is <scratch>/<step>/opt/ml/processing/...
    const job = join(this.scratch, step.Name);
    const inContainer = (path: string) => join(job, path);
    for (const input of args.ProcessingInputs ?? []) this.download(String(this.resolve(input.S3Input.S3Uri)), inContainer(String(this.resolve(input.S3Input.LocalPath))));
    const outputs = (args.ProcessingOutputConfig?.Outputs ?? []).map((output) => {
      const local = inContainer(String(this.resolve(output.S3Output.LocalPath)));
      mkdirSync(local, { recursive: true });
      return { name: String(this.resolve(output.OutputName)), local, uri: String(this.resolve(output.S3Output.S3Uri)) };
    });
    const mapPath = (arg: string): string => (arg.startsWith('/opt/ml/') ? inContainer(arg) : arg.startsWith('s3://') ? this.toLocal(arg) : arg);
    const containerArgs = (args.AppSpecification.ContainerArguments ?? []).map((a) => mapPath(String(this.resolve(a))));
    // The step's Environment (the Track step's MLFLOW_TRACKING_URI: the deployed tracking server's ARN) is not
    // applied: a local run touches no cloud. The entry point sees this process's environment, so a
    // MLFLOW_TRACKING_URI of your own (and the mlflow package) tracks the local run.
    const out = await this.python(step.Name, ['-m', module, ...containerArgs]);
    for (const output of outputs) {
      this.upload(output.local, output.uri);
      this.set(step.Name, `ProcessingOutputConfig.Outputs['${output.name}'].S3Output.S3Uri`, output.uri);
    }
    for (const file of step.PropertyFiles ?? []) {
      const output = outputs.find((o) => o.name === file.OutputName)!;
      const files = this.propertyFiles.get(step.Name) ?? new Map<string, string>();
      files.set(file.PropertyFileName, join(this.toLocal(output.uri), file.FilePath));
      this.propertyFiles.set(step.Name, files);
    }
    return lastLine(out);
  }

  /** One training job under SageMaker's contract; returns its model artifact's URI and its metrics. */
  private async trainingJob(step: string, shape: TrainingJobShape, hyperparameters: Readonly<Record<string, unknown>>, name: string): Promise<{ name: string; modelUri: string; metrics: Record<string, number>; summary: string }> {
    const root = join(this.scratch, name);
    mkdirSync(join(root, 'input', 'config'), { recursive: true });
    const resolved = Object.fromEntries(Object.entries(hyperparameters).map(([k, v]) => [k, String(this.resolve(v))]));
    writeFileSync(join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(resolved));
    for (const channel of shape.InputDataConfig as readonly Channel[]) {
      this.download(String(this.resolve(channel.DataSource.S3DataSource.S3Uri)), join(root, 'input', 'data', String(this.resolve(channel.ChannelName))));
    }
    const out = await this.python(step, ['-m', 'training.train', '--sagemaker', root]);
    const metrics: Record<string, number> = {};
    for (const definition of shape.AlgorithmSpecification.MetricDefinitions ?? []) {
      const match = new RegExp(String(this.resolve(definition.Regex))).exec(out);
      if (match) metrics[String(this.resolve(definition.Name))] = Number(match[1]);
    }
    // SageMaker packs /opt/ml/model into <S3OutputPath>/<job name>/output/model.tar.gz.
    const modelUri = `${String(this.resolve(shape.OutputDataConfig.S3OutputPath))}/${name}/output/model.tar.gz`;
    const tarball = this.toLocal(modelUri);
    mkdirSync(dirname(tarball), { recursive: true });
    await this.exec('tar', ['-czf', tarball, '-C', join(root, 'model'), ...readdirSync(join(root, 'model')).sort()], step);
    const summary = Object.entries(metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
    return { name, modelUri, metrics, summary };
  }

  private async tuning(step: TuningStep): Promise<string> {
    const { HyperParameterTuningJobConfig: config, TrainingJobDefinition: definition } = step.Arguments;
    const objective = String(this.resolve(config.HyperParameterTuningJobObjective.MetricName));
    const maximize = config.HyperParameterTuningJobObjective.Type === 'Maximize';
    const random = seededRandom(Number(this.parameters.get(PARAMETER_NAMES.seed) ?? 7));
    const trials = config.ResourceLimits.MaxNumberOfTrainingJobs;
    let best: { name: string; value: number; params: Record<string, string> } | undefined;
    for (let i = 1; i <= trials; i++) {
      const params = sampleRanges(config.ParameterRanges, random, (v) => String(this.resolve(v)));
      const job = await this.trainingJob(step.Name, definition, { ...definition.StaticHyperParameters, ...params }, `${step.Name.toLowerCase()}-${String(i).padStart(3, '0')}`);
      const value = job.metrics[objective];
      this.options.log(`    trial ${i}/${trials} ${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ')}: ${objective} ${value?.toFixed(4) ?? 'missing'}`);
      if (value !== undefined && (!best || (maximize ? value > best.value : value < best.value))) best = { name: job.name, value, params };
    }
    if (!best) throw new Error(`${step.Name}: no trial reported ${objective}`);
    this.set(step.Name, 'HyperParameterTuningJobName', `${step.Name.toLowerCase()}-local`);
    this.set(step.Name, 'BestTrainingJob.TrainingJobName', best.name);
    this.set(step.Name, 'BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value', best.value);
    return `best ${best.name} (${Object.entries(best.params).map(([k, v]) => `${k}=${v}`).join(' ')}): ${objective} ${best.value.toFixed(4)}`;
  }

  private async lambda(step: LambdaStep): Promise<string> {
    // The baseline function's local stand-in: the profiler `modelstack baseline` runs, in-process.
    if (!/-training-baseline$/.test(step.FunctionArn)) throw new Error(`${step.Name}: no local stand-in for Lambda function ${step.FunctionArn}`);
    const argument = (name: string) => String(this.resolve(step.Arguments?.[name]));
    const features = this.toLocal(argument('features'));
    const file = statSync(features).isDirectory() ? readdirSync(features).filter((f) => f.endsWith('.csv')).map((f) => join(features, f))[0] : features;
    if (!file) throw new Error(`${step.Name}: no CSV under ${features}`);
    const categorical = argument('categorical').split(',').filter(Boolean);
    const { baseline } = await buildBaseline(file, { categorical, format: 'csv' });
    const output = argument('output');
    mkdirSync(dirname(this.toLocal(output)), { recursive: true });
    writeFileSync(this.toLocal(output), `${JSON.stringify(baseline)}\n`);
    this.set(step.Name, "OutputParameters['baseline']", output);
    return `${baseline.rows} rows profiled`;
  }

  private register(step: RegisterModelStep): string {
    const args = step.Arguments;
    const container = args.InferenceSpecification.Containers[0];
    const modelData = this.toLocal(String(this.resolve(container.ModelDataUrl)));
    if (!existsSync(modelData)) throw new Error(`${step.Name}: ${modelData} does not exist: the version was not published`);
    const folder = dirname(modelData);
    const approvalStatus = String(args.ModelApprovalStatus === undefined ? 'PendingManualApproval' : this.resolve(args.ModelApprovalStatus));
    // The local registry has no model package group: the registration is recorded in the version's lineage.
    const lineageFile = join(folder, 'lineage.json');
    const lineage = existsSync(lineageFile) ? JSON.parse(readFileSync(lineageFile, 'utf8')) : {};
    lineage.registration = {
      modelPackageGroup: String(this.resolve(args.ModelPackageGroupName)),
      approvalStatus,
      image: String(this.resolve(container.Image)),
      modelDataUrl: String(this.resolve(container.ModelDataUrl)),
      ...(args.CustomerMetadataProperties
        ? { customerMetadata: Object.fromEntries(Object.entries(args.CustomerMetadataProperties).map(([k, v]) => [k, String(this.resolve(v))])) }
        : {}),
      registeredAt: new Date().toISOString(),
    };
    writeFileSync(lineageFile, `${JSON.stringify(lineage, null, 2)}\n`);
    this.registration = { folder, approvalStatus };
    this.set(step.Name, 'ModelPackageArn', `local:${folder}`);
    return `${lineage.registration.modelPackageGroup} (${approvalStatus}) -> ${folder}`;
  }

  private python(step: string, args: string[]): Promise<string> {
    return this.exec(this.options.python, args, step, { PYTHONPATH: this.options.codeRoot, PYTHONDONTWRITEBYTECODE: '1' });
  }

  private exec(command: string, args: string[], step: string, env: Record<string, string> = {}): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(command, args, { cwd: this.options.codeRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (err) => reject(new Error(`${step}: cannot run ${command}: ${err.message}`)));
      child.on('close', (code) => {
        if (code === 0) resolvePromise(stdout);
        else reject(new Error(`${step}: ${basename(command)} ${args.slice(0, 2).join(' ')} failed (exit ${code}):\n${(stderr.trim() || stdout.trim()).split('\n').slice(-12).join('\n')}`));
      });
    });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/** mulberry32: a small seeded generator, so a seed repeats a local tuning run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random point of the ranges, as hyper-parameter strings (logarithmic scaling samples the logarithm). */
function sampleRanges(ranges: TuningStep['Arguments']['HyperParameterTuningJobConfig']['ParameterRanges'], random: () => number, text: (v: unknown) => string): Record<string, string> {
  const point: Record<string, string> = {};
  const numeric = (min: number, max: number, scaling: string | undefined) =>
    scaling === 'Logarithmic' ? Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))) : min + random() * (max - min);
  for (const range of ranges.ContinuousParameterRanges ?? []) point[text(range.Name)] = numeric(Number(text(range.MinValue)), Number(text(range.MaxValue)), range.ScalingType).toPrecision(4);
  for (const range of ranges.IntegerParameterRanges ?? []) {
    const [min, max] = [Number(text(range.MinValue)), Number(text(range.MaxValue))];
    point[text(range.Name)] = String(Math.min(max, Math.max(min, Math.round(numeric(min, max, range.ScalingType)))));
  }
  for (const range of ranges.CategoricalParameterRanges ?? []) point[text(range.Name)] = text(range.Values[Math.floor(random() * range.Values.length)]);
  return point;
}
