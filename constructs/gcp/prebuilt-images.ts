/**
 * Vertex AI's prebuilt prediction containers, by the platform config's `framework` (`xgboost-1.7`,
 * `sklearn-1.2`, `tensorflow-2.13`). They load the model file from the version directory in the registry.
 */
const PREBUILT: Record<string, string> = { xgboost: 'xgboost-cpu', sklearn: 'sklearn-cpu', tensorflow: 'tf2-cpu' };

/** The registry host closest to `region`: Artifact Registry serves the images from us, europe and asia. */
function multiRegion(region: string): string {
  if (/^(europe|me|africa)-/.test(region)) return 'europe';
  if (/^(asia|australia)-/.test(region)) return 'asia';
  return 'us';
}

/** The prebuilt serving image for `framework` in `region`, or undefined when Vertex AI has none. */
export function prebuiltServingImage(framework: string, region: string): string | undefined {
  const match = /^([a-z]+)-(\d+)\.(\d+)$/.exec(framework);
  const name = match && PREBUILT[match[1]];
  if (!match || !name) return undefined;
  return `${multiRegion(region)}-docker.pkg.dev/vertex-ai/prediction/${name}.${match[2]}-${match[3]}:latest`;
}
