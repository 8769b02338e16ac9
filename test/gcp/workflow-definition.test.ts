import { batchWorkflowDefinition } from '../../constructs/gcp/private/batch-workflow';
import { trainingWorkflowDefinition } from '../../constructs/gcp/private/training-workflow-source';
import { TUNED } from './training-spec';
import { expressionsIn, variablesRead, type WorkflowDefinition, workflowDefinitionProblems } from '../../constructs/gcp/private/workflow-definition';

/** A deep copy to mutate. */
const copy = (definition: WorkflowDefinition): any => structuredClone(definition);
/** The steps inside main's try. */
const inner = (definition: any): any[] => definition.main.steps[0].run.try.steps;
const find = (steps: any[], name: string) => steps.find((s) => name in s)[name];

describe('workflowDefinitionProblems (the Workflows syntax rules)', () => {
  test('the generated training workflows (tuned, trained with fixed parameters, without a floor) and the batch workflow follow them', () => {
    expect(workflowDefinitionProblems(trainingWorkflowDefinition(TUNED))).toEqual([]);
    const { tuning: _tuning, floor: _floor, ...plain } = TUNED;
    expect(workflowDefinitionProblems(trainingWorkflowDefinition({ ...plain, metric: 'rmse', task: 'regression', hyperparameters: { max_iter: 200 } }))).toEqual([]);
    const batch = batchWorkflowDefinition({
      model: 'churn', project: 'p', region: 'europe-west1', modelVersion: 'projects/p/locations/europe-west1/models/m@dev', displayName: 'm', input: { kind: 'gcs', prefix: 'batch/churn/input/', format: 'csv' },
      output: { kind: 'gcs' }, features: ['a'], machineType: 'n1-standard-2', startingReplicaCount: 1, maxReplicaCount: 1, maxRuntimeSeconds: 3600, pollSeconds: 60,
    });
    expect(workflowDefinitionProblems(batch as unknown as WorkflowDefinition)).toEqual([]);
  });

  // Each mutation breaks one rule, and the checks name it.
  const mutations: [string, (d: any) => void, string][] = [
    ['a step name used twice', (d) => inner(d).push({ init: { assign: [{ x: 1 }] } }), 'main.init: step name used 2 times: expected unique step names within a subworkflow'],
    ['a jump to a step that does not exist', (d) => (find(inner(d), 'listActive').next = 'nowhere'), 'main.listActive: next "nowhere": no step of that name in this subworkflow'],
    ['break outside a loop', (d) => (find(inner(d), 'listActive').next = 'break'), 'main.listActive: next "break" outside a for loop'],
    ['a variable read before it is assigned', (d) => (find(inner(d), 'init').assign[0].input = '${default(argz, {})}'), 'main.init: ${default(argz, {})} reads "argz" before it is assigned'],
    ['a variable read before the step that assigns it', (d) => inner(d).unshift({ early: { assign: [{ y: '${trainingImage}' }] } }), 'main.early: ${trainingImage} reads "trainingImage" before it is assigned'],
    ['a connector call without a required argument', (d) => delete find(inner(d), 'prepareJob').args.region, 'main.prepareJob: call googleapis.aiplatform.v1.projects.locations.customJobs.create: missing required argument region'],
    ['a connector argument it does not take', (d) => (find(inner(d), 'listActive').args.state = 'ACTIVE'), 'main.listActive: call googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list: unknown argument state'],
    ['an unknown connector method', (d) => (find(inner(d), 'tuneJob').call = 'googleapis.aiplatform.v1.projects.locations.hyperparameterTuningJob.create'), 'main.tuneJob: call "googleapis.aiplatform.v1.projects.locations.hyperparameterTuningJob.create": expected a subworkflow'],
    ['next after return', (d) => (find(find(inner(d), 'checkArguments').switch[0].steps, 'otherModel').next = 'end'), 'main.otherModel: return and raise end the flow: expected no next'],
    ['a Cloud Build call without its project id', (d) => delete find(find(find(inner(d), 'buildImage').switch[0].steps, 'imageBuild').try.steps, 'imageBuildCall').args.projectId, 'main.imageBuildCall: call googleapis.cloudbuild.v1.projects.locations.builds.create: missing required argument projectId'],
    ['two actions in one step', (d) => (find(inner(d), 'init').return = 'x'), 'main.init: expected one action, got assign, return'],
    ['two steps in one list item', (d) => (inner(d)[0].other = { return: 1 }), 'main.init+other: expected one step per list item'],
    ['a condition that is no expression', (d) => (find(inner(d), 'alone').switch[0].condition = 'len(x) > 0'), 'main.alone: switch condition "len(x) > 0": expected a ${...} expression'],
    ['a Cloud Storage object name with / not URL-encoded', (d) => (find(inner(d), 'readEvaluation').args.object = '${work + "evaluation/evaluation.json"}'), 'main.readEvaluation: call googleapis.storage.v1.objects.get: argument object goes in the URL path'],
    ['a literal Cloud Storage object name with /', (d) => (find(inner(d), 'readEvaluation').args.object = 'pipelines/churn/evaluation.json'), 'argument object goes in the URL path: expected a name without "/" or ${text.url_encode(...)}'],
    ['except without its variable', (d) => (find(inner(d), 'findCurrent').except.as = ''), 'main.findCurrent: except needs as'],
  ];
  test.each(mutations)('catches %s', (_name, mutate, problem) => {
    const definition = copy(trainingWorkflowDefinition(TUNED));
    mutate(definition);
    expect(workflowDefinitionProblems(definition)).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  });

  test('expressions: functions, modules, fields, keywords and string literals are no variables', () => {
    expect(expressionsIn('gs://${bucket}/${"a}b" + x}/c')).toEqual(['bucket', '"a}b" + x']);
    expect(variablesRead('len(default(map.get(active, "executions"), [])) > 0 and not text.match_regex(active.executions[0].name, "/x/" + version)')).toEqual(['active', 'version']);
    expect(variablesRead('trial.finalMeasurement.metrics[0].value > bestValue or best == null')).toEqual(['trial', 'bestValue', 'best']);
    expect(variablesRead('sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")')).toEqual([]);
  });
});
