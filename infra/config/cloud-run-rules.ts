import { buildFolderOf, type ModelImage } from './image-rules';

/**
 * Config problems of `environments.<env>.gcp.servingOverride: { kind: 'cloudRun' }`: Cloud Run runs the model-server
 * container contract (AIP_* variables, the model read from `AIP_STORAGE_URI`), which Vertex AI's prebuilt framework
 * containers do not implement outside Vertex AI, so every model must be built from a folder (`image: { build }`, the
 * model server) or name its own `gcp.containerImage`. One problem per model and environment; read defensively, as
 * the input may be partly invalid.
 */
export function cloudRunServingProblems(config: { environments?: unknown; models?: unknown }): { path: PropertyKey[]; message: string }[] {
  const models = Array.isArray(config?.models) ? (config.models as { name?: unknown; image?: ModelImage; gcp?: { containerImage?: unknown } }[]) : [];
  const environments = Object.entries((config?.environments ?? {}) as Record<string, { gcp?: { servingOverride?: { kind?: unknown } } } | undefined>);
  const onCloudRun = environments.filter(([, env]) => env?.gcp?.servingOverride?.kind === 'cloudRun').map(([name]) => name);
  if (onCloudRun.length === 0) return [];
  return models.flatMap((model, i) => {
    // An image that is neither a URI nor { build } is already reported at models[i].image.
    if (buildFolderOf(model?.image) !== undefined || typeof model?.image !== 'string' || typeof model?.gcp?.containerImage === 'string') return [];
    return [
      {
        path: ['models', i, 'gcp', 'containerImage'],
        message: `${String(model?.name)} is served on Cloud Run in ${onCloudRun.join(', ')} (gcp.servingOverride), which runs the model-server container: expected image: { build: <folder> } or gcp.containerImage (an image implementing the AIP_* contract)`,
      },
    ];
  });
}
