import type { TrainingWorkflowSpec } from '../../constructs/gcp/private/training-workflow-source';

/** A tuned model's training workflow spec (the demo's churn, smaller). */
export const TUNED: TrainingWorkflowSpec = {
  model: 'churn',
  task: 'classification',
  environment: 'dev',
  project: 'ms-project',
  region: 'europe-west1',
  workflowName: 'ms-dev-churn-training',
  modelId: 'ms-dev-churn',
  alias: 'dev',
  features: [
    { name: 'tenure_months', type: 'numeric' },
    { name: 'contract', type: 'categorical' },
  ],
  target: 'churned',
  dataPrefix: 'training-data/churn/',
  format: 'csv',
  holdout: { share: 0.25, seed: 7 },
  metric: 'rocAuc',
  floor: 0.75,
  tuning: {
    parameters: {
      max_depth: { type: 'integer', min: 2, max: 6, scaling: 'auto' },
      learning_rate: { type: 'continuous', min: 0.02, max: 0.3, scaling: 'logarithmic' },
      booster: { type: 'categorical', values: ['gbtree', 'dart'] },
    },
    maxJobs: 8,
    maxParallelJobs: 2,
    earlyStopping: true,
    strategy: 'bayesian',
  },
  machineType: 'n1-standard-4',
  bootDiskGb: 100,
  maxRuntimeMinutes: 60,
  imageBuild: {
    image: `europe-west1-docker.pkg.dev/ms-project/ms-dev-models/training:${'a'.repeat(64)}`,
    tagName: `projects/ms-project/locations/europe-west1/repositories/ms-dev-models/packages/training/tags/${'a'.repeat(64)}`,
    contextObject: `training-image/context-${'a'.repeat(64)}.tar.gz`,
    dockerfile: 'containers/training/Dockerfile',
    region: 'europe-west1',
  },
};
