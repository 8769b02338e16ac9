import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { awsEnvironments } from '../config/clouds';
import { buildFolders, ecrRegistry, imageRepositoryName } from '../config/images';
import type { PlatformConfig } from '../config/schema';

/** Tagged images each repository keeps; older ones expire (an endpoint that still serves one keeps running, but cannot scale out). */
export const KEPT_IMAGES = 100;

/** Where the build step writes the images file, and where the synth step finds it (its additional input). */
export const IMAGES_OUTPUT_DIR = 'model-images';
export const IMAGES_FILE = 'model-images.json';
export const IMAGES_INPUT_DIR = 'built-images';

/** The pull actions SageMaker's execution role needs on a repository (the same as `executionRolePolicy`'s). */
const PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

/**
 * The ECR repositories of the config's built images, in the pipeline's account and region: one per build folder,
 * `<platform>/<folder name>`, encrypted with a rotating customer-managed key, scanned on push, with immutable tags (a
 * content tag always names the same image) and a lifecycle (untagged images expire after a day, at most
 * {@link KEPT_IMAGES} tagged ones are kept). Each environment account may pull: SageMaker pulls "with the
 * permissions of the execution role" of the model, so a repository in another account must allow that account in
 * its repository policy too (SageMaker Developer Guide, "Use a private Docker registry ..." and ECR User Guide,
 * "Private repository policy examples": cross-account pull needs both the identity policy and the repository policy).
 */
export class ModelImageRepositories extends Construct {
  /** The repository of each build folder. */
  readonly repositories: Record<string, ecr.Repository> = {};
  /** The key that encrypts every repository. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, config: PlatformConfig) {
    super(scope, id);
    const stack = Stack.of(this);
    const pullers = [...new Set(awsEnvironments(config).map(([, e]) => e.aws.account))].filter((account) => account !== stack.account);
    this.key = new kms.Key(this, 'Key', {
      description: `${config.platform.name}: built model images (ECR)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (pullers.length > 0) {
      // ECR decrypts layers under the grant it creates on the key for the repository (ECR User Guide, "Encryption at
      // rest"); a cross-account puller reaches the key only through ECR, which the ViaService condition enforces.
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'EnvironmentsPullThroughEcr',
          principals: pullers.map((account) => new iam.AccountPrincipal(account)),
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `ecr.${stack.region}.amazonaws.com` } },
        }),
      );
    }
    for (const folder of buildFolders(config)) {
      const repository = new ecr.Repository(this, `Repository-${folder}`, {
        repositoryName: imageRepositoryName(config.platform.name, folder),
        encryption: ecr.RepositoryEncryption.KMS,
        encryptionKey: this.key,
        imageScanOnPush: true,
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        // Production endpoints pull these images whenever they scale out: never delete them with the stack.
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [
          { rulePriority: 1, description: 'Untagged images (superseded layers of failed pushes) expire', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(1) },
          { rulePriority: 2, description: `Keep the ${KEPT_IMAGES} most recent images`, tagStatus: ecr.TagStatus.ANY, maxImageCount: KEPT_IMAGES },
        ],
      });
      if (pullers.length > 0) {
        repository.addToResourcePolicy(
          new iam.PolicyStatement({ sid: 'EnvironmentsPull', principals: pullers.map((account) => new iam.AccountPrincipal(account)), actions: PULL_ACTIONS }),
        );
      }
      this.repositories[folder] = repository;
    }
  }

  /**
   * The pipeline step that builds and pushes every image whose content tag is not in its repository yet
   * (`modelstack build-images`), privileged because it runs Docker, and writes `model-images.json` for the synth step.
   */
  buildStep(input: pipelines.IFileSetProducer): pipelines.CodeBuildStep {
    const stack = Stack.of(this);
    const registry = ecrRegistry(stack.account, stack.region);
    const repositoryArns = Object.values(this.repositories).map((r) => r.repositoryArn);
    return new pipelines.CodeBuildStep('BuildImages', {
      input,
      buildEnvironment: { privileged: true, buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
      installCommands: ['npm ci'],
      commands: [
        `aws ecr get-login-password --region ${stack.region} | docker login --username AWS --password-stdin ${registry}`,
        `node bin/modelstack.cjs build-images --out ${IMAGES_OUTPUT_DIR}/${IMAGES_FILE}`,
      ],
      primaryOutputDirectory: IMAGES_OUTPUT_DIR,
      rolePolicyStatements: [
        // GetAuthorizationToken has no resource-level permissions.
        new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          // DescribeImages: is this content tag pushed already? The rest: docker push (ECR User Guide, "Pushing an image").
          actions: ['ecr:DescribeImages', 'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          resources: repositoryArns,
        }),
      ],
    });
  }
}

/** The synth step's `-c images=<file>` when the config builds images, else nothing. */
export function imagesContext(config: PlatformConfig): string {
  return buildFolders(config).length > 0 ? ` -c images=${IMAGES_INPUT_DIR}/${IMAGES_FILE}` : '';
}
