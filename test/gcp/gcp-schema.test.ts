import { parseConfig } from '../../infra/config/load';
import { demo, problemsOf } from '../helpers/config';



describe('Google Cloud config', () => {
  test('defaults keep a minimal config valid', () => {
    const raw = demo();
    // Where the state lives is the one required choice: there is no safe default for it.
    raw.environments.dev.gcp = { project: 'modelstack-demo-dev', region: 'europe-west1', state: { local: true } };
    delete raw.models[1].gcp;
    const config = parseConfig(raw);
    expect(config.environments.dev.gcp).toEqual({
      project: 'modelstack-demo-dev',
      region: 'europe-west1',
      state: { local: true },
      reportRetentionDays: 30,
      alertThresholds: { endpointLatencyP99Ms: 1000, errorRatePercent: 1, driftShare: 0.5 },
    });
    expect(config.models[1].gcp).toEqual({ machineType: 'n1-standard-2', minReplicas: 1, maxReplicas: 2, trafficSplit: { latest: 100, previous: 0 } });
    expect(config.environments.prod.gcp!.repository).toEqual({ owner: 'example-org', name: 'modelstack', branch: 'release' });
    expect(config.environments.prod.gcp!.featureStore!.entities[0].syncCron).toBe('0 * * * *');
    expect(config.models[0].gcp.trafficSplit).toEqual({ latest: 10, previous: 90 });
  });

  test('every problem is listed with its path', () => {
    const raw = demo();
    raw.environments.dev.gcp.retraining = {};
    delete raw.environments.dev.gcp.repository;
    raw.environments.staging.gcp.network = { kind: 'vpc', network: 'default' };
    raw.environments.dev.gcp.network = { kind: 'psc', vpcNetwork: 'ml-vpc', connectorRange: '10.8.0.0/24' };
    raw.environments.prod.gcp.featureStore.minNodeCount = 5;
    raw.environments.prod.gcp.featureStore.entities.push({ ...raw.environments.prod.gcp.featureStore.entities[0], sourceTable: 'customers' });
    raw.environments.prod.gcp.alertThresholds.driftShare = 2;
    raw.models[0].gcp = { machineType: 'big', minReplicas: 3, maxReplicas: 2, trafficSplit: { latest: 50, previous: 30 } };
    raw.models[1].gcp = { containerImage: 'not an image', trafficSplit: { latest: 0, previous: 100 } };
    expect(problemsOf(raw)).toEqual([
      'environments.dev.gcp.network.subnetwork: expected the name of a subnetwork in the region',
      'environments.dev.gcp.network.connectorRange: expected an unused /28 range such as 10.8.0.0/28',
      'environments.dev.gcp.retraining.buildConfig: expected the path of your retraining build config in gcp.repository, such as ci/retrain.cloudbuild.yaml (ModelStack ships no training build)',
      'environments.dev.gcp.retraining: expected gcp.repository to be set: the retraining build runs from it',
      'environments.staging.gcp.network.network: expected projects/<project number>/global/networks/<name>',
      'environments.prod.gcp.alertThresholds.driftShare: expected at most 1',
      'environments.prod.gcp.featureStore.entities[1].sourceTable: expected bq://<project>.<dataset>.<table>',
      'environments.prod.gcp.featureStore.entities[1].name: duplicate entity name "customer"',
      'environments.prod.gcp.featureStore.minNodeCount: expected at most maxNodeCount',
      'models[0].gcp.machineType: expected a Compute Engine machine type such as n1-standard-2',
      'models[0].gcp.trafficSplit: expected latest + previous to sum to 100',
      'models[0].gcp.minReplicas: expected at most maxReplicas',
      'models[1].gcp.containerImage: expected a container image URI such as europe-docker.pkg.dev/my-project/serving/churn:1',
      'models[1].gcp.trafficSplit.latest: expected the deployed version to get traffic: 1 to 100',
    ]);
  });
  test('bucket names the Google Cloud stacks would create must meet Cloud Storage\'s naming rules', () => {
    const raw = demo();
    raw.platform.name = 'mygoogle';
    // Once, at the field that causes it, for every bucket of every environment.
    expect(problemsOf(raw)).toEqual(['platform.name: gives the Cloud Storage bucket "mygoogle-dev-models-modelstack-demo-dev", whose name must not contain "google"']);
    raw.platform.name = 'goog';
    expect(problemsOf(raw)).toEqual(['platform.name: gives the Cloud Storage bucket "goog-dev-models-modelstack-demo-dev", whose name must not start with "goog"']);
    const env = demo();
    env.environments.g00gle = env.environments.dev;
    delete env.environments.dev;
    expect(problemsOf(env)).toEqual(['environments.g00gle: gives the Cloud Storage bucket "modelstack-g00gle-models-modelstack-demo-dev", whose name must not contain "g00gle"']);
  });
  test('gcp.servingOverride: Cloud Run with defaults; CPU and memory within Cloud Run\'s limits; every model servable by the model server', () => {
    const raw = demo();
    raw.environments.staging.gcp.servingOverride = { kind: 'cloudRun' };
    expect(parseConfig(raw).environments.staging.gcp!.servingOverride).toEqual({ kind: 'cloudRun', cpu: 1, memoryMb: 2048, maxInstances: 3 });
    expect(parseConfig(demo()).environments.dev.gcp!.servingOverride).toEqual({ kind: 'cloudRun', cpu: 1, memoryMb: 2048, maxInstances: 3 });

    raw.environments.staging.gcp.servingOverride = { kind: 'serverless', cpu: 3, memoryMb: 256, maxInstances: 0 };
    raw.environments.prod.gcp.servingOverride = { kind: 'cloudRun', cpu: 2, memoryMb: 16384 };
    // A prebuilt image without gcp.containerImage cannot run on Cloud Run; one with it can.
    raw.models[0].image = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
    raw.models[1].image = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
    raw.models[1].gcp.containerImage = 'europe-docker.pkg.dev/my-project/serving/sales:1';
    expect(problemsOf(raw)).toEqual([
      'environments.staging.gcp.servingOverride.kind: expected "cloudRun"',
      'environments.staging.gcp.servingOverride.cpu: expected 1, 2, 4, 6, 8',
      'environments.staging.gcp.servingOverride.memoryMb: expected at least 512 MB',
      'environments.staging.gcp.servingOverride.maxInstances: expected 1 to 1000',
      'environments.prod.gcp.servingOverride.memoryMb: expected at most 8192 MB with cpu 2: Cloud Run needs more CPUs for 16384 MB',
      'models[0].gcp.containerImage: churn is served on Cloud Run in dev, prod (gcp.servingOverride), which runs the model-server container: expected image: { build: <folder> } or gcp.containerImage (an image implementing the AIP_* contract)',
    ]);
  });
});
