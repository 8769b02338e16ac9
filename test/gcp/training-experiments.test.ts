import { EXPERIMENT_SCHEMAS, trainingWorkflowDefinition, type TrainingWorkflowSpec } from '../../constructs/gcp/private/training-workflow-source';
import { workflowDefinitionProblems, type WorkflowStep } from '../../constructs/gcp/private/workflow-definition';
import { TUNED } from './training-spec';
import { WorkflowInterpreter } from './workflow-interpreter';

// The training workflow's Vertex AI Experiments steps, run by an interpreter against a fake ML Metadata store, and
// the contexts they leave compared with what the Vertex AI SDK leaves for the same run
// (googleapis/python-aiplatform, google/cloud/aiplatform/metadata/, commit 91cc8ce4, 2026-08-21).

const STORE = 'projects/ms-project/locations/europe-west1/metadataStores/default';
const TENSORBOARD = 'projects/ms-project/locations/europe-west1/tensorboards/123';
const ENV = { TRAINING_KMS_KEY: 'projects/ms-project/locations/europe-west1/keyRings/r/cryptoKeys/k', TRAINING_TENSORBOARD: TENSORBOARD, TRAINING_BUCKET: 'ms-dev-models' };
const EXECUTION = '0b5f8a3e-6c1d-4f7a-9a2b-1c3d5e7f9a0b';

type Context = { name: string; displayName: string; description?: string; schemaTitle: string; schemaVersion: string; metadata: Record<string, unknown>; children: string[] };

/** What the SDK's calls leave in the store: the context API's answers, modelled as ML Metadata keeps them. */
class FakeMetadataStore {
  readonly contexts = new Map<string, Context>();

  call(call: string, args: Record<string, any>): unknown {
    const method = call.replace('googleapis.aiplatform.v1.projects.locations.', '');
    if (method === 'metadataStores.create') return { name: `${args.parent}/metadataStores/${args.metadataStoreId}` };
    if (method === 'metadataStores.contexts.create') {
      const name = `${args.parent}/contexts/${args.contextId}`;
      if (this.contexts.has(name)) throw new Error(`409 ${name}`);
      if (!/^[a-z0-9][a-z0-9-]{3,127}$/.test(args.contextId)) throw new Error(`contextId ${args.contextId}: expected 4-128 of [a-z0-9-]`);
      this.contexts.set(name, { name, ...args.body, children: [] });
      return this.contexts.get(name);
    }
    const context = this.contexts.get(args.name ?? args.context);
    if (!context) throw new Error(`404 ${args.name ?? args.context}`);
    if (method === 'metadataStores.contexts.patch') {
      // updateMask "metadata": the field is replaced, as UpdateContext does with a field mask.
      expect(args.updateMask).toBe('metadata');
      context.metadata = args.body.metadata;
      return context;
    }
    if (method === 'metadataStores.contexts.addContextChildren') {
      context.children.push(...args.body.childContexts);
      return {};
    }
    throw new Error(`unexpected call ${call}`);
  }
}

/**
 * The SDK's contexts for an experiment with a backing TensorBoard and a run that logged `params` and `metrics` and
 * ended in `state`: Experiment.create (experiment_resources.py:164-213: resource id and display name the experiment
 * name, system.Experiment 0.0.1, metadata constants.EXPERIMENT_METADATA) and assign_backing_tensorboard (:591-646);
 * ExperimentRun.create (experiment_run_resource.py:737-751: id `<experiment>-<run name>`, display name the run name,
 * system.ExperimentRun 0.0.1, metadata {_params: {}, _metrics: {}, _state: RUNNING}) under the experiment
 * (add_context_children, experiment_resources.py:648-656), then log_params / log_metrics / update_state
 * (experiment_run_resource.py:1009-1072, :343-357), each a one-level-deep merge into the metadata (resource.py:254-281).
 */
