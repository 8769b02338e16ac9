import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { AssetType, type ITerraformDependable, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { tarGz } from '../private/tar-gz';
import { TRAINING_DOCKERFILE, trainingImageContext, trainingImageContextHash, trainingImageRoot } from '../private/training-image-sources';
import type { ModelImageRepository } from './model-image-repository';
import type { ModelRegistry } from './model-registry';
import { buildServiceAccount } from './private/build-account';
import type { TrainingImageBuildSpec } from './private/training-workflow-source';
import { stackCustomRole } from './private/workflow-runs';

/** Where the build contexts live in the registry's artifacts bucket. */
export const TRAINING_IMAGE_CONTEXT_PREFIX = 'training-image/';

/** The image's name (package) in the repository. */
export const TRAINING_IMAGE_NAME = 'training';

/** Properties of a {@link TrainingImage}. */
export interface TrainingImageProps {
  /** The registry: the build context is uploaded to its artifacts bucket (encrypted with its key). */
  readonly registry: ModelRegistry;
  /** The CMEK Artifact Registry repository the image is pushed to (`<prefix>-models`). */
  readonly repository: ModelImageRepository;
  /**
   * Prefix of resource names, such as `modelstack-dev`.
   * @default - the registry's `namePrefix`
   */
  readonly namePrefix?: string;
  /**
   * The folder holding `containers/training/`, `training/` and `containers/model-server/requirements.txt`.
   * @default - the repository root in a checkout, the package root when installed
   */
  readonly sourceRoot?: string;
}

/** The build context's object: `training-image/context-<hash>.tar.gz`. */
function contextObjectName(hash: string): string {
  return `${TRAINING_IMAGE_CONTEXT_PREFIX}context-${hash}.tar.gz`;
}

/** What the build context's archives are, once per source root and process (every environment uploads the same). */
const archives = new Map<string, { hash: string; path: string; files: string[] }>();

function contextArchive(root: string): { hash: string; path: string; files: string[] } {
  let archive = archives.get(root);
  if (!archive) {
    const files = trainingImageContext(root);
    const hash = trainingImageContextHash(files);
    const path = join(mkdtempSync(join(tmpdir(), 'modelstack-training-context-')), `context-${hash}.tar.gz`);
    writeFileSync(path, tarGz(files));
    archive = { hash, path, files: files.map((f) => f.path) };
    archives.set(root, archive);
  }
  return archive;
}

/**
 * ModelStack's training image on Google Cloud, built without a connected source repository: Terraform uploads the
 * image's build context (exactly the Dockerfile's COPY sources, as the AWS asset stages them, without tests) as a
 * `.tar.gz` named by its content hash into the registry's CMEK bucket (`training-image/context-<hash>.tar.gz`), and
 * the training workflows build `<repository>/training:<hash>` from it with Cloud Build the first time they find the
 * tag missing (`projects.locations.builds.create` with a `storageSource`: "a zipped (.zip) or gzipped archive file
 * (.tar.gz) containing source to build", StorageSource, Cloud Build REST reference). The content hash in the tag makes
 * this idempotent: a change to `training/` or `containers/training/` gives a new tag and a new build, nothing else does.
 *
 * The build runs as its own account, which may write its logs, read that one object and push to that one repository
 * (a user-specified build account must log to Cloud Logging or a bucket of ours: "Configure user-specified service
 * accounts", Cloud Build). {@link TrainingImage.grantBuild} lets a workflow account start it.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { ModelImageRepository, TrainingImage, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 *
 * const repository = new ModelImageRepository(stack, 'ModelImages', { registry });
 * const image = new TrainingImage(stack, 'TrainingImage', { registry, repository });
 * // europe-west1-docker.pkg.dev/<project>/<prefix>-models/training:<sha256 of the context>
 * image.imageUri;
 * ```
 */
export class TrainingImage extends Construct {
  /** The image the jobs run, tagged with the context's hash. */
  readonly imageUri: string;
  /** SHA-256 of the build context (the tag). */
  readonly contextHash: string;
  /** The files of the build context, relative to the source root. */
  readonly contextFiles: readonly string[];
  /** The uploaded build context. */
  readonly context: StorageBucketObject;
  /** The account the build runs as. */
  readonly buildAccount: ServiceAccount;
  /** What a build needs before it starts: the build account's grants. */
  readonly ready: ITerraformDependable[] = [];
  private readonly repository: ModelImageRepository;
  private readonly namePrefix: string;
  private readonly granted = new Set<string>();

  constructor(scope: Construct, id: string, props: TrainingImageProps) {
    super(scope, id);
    const { registry, repository } = props;
    const namePrefix = props.namePrefix ?? registry.namePrefix;
    this.namePrefix = namePrefix;
    this.repository = repository;
    const archive = contextArchive(props.sourceRoot ?? trainingImageRoot());
    this.contextHash = archive.hash;
    this.contextFiles = archive.files;
    this.imageUri = `${repository.imageName(TRAINING_IMAGE_NAME)}:${archive.hash}`;

    const asset = new TerraformAsset(this, 'ContextArchive', { path: archive.path, type: AssetType.FILE });
    const objectName = contextObjectName(archive.hash);
    this.context = new StorageBucketObject(this, 'Context', {
      // The content hash in the name: a changed context is a new object, never a replaced one.
      name: objectName,
      bucket: registry.bucket.name,
      source: asset.path,
      contentType: 'application/gzip',
    });

    this.buildAccount = buildServiceAccount(this, 'Build', {
      accountId: boundedName([namePrefix, 'train-image'], 30),
      displayName: `${namePrefix} training image builds`,
      project: repository.project,
    });
    this.ready.push(
      this.node.findChild('BuildLogs') as unknown as ITerraformDependable,
      // The one object it builds from, and the one repository it pushes to.
      registry.grantRead(this.buildAccount.member, { prefix: objectName }),
      repository.grantPush('TrainingImageBuild', this.buildAccount.member),
    );
  }

  /** The build a workflow starts when the tag is missing. */
  get buildSpec(): TrainingImageBuildSpec {
    const { project, region, repositoryId } = this.repository;
    return {
      image: this.imageUri,
      tagName: `projects/${project}/locations/${region}/repositories/${repositoryId}/packages/${TRAINING_IMAGE_NAME}/tags/${this.contextHash}`,
      contextObject: contextObjectName(this.contextHash),
      dockerfile: TRAINING_DOCKERFILE,
      region,
    };
  }

  /**
   * Lets `member` (a training workflow's account) find the image's tag and build it: `artifactregistry.tags.get` on
   * this repository only, `cloudbuild.builds.create`, `builds.get` and `operations.get` in the project (Cloud Build IAM has no per-build
   * resource), and `iam.serviceAccounts.actAs` on the build account only (running a build as a user-specified
   * account needs it). One set of grants per member.
   */
  grantBuild(scope: Construct, id: string, member: string): ITerraformDependable[] {
    if (this.granted.has(member)) return [];
    this.granted.add(member);
    const { project, region } = this.repository;
    const role = (kind: keyof typeof IMAGE_ROLES) => stackCustomRole(this, kind, IMAGE_ROLES[kind], this.namePrefix, project).name;
    return [
      new ArtifactRegistryRepositoryIamMember(scope, `${id}FindsTrainingImage`, { project, location: region, repository: this.repository.repository.name, role: role('TrainingImageReaderRole'), member }),
      new ProjectIamMember(scope, `${id}BuildsTrainingImage`, { project, role: role('TrainingImageBuilderRole'), member }),
      new ServiceAccountIamMember(scope, `${id}ActsAsImageBuilder`, { serviceAccountId: this.buildAccount.name, role: role('TrainingImageBuildAccountUserRole'), member }),
    ];
  }
}

/** The custom roles a workflow gets to build the image (created once per stack). */
const IMAGE_ROLES = {
  // Granted on the repository: "Authorization requires ... artifactregistry.tags.get" (projects.locations.repositories.packages.tags.get).
  TrainingImageReaderRole: {
    name: 'training_image_reader',
    title: 'training image tag reader',
    description: 'Read image tags (granted on the model image repository only).',
    permissions: ['artifactregistry.tags.get'],
  },
  // Cloud Build's builds have no IAM policy of their own: project-wide. builds.get and operations.get (both in
  // roles/cloudbuild.builds.viewer, https://cloud.google.com/iam/docs/roles-permissions/cloudbuild): the connector
  // polls the build's long-running operation.
  TrainingImageBuilderRole: {
    name: 'training_image_builder',
    title: 'training image builder',
    description: 'Start and read Cloud Build builds (the training workflows build the training image).',
    permissions: ['cloudbuild.builds.create', 'cloudbuild.builds.get', 'cloudbuild.operations.get'],
  },
  // Granted on the build account only.
  TrainingImageBuildAccountUserRole: {
    name: 'training_image_build_account_user',
    title: 'training image build account user',
    description: 'Run a Cloud Build build as the training image build account (granted on that account only).',
    permissions: ['iam.serviceAccounts.actAs'],
  },
} as const;
