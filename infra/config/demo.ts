import type { PlatformConfigInput } from './schema';

/**
 * The embedded demo platform: a churn classifier on a real-time endpoint and a sales-forecast regressor
 * on a serverless endpoint, deployed to dev, staging and prod. Used when no config file is given.
 * The account ids and project ids are placeholders: synth works with them, deploy needs your own.
 */
export const demoConfig: PlatformConfigInput = {
  platform: { name: 'modelstack' },
  aws: {
    tags: { owner: 'ml-platform', costCenter: 'cc-1234', dataClassification: 'confidential' },
    delivery: {
      connectionArn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      repository: 'example-org/modelstack',
      branch: 'main',
    },
    featureStore: {
      entities: [
        {
          name: 'customer',
          recordIdentifier: 'customer_id',
          eventTime: 'event_time',
          features: [
            { name: 'customer_id', type: 'string' },
            { name: 'event_time', type: 'string' },
            { name: 'tenure_months', type: 'integral' },
            { name: 'monthly_charges', type: 'fractional' },
            { name: 'support_calls', type: 'integral' },
          ],
        },
      ],
    },
  },
  environments: {
    dev: {
      // Dev idles at zero cost: every model is served serverless here, and no Kinesis stream or MLflow tracking server
      // (both billed hourly) is created.
      aws: { account: '111111111111', region: 'eu-west-1', servingOverride: { kind: 'serverless', memorySizeMb: 2048, maxConcurrency: 5 }, streamingOverride: 'off', mlflow: false },
      gcp: {
        project: 'modelstack-demo-dev',
        region: 'europe-west1',
        state: { bucket: 'modelstack-demo-tfstate' }, // prefix modelstack/dev
        repository: { owner: 'example-org', name: 'modelstack', branch: 'main' },
        // Dev idles at zero on Google Cloud too: every model runs on Cloud Run (0 instances when idle), not on Vertex AI replicas.
        servingOverride: { kind: 'cloudRun', cpu: 1, memoryMb: 2048, maxInstances: 3 },
        reportRetentionDays: 7,
      },
      removalPolicy: 'destroy',
      noncurrentVersionRetentionDays: 7,
    },
    staging: {
      aws: { account: '222222222222', region: 'eu-west-1' },
      gcp: {
        project: 'modelstack-demo-staging',
        region: 'europe-west1',
        state: { bucket: 'modelstack-demo-tfstate' }, // prefix modelstack/staging
        repository: { owner: 'example-org', name: 'modelstack', branch: 'main' },
        reportRetentionDays: 30,
      },
      removalPolicy: 'destroy',
      alarmEmails: ['ml-platform-staging@example.com'],
      noncurrentVersionRetentionDays: 30,
    },
    prod: {
      aws: { account: '333333333333', region: 'eu-west-1' },
      gcp: {
        project: 'modelstack-demo-prod',
        region: 'europe-west1',
        state: { bucket: 'modelstack-demo-tfstate' }, // prefix modelstack/prod
        repository: { owner: 'example-org', name: 'modelstack', branch: 'release' },
        // Private Service Connect: each endpoint gets an address in ml-europe-west1; the functions reach it through a connector.
        network: { kind: 'psc', projectAllowlist: [], vpcNetwork: 'ml-vpc', subnetwork: 'ml-europe-west1', connectorRange: '10.8.0.0/28' },
        // Inference functions reachable from the VPC and load balancers only, and only by these callers.
        functions: { invokers: ['serviceAccount:checkout@modelstack-demo-prod.iam.gserviceaccount.com'], ingress: 'internal-and-gclb', maxInstances: 20 },
        reportRetentionDays: 365,
        alertThresholds: { endpointLatencyP99Ms: 500, errorRatePercent: 0.5, driftShare: 0.25 },
        featureStore: {
          minNodeCount: 1,
          maxNodeCount: 3,
          entities: [
            { name: 'customer', sourceTable: 'bq://modelstack-demo-prod.features.customer_features', entityIdColumns: ['customer_id'] },
          ],
        },
        // Your training build in the repository, for models without a `training` section (both demo models have one,
        // so their training workflows retrain them and no trigger is created): it retrains $_MODEL and uploads the new
        // version under models/<model>/<version>/, which the deploy trigger then rolls out.
        retraining: { buildConfig: 'ci/retrain.cloudbuild.yaml' },
      },
      removalPolicy: 'retain',
      alarmEmails: ['ml-platform-oncall@example.com'],
      approvalRequired: true,
      noncurrentVersionRetentionDays: 365,
    },
  },
  models: [
    {
      name: 'churn',
      task: 'classification',
      framework: 'xgboost-1.7',
      // The platform builds the model server (containers/model-server) and serves it on both clouds: it loads the
      // artifact's sklearn Pipeline, which encodes the categorical features the API sends as strings.
      image: { build: 'containers/model-server' },
      version: '1',
      serving: {
        kind: 'realtime',
        instanceType: 'ml.m5.large',
        autoscaling: { minInstances: 2, maxInstances: 4, targetInvocationsPerInstance: 200 },
      },
      dataCapture: { samplingPercentage: 20 },
      gcp: { machineType: 'n1-standard-4', minReplicas: 1, maxReplicas: 4, trafficSplit: { latest: 10, previous: 90 } },
      // Nightly scoring of what lands in batch/churn/input/, on both clouds.
      batch: {
        schedule: 'cron(0 2 * * ? *)',
        aws: { instanceType: 'ml.m5.xlarge', instanceCount: 1 },
        gcp: { machineType: 'n1-standard-2', startingReplicaCount: 1, maxReplicaCount: 2 },
      },
      // A Kinesis stream on AWS, a Pub/Sub topic on Google Cloud.
      streaming: { batchSize: 100, maxBatchingWindowSeconds: 5, retryAttempts: 3 },
      aws: {
        promotion: { strategy: 'canary', trafficPercent: 10, waitMinutes: 10 },
        modelCard: {
          description: 'Predicts whether a subscriber cancels within 90 days.',
          intendedUses: 'Prioritising retention offers; not for pricing or credit decisions.',
          riskRating: 'medium',
        },
      },
      inputSchema: {
        features: [
          { name: 'tenure_months', type: 'numeric' },
          { name: 'monthly_charges', type: 'numeric' },
          { name: 'total_charges', type: 'numeric' },
          { name: 'support_calls', type: 'numeric' },
          { name: 'contract', type: 'categorical' },
          { name: 'payment_method', type: 'categorical' },
          { name: 'internet_service', type: 'categorical' },
        ],
      },
      // Retrained every Monday and on drift: tuning searches the xgboost ranges, and a candidate is registered only
      // when its held-out ROC AUC reaches 0.75 and is at least the current version's.
      training: {
        target: 'churned',
        objective: { metric: 'rocAuc', floor: 0.75 },
        tuning: {
          parameters: {
            max_depth: { type: 'integer', min: 2, max: 6 },
            learning_rate: { type: 'continuous', min: 0.02, max: 0.3, scaling: 'logarithmic' },
            n_estimators: { type: 'integer', min: 50, max: 300 },
          },
          maxJobs: 8,
          maxParallelJobs: 2,
        },
        schedule: '0 3 * * 1',
        aws: { instanceType: 'ml.m5.xlarge' },
      },
    },
    {
      name: 'sales-forecast',
      task: 'regression',
      framework: 'sklearn-1.2',
      image: { build: 'containers/model-server' },
      version: '1',
      serving: { kind: 'serverless', memorySizeMb: 2048, maxConcurrency: 10 },
      // Serverless endpoints cannot capture: on AWS the inference function captures this share for the drift check.
      dataCapture: { samplingPercentage: 20 },
      gcp: { machineType: 'n1-standard-2', minReplicas: 1, maxReplicas: 2 },
      aws: {
        modelCard: { description: 'Weekly unit sales per store.', intendedUses: 'Inventory planning.', riskRating: 'low' },
      },
      inputSchema: {
        features: [
          { name: 'store_id', type: 'categorical' },
          { name: 'week_of_year', type: 'numeric' },
          { name: 'promo', type: 'categorical' },
          { name: 'price', type: 'numeric' },
          { name: 'sales_lag_1w', type: 'numeric' },
          { name: 'sales_lag_52w', type: 'numeric' },
        ],
      },
      // One training job with fixed hyper-parameters, retrained on drift only; RMSE must stay at most 25 units.
      training: {
        target: 'units_sold',
        objective: { metric: 'rmse', floor: 25 },
        hyperparameters: { max_iter: 200, learning_rate: 0.08 },
        aws: { instanceType: 'ml.m5.large' },
      },
    },
  ],
};