function sdkContexts(experiment: string, runName: string, params: Record<string, unknown>, metrics: Record<string, unknown>, state: string) {
  const merge = (metadata: Record<string, any>, update: Record<string, any>) => {
    for (const [k, v] of Object.entries(update)) metadata[k] = v && typeof v === 'object' ? { ...metadata[k], ...v } : v;
  };
  const run = { name: `${STORE}/contexts/${experiment}-${runName}`, displayName: runName, schemaTitle: 'system.ExperimentRun', schemaVersion: '0.0.1', metadata: { _params: {}, _metrics: {}, _state: 'RUNNING' } };
  merge(run.metadata, { _params: params });
  merge(run.metadata, { _metrics: metrics });
  merge(run.metadata, { _state: state });
  const exp = { name: `${STORE}/contexts/${experiment}`, displayName: experiment, schemaTitle: 'system.Experiment', schemaVersion: '0.0.1', metadata: { experiment_deleted: false, backing_tensorboard_resource: TENSORBOARD } };
  return { experiment: exp, run };
}

/** A HyperparameterTuningJob as the connector returns it once done (Vertex AI REST: Trial). */
const TUNE_RESULT = {
  name: 'projects/123/locations/europe-west1/hyperparameterTuningJobs/456',
  state: 'JOB_STATE_SUCCEEDED',
  trials: [
    { id: '1', state: 'SUCCEEDED', parameters: [{ parameterId: 'max_depth', value: 4 }, { parameterId: 'learning_rate', value: 0.1 }, { parameterId: 'booster', value: 'gbtree' }], finalMeasurement: { stepCount: '1', metrics: [{ metricId: 'rocAuc', value: 0.84 }] } },
    { id: '2', state: 'INFEASIBLE', parameters: [{ parameterId: 'max_depth', value: 6 }, { parameterId: 'learning_rate', value: 0.3 }, { parameterId: 'booster', value: 'dart' }], infeasibleReason: 'The trial job failed.' },
    { id: '3', state: 'SUCCEEDED', parameters: [{ parameterId: 'max_depth', value: 2 }, { parameterId: 'learning_rate', value: 0.02 }, { parameterId: 'booster', value: 'gbtree' }], finalMeasurement: { stepCount: '1', metrics: [{ metricId: 'rocAuc', value: 0.71 }] } },
  ],
};
const EVALUATION = { candidate: { rocAuc: 0.83, accuracy: 0.8 }, comparison: { improvement: 0.03 }, decision: { register: true, reason: 'registered' } };

const topSteps = (spec: TrainingWorkflowSpec): WorkflowStep[] => (trainingWorkflowDefinition(spec).main.steps[0] as any).run.try.steps;
const named = (steps: WorkflowStep[], from: string, to: string) => {
  const names = steps.map((s) => Object.keys(s)[0]);
  return steps.slice(names.indexOf(from), names.indexOf(to) + 1);
};
function find(steps: readonly WorkflowStep[], name: string): WorkflowStep | undefined {
  for (const step of steps) {
    const [[n, body]] = Object.entries(step);
    if (n === name) return step;
    const inner = [body.try?.steps, body.except?.steps, body.for?.steps, body.steps, ...(body.switch ?? []).map((b) => b.steps)].flatMap((l) => l ?? []);
    const found = find(inner, name);
    if (found) return found;
  }
  return undefined;
}

function runTuned(spec: TrainingWorkflowSpec = TUNED) {
  const store = new FakeMetadataStore();
  const vm = new WorkflowInterpreter({ version: EXECUTION, runId: `${spec.modelId}-${EXECUTION}`, reason: 'schedule', tuneResult: TUNE_RESULT, work: `pipelines/churn/${EXECUTION}/` }, ENV, (call, args) => store.call(call, args));
  const steps = topSteps(spec);
  vm.run(named(steps, 'metadataStore', 'runInExperiment'));
  vm.run(named(steps, 'bestInit', 'anyTrial'));
  vm.run(named(steps, 'trialRunsInit', 'bestParameters'));
  vm.vars.evaluation = EVALUATION;
  vm.run([find(trainingWorkflowDefinition(spec).main.steps, 'registeredRun')!]);
  return { store, vm };
}

const withoutChildren = ({ children: _c, description: _d, ...context }: Context) => context;

