#!/usr/bin/env node
// One environment of one model, composed from ModelStack's constructs: a model registry, a serverless SageMaker
// endpoint, and the inference API in front of it; cdk-nag (AwsSolutions + NIST 800-53 R5) checks all of it.
import { App, CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { addComplianceChecks, AlarmTopic, ContainerImage, InferenceApi, ModelEndpoint, ModelRegistry } from 'modelstack/aws';

const app = new App();
// cdk-nag's packs as validation plugins: a finding that is not acknowledged fails `cdk synth`.
addComplianceChecks(app);

const stack = new Stack(app, 'churn-dev', {
  env: { account: '111111111111', region: 'eu-west-1' },
  description: 'ModelStack example: the churn model in dev',
});

// KMS-encrypted, versioned bucket for artifacts (models/churn/<version>/model.tar.gz) + a model package group.
const registry = new ModelRegistry(stack, 'Registry', {
  namePrefix: 'example-dev',
  models: ['churn'],
  removalPolicy: RemovalPolicy.DESTROY, // a dev environment: the default, RETAIN, keeps bucket and key
});

// Where alarms notify: a KMS-encrypted SNS topic (subscribe your on-call address with `emails`).
const alarms = new AlarmTopic(stack, 'Alarms', { displayName: 'example-dev alarms', removalPolicy: RemovalPolicy.DESTROY });

// Serverless: scales to zero when idle. Serves models/churn/1/model.tar.gz from the registry, which SageMaker reads
// when it creates the model (see README.md: in a real app the registry is its own stack, deployed first).
const endpoint = new ModelEndpoint(stack, 'Churn', {
  registry,
  model: 'churn',
  modelVersion: '1',
  endpointName: 'example-dev-churn',
  image: ContainerImage.fromImageUri('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'),
  variant: { kind: 'serverless', memorySizeMb: 2048, maxConcurrency: 5 },
  alarms: { action: alarms.action }, // its own 5xx and latency alarms notify the topic
});

// POST /models/churn/predict, IAM-authorized (SigV4); each instance is validated against the features first.
const api = new InferenceApi(stack, 'Api', {
  models: [{
    name: 'churn',
    endpoint,
    features: [
      { name: 'tenure_months', type: 'numeric' },
      { name: 'monthly_charges', type: 'numeric' },
      // SageMaker's built-in XGBoost image takes numbers only; a model with categorical features needs a container
      // that encodes them, such as ModelStack's containers/model-server (docs/models.md).
      { name: 'support_calls', type: 'numeric' },
    ],
  }],
  throttleRateLimit: 50,
});
new CfnOutput(stack, 'PredictUrl', { value: `${api.url}models/churn/predict` });

// cdk-nag: the NIST 800-53 R5 findings this composition raises (the constructs already acknowledge the findings
// their design cannot avoid, such as the access-log bucket's SSE-S3). Each is acknowledged on the narrowest
// construct that raises it, which covers its children, with the reason it is acceptable here; the same rule
// anywhere else, or any new finding, still fails synth.
const inlinePolicies = 'Each inline policy holds least-privilege grants for exactly one role and is deleted with it.';
Validations.of(registry).acknowledge(
  {
    id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
    reason: 'Artifacts are versioned and can be rebuilt by training, access logs are expendable; cross-region replication is a disaster-recovery choice this dev environment does not make.',
  },
  // RemovalPolicy.DESTROY adds a custom resource that empties the model package groups when the stack is deleted.
  { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inlinePolicies },
  { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: 'The package cleanup only calls the SageMaker API over TLS with SigV4, once, when the stack is deleted.' },
  { id: 'NIST.800.53.R5-LambdaConcurrency', reason: 'The package cleanup runs once per stack deletion, invoked by CloudFormation only.' },
);
Validations.of(endpoint).acknowledge({ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inlinePolicies });
Validations.of(api).acknowledge(
  { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inlinePolicies },
  { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: 'The functions only call the SageMaker runtime API over TLS with SigV4 and hold no state; a VPC would add NAT cost, not protection.' },
  { id: 'NIST.800.53.R5-LambdaConcurrency', reason: "The API stage's throttling (throttleRateLimit) bounds how often the functions run." },
);
