// The training pipelines' default image (containers/training/Dockerfile), built by `cdk deploy` as a Docker image
// asset and pushed to the CDK bootstrap's asset repository of each environment. Its build context is the
// repository root, because the image holds the training code (training/) and the model server's pins
// (containers/model-server/requirements.txt); the asset keeps only what the Dockerfile copies, so the context (and
// the asset's hash) leaves out node_modules, tests and everything else. (Google Cloud builds the same context:
// constructs/gcp/training-image.ts.)
import { IgnoreMode } from 'aws-cdk-lib';
import { type DockerImageAssetProps, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { TRAINING_DOCKERFILE, TRAINING_IMAGE_SOURCES, trainingImageRoot } from '../../constructs/private/training-image-sources';

export { TRAINING_DOCKERFILE, TRAINING_IMAGE_SOURCES, trainingImageRoot };

/**
 * The Docker image asset of the training image. `exclude` (Docker ignore syntax: everything, then the sources back,
 * without tests and bytecode) shapes both the staged build context and the asset hash, so a change elsewhere in the
 * repository does not rebuild the image. SageMaker's ml.* instances in the demo (ml.m5) are x86_64, hence the platform.
 */
export function trainingImageAssetProps(root = trainingImageRoot()): DockerImageAssetProps {
  return {
    directory: root,
    file: TRAINING_DOCKERFILE,
    ignoreMode: IgnoreMode.DOCKER,
    exclude: ['*', ...keep(TRAINING_IMAGE_SOURCES), '**/tests', '**/__pycache__', '**/*.pyc'],
    platform: Platform.LINUX_AMD64,
    displayName: 'ModelStack training image',
  };
}

/**
 * Docker ignore lines that bring `sources` back after `*` (the last matching line wins): first each parent folder,
 * shallowest first, with its other entries excluded again, then the sources themselves.
 */
function keep(sources: readonly string[]): string[] {
  const parents = [...new Set(sources.flatMap((source) => source.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))];
  parents.sort((a, b) => a.split('/').length - b.split('/').length);
  return [...parents.flatMap((parent) => [`!${parent}`, `${parent}/*`]), ...sources.flatMap((source) => [`!${source}`, `!${source}/**`])];
}
