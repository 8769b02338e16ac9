import { prebuiltServingImage } from '../../constructs/gcp/prebuilt-images';

describe('prebuilt serving images', () => {
  test('by framework and region, or none', () => {
    expect(prebuiltServingImage('xgboost-1.7', 'europe-west1')).toBe('europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest');
    expect(prebuiltServingImage('sklearn-1.2', 'us-central1')).toBe('us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-2:latest');
    expect(prebuiltServingImage('tensorflow-2.13', 'asia-east1')).toBe('asia-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-13:latest');
    expect(prebuiltServingImage('pytorch-2.1', 'europe-west1')).toBeUndefined();
    expect(prebuiltServingImage('custom', 'europe-west1')).toBeUndefined();
  });
});