describe('Vertex AI Experiments from the training workflow, as the SDK stores them', () => {
  test('the experiment and the execution\'s run: the contexts the SDK leaves after log_params, log_metrics and update_state(COMPLETE)', () => {
    const { store } = runTuned();
    const sdk = sdkContexts('ms-dev-churn', EXECUTION, { metric: 'rocAuc', seed: 7, holdout_share: 0.25, max_depth: 4, learning_rate: 0.1, booster: 'gbtree' }, EVALUATION.candidate, 'COMPLETE');
    const experiment = store.contexts.get(sdk.experiment.name)!;
    // The experiment: the SDK's keys and values (the backing TensorBoard is the environment's TrainingTensorboard).
    expect(withoutChildren(experiment)).toEqual(sdk.experiment);
    expect(experiment.description).toBe('Training runs of churn in dev (ModelStack)');
    // The run: every SDK key as the SDK writes it; the best trial's parameters joined the fixed ones.
    const run = store.contexts.get(sdk.run.name)!;
    const { metadata, ...rest } = withoutChildren(run);
    const { metadata: sdkMetadata, ...sdkRest } = sdk.run;
    expect(rest).toEqual(sdkRest);
    expect(metadata).toEqual({ ...sdkMetadata, status: 'registered', reason: 'schedule', version: EXECUTION });
    expect(experiment.children).toContain(run.name);
  });

  test('each tuning trial is a run of the experiment: its parameters, final metrics and state, its parent run named', () => {
    const { store } = runTuned();
    const experiment = store.contexts.get(`${STORE}/contexts/ms-dev-churn`)!;
    const trials = [...store.contexts.values()].filter((c) => c.name.includes('-trial-'));
    expect(trials.map((c) => c.name)).toEqual(['1', '2', '3'].map((id) => `${STORE}/contexts/ms-dev-churn-${EXECUTION}-trial-${id}`));
    // Listed by the SDK's ExperimentRun.list: children of the experiment, of schema system.ExperimentRun.
    expect(experiment.children).toEqual([`${STORE}/contexts/ms-dev-churn-${EXECUTION}`, ...trials.map((c) => c.name)]);
    const [best, failed] = trials;
    const sdkBest = sdkContexts('ms-dev-churn', `${EXECUTION}-trial-1`, { metric: 'rocAuc', seed: 7, holdout_share: 0.25, max_depth: 4, learning_rate: 0.1, booster: 'gbtree' }, { rocAuc: 0.84 }, 'COMPLETE').run;
    expect(withoutChildren(best)).toEqual({ ...sdkBest, metadata: { ...sdkBest.metadata, trial_state: 'SUCCEEDED', parent_run: `ms-dev-churn-${EXECUTION}`, tuning_job: TUNE_RESULT.name, best: true } });
    // A failed trial: no metrics, FAILED; not the best.
    expect(failed.metadata).toMatchObject({ _params: { max_depth: 6, booster: 'dart' }, _metrics: {}, _state: 'FAILED', trial_state: 'INFEASIBLE', best: false });
    // Every value is a number or a string, as log_params and log_metrics require (experiment_run_resource.py:1026-1033).
    for (const context of [best, failed]) for (const value of [...Object.values(context.metadata._params as object), ...Object.values(context.metadata._metrics as object)]) expect(['number', 'string']).toContain(typeof value);
  });

  test('a failed run is marked FAILED with the error; a failure before the run exists leaves a warning, and the error is raised', () => {
    const def = trainingWorkflowDefinition(TUNED);
    const failRun = find(def.main.steps, 'failRun')!;
    const store = new FakeMetadataStore();
    const vm = new WorkflowInterpreter({ version: EXECUTION, runId: `ms-dev-churn-${EXECUTION}`, reason: 'drift' }, ENV, (call, args) => (call === 'sys.log' ? null : store.call(call, args)));
    vm.run(named(topSteps(TUNED), 'metadataStore', 'runInExperiment'));
    vm.vars.e = { message: 'prepare: job projects/1/locations/europe-west1/customJobs/2 ended JOB_STATE_FAILED' };
    vm.run([failRun]);
    expect(store.contexts.get(`${STORE}/contexts/ms-dev-churn-${EXECUTION}`)!.metadata).toMatchObject({ _state: 'FAILED', status: 'failed', _params: { seed: 7 }, error: expect.stringContaining('JOB_STATE_FAILED') });

    const early = new WorkflowInterpreter({ version: EXECUTION, runId: `ms-dev-churn-${EXECUTION}`, reason: 'drift', e: 'boom' }, ENV, (call, args) => (call === 'sys.log' ? null : new FakeMetadataStore().call(call, args)));
    early.run([failRun]);
    expect(early.calls.at(-1)).toMatchObject({ call: 'sys.log', args: { severity: 'WARNING', json: { event: 'experiment_run_not_marked_failed', model: 'churn' } } });
    // The failure branch logs, marks, then raises the workflow's own error.
    const handler = (def.main.steps[0] as any).run.except.steps.map((s: WorkflowStep) => Object.keys(s)[0]);
    expect(handler).toEqual(['logFailure', 'failRun', 'failed']);
  });

  test('a model trained once: fixed hyper-parameters are the run\'s parameters (booleans as strings), no trial runs', () => {
    const { tuning: _t, ...once } = TUNED;
    const spec: TrainingWorkflowSpec = { ...once, hyperparameters: { max_depth: 4, learning_rate: 0.1, early_stopping: true } };
    const def = trainingWorkflowDefinition(spec);
    expect(workflowDefinitionProblems(def)).toEqual([]);
    expect(find(def.main.steps, 'trialRuns')).toBeUndefined();
    const store = new FakeMetadataStore();
    const vm = new WorkflowInterpreter({ version: EXECUTION, runId: `ms-dev-churn-${EXECUTION}`, reason: 'manual' }, ENV, (call, args) => store.call(call, args));
    vm.run(named(topSteps(spec), 'metadataStore', 'runInExperiment'));
    expect(store.contexts.get(`${STORE}/contexts/ms-dev-churn-${EXECUTION}`)!.metadata).toEqual({
      _params: { max_depth: 4, learning_rate: 0.1, early_stopping: 'true', metric: 'rocAuc', seed: 7, holdout_share: 0.25 },
      _metrics: {},
      _state: 'RUNNING',
      reason: 'manual',
      version: EXECUTION,
    });
  });

  test('an experiment that already exists keeps its context and gains the backing TensorBoard', () => {
    const store = new FakeMetadataStore();
    store.contexts.set(`${STORE}/contexts/ms-dev-churn`, { name: `${STORE}/contexts/ms-dev-churn`, displayName: 'ms-dev-churn', schemaTitle: EXPERIMENT_SCHEMAS.experiment, schemaVersion: '0.0.1', metadata: { experiment_description: 'older' }, children: [] });
    const vm = new WorkflowInterpreter({ version: EXECUTION, runId: `ms-dev-churn-${EXECUTION}`, reason: 'manual' }, ENV, (call, args) => {
      try {
        return store.call(call, args);
      } catch (error) {
        if (String(error).includes('409')) throw Object.assign(new Error('ALREADY_EXISTS'), { code: 409 });
        throw error;
      }
    });
    vm.run(named(topSteps(TUNED), 'metadataStore', 'runInExperiment'));
    const experiment = store.contexts.get(`${STORE}/contexts/ms-dev-churn`)!;
    expect(experiment.metadata).toEqual({ experiment_deleted: false, backing_tensorboard_resource: TENSORBOARD });
    expect(experiment.children).toEqual([`${STORE}/contexts/ms-dev-churn-${EXECUTION}`]);
    // Any other error is not swallowed.
    const failing = new WorkflowInterpreter({ version: EXECUTION, runId: `ms-dev-churn-${EXECUTION}`, reason: 'manual' }, ENV, () => {
      throw Object.assign(new Error('PERMISSION_DENIED'), { code: 403 });
    });
    expect(() => failing.run(named(topSteps(TUNED), 'metadataStore', 'runInExperiment'))).toThrow(/PERMISSION_DENIED/);
  });
});
