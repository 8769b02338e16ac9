import { parseConfig } from '../../infra/config/load';
import { demo, problemsOf } from '../helpers/config';

describe('a model\'s training.gcp section (Vertex AI jobs)', () => {
  test('defaults: n1-standard-4, a 100 GB boot disk, an hour per job, no image (the served version\'s is taken at run time)', () => {
    const churn = parseConfig(demo(), 'demo').models[0];
    expect(churn.training?.gcp).toEqual({ machineType: 'n1-standard-4', bootDiskGb: 100, maxRuntimeMinutes: 60 });
  });

  test('training.gcp.image takes an Artifact Registry image only, and every problem is listed with its path', () => {
    const raw = demo();
    raw.models[0].training.gcp = { image: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/trainer:1', machineType: 'N1', bootDiskGb: 10, maxRuntimeMinutes: 0 };
    expect(problemsOf(raw)).toEqual([
      'models[0].training.gcp.machineType: expected a Compute Engine machine type such as n1-standard-4',
      'models[0].training.gcp.bootDiskGb: Too small: expected number to be >=100',
      'models[0].training.gcp.maxRuntimeMinutes: Too small: expected number to be >=1',
      'models[0].training.gcp.image: expected an Artifact Registry image URI such as europe-west1-docker.pkg.dev/my-project/training/trainer:1 (Vertex AI custom jobs run images from Artifact Registry)',
    ]);
    raw.models[0].training.gcp = { image: 'europe-west1-docker.pkg.dev/modelstack-demo-dev/training/trainer@sha256:' + 'a'.repeat(64) };
    expect(parseConfig(raw, 'test').models[0].training?.gcp.image).toMatch(/^europe-west1-docker\.pkg\.dev\/.*@sha256:a{64}$/);
  });
});
