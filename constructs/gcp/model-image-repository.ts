import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { ModelRegistry } from './model-registry';
import { withRegistryDefaults } from './private/registry-defaults';
import { ServiceAgents } from './private/service-agents';

/** Properties of a {@link ModelImageRepository}. */
export interface ModelImageRepositoryProps {
  /** The registry: its key encrypts the images. */
  readonly registry: ModelRegistry;
  /**
   * Prefix of the repository id (`<namePrefix>-models`), such as `modelstack-dev`.
   * @default - the registry's namePrefix
   */
  readonly namePrefix?: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /**
   * Region of the repository, such as `europe-west1`: the endpoints' region.
   * @default - the registry's region
   */
  readonly region?: string;
  /**
   * Tagged image versions kept besides those younger than {@link ModelImageRepositoryProps.maxAgeDays}.
   * @default 10
   */
  readonly keepCount?: number;
  /**
   * Days after which other image versions are deleted. Vertex AI copies a model's image when the model is uploaded
   * ("The container image is ingested upon ModelService.UploadModel, stored internally, and this original path is
   * afterwards not used", ModelContainerSpec `imageUri`), so deleting an old image does not affect a served version.
   * @default 30
   */
  readonly maxAgeDays?: number;
}

/**
 * The Artifact Registry Docker repository the deploy builds push model server images to, and the training workflows
 * ModelStack's training image (`TrainingImage`), `<namePrefix>-models`:
 * encrypted with the registry's key (the Artifact Registry service agent is granted the key first), immutable tags,
 * cleanup policies (keep the most recent versions, delete older ones). The Vertex AI service agent may read it (it
 * pulls the image when a model is uploaded); writers are granted with {@link ModelImageRepository.grantPush}.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { ModelImageRepository, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 *
 * const images = new ModelImageRepository(stack, 'ModelImages', { registry });
 * // europe-west1-docker.pkg.dev/<project>/<prefix>-models/model-server
 * const image = images.imageName('model-server');
 * ```
 */
export class ModelImageRepository extends Construct {
  /** The Docker repository. */
  readonly repository: ArtifactRegistryRepository;
  /** The GCP project id. */
  readonly project: string;
  /** The repository's region. */
  readonly region: string;
  /** The repository id, `<namePrefix>-models`. */
  readonly repositoryId: string;
  /** What pushing depends on: the key grant, settled. */
  readonly ready: ITerraformDependable[] = [];
  private readonly writers = new Map<string, ArtifactRegistryRepositoryIamMember>();

  constructor(scope: Construct, id: string, given: ModelImageRepositoryProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    const keepCount = props.keepCount ?? 10;
    const maxAgeDays = props.maxAgeDays ?? 30;
    const problems = new Problems('ModelImageRepository');
    problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
    problems.check(Number.isInteger(keepCount) && keepCount >= 1, `keepCount ${keepCount}: expected a whole number, at least 1`);
    problems.check(Number.isInteger(maxAgeDays) && maxAgeDays >= 1, `maxAgeDays ${maxAgeDays}: expected a whole number of days, at least 1`);
    problems.throwIfAny();
    const { registry, project, region } = props;
    this.project = project;
    this.region = region;
    this.repositoryId = `${props.namePrefix}-models`;
    const agents = ServiceAgents.of(this, project);
    // Artifact Registry CMEK: its service agent needs Encrypter/Decrypter on the key before the repository exists
    // (https://cloud.google.com/artifact-registry/docs/cmek). The grant is shared with the function images' repository.
    const keyGranted = agents.settled(registry.grantKeyUse('ArtifactRegistryAgent', agents.artifactRegistry));
    this.ready.push(keyGranted);

    this.repository = new ArtifactRegistryRepository(this, 'Repository', {
      repositoryId: this.repositoryId,
      location: region,
      project,
      format: 'DOCKER',
      description: `${props.namePrefix} model serving images, built by the deploy triggers`,
      kmsKeyName: registry.cryptoKey.id,
      // A pushed tag always names the same image.
      dockerConfig: { immutableTags: true },
      cleanupPolicies: [
        { id: 'keep-recent', action: 'KEEP', mostRecentVersions: { keepCount } },
        { id: 'delete-old', action: 'DELETE', condition: { olderThan: `${maxAgeDays * 86400}s` } },
      ],
      dependsOn: [keyGranted],
    });
    // Vertex AI pulls the image as its service agent when a model version is uploaded.
    new ArtifactRegistryRepositoryIamMember(this, 'VertexReads', {
      project,
      location: region,
      repository: this.repository.name,
      role: 'roles/artifactregistry.reader',
      member: agents.vertex,
    });
  }

  /** `<region>-docker.pkg.dev/<project>/<repository>/<image>`: an image's name in this repository, without tag or digest. */
  imageName(image: string): string {
    return `${this.region}-docker.pkg.dev/${this.project}/${this.repositoryId}/${image}`;
  }

  /** Lets `member` push (and read) images in this repository only; one grant per member. */
  grantPush(id: string, member: string): ArtifactRegistryRepositoryIamMember {
    let grant = this.writers.get(member);
    if (!grant) {
      grant = new ArtifactRegistryRepositoryIamMember(this, `${id}Pushes`, { project: this.project, location: this.region, repository: this.repository.name, role: 'roles/artifactregistry.writer', member });
      this.writers.set(member, grant);
    }
    return grant;
  }
}
