import { Stack, Token } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as assets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { parseEcrImage } from '../private/image-uri';
import { PropsValidationError } from '../private/validation';

/** What a bound {@link ContainerImage} gives the model: the image to run. */
export interface ContainerImageConfig {
  /** The image URI, `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` or `...@sha256:<digest>` (may be a token). */
  readonly imageUri: string;
}

/** A Docker tag (at most 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`) or an `sha256:` digest. */
const TAG_OR_DIGEST = /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[0-9a-f]{64})$/;

/**
 * The inference image of a {@link ModelEndpoint}, after aws-sagemaker-alpha's `ContainerImage`: binding it to the
 * endpoint gives the endpoint's execution role the pull permissions (SageMaker pulls the image with that role:
 * "Use Your Own Inference Code", SageMaker Developer Guide), so no caller writes an ECR policy. Values that are
 * tokens (a repository URI, a tag from a parameter) are accepted: they are checked only once resolved, as aws-cdk-lib's
 * own constructs do (aws-sqs `validate-props.ts`).
 *
 * @example
 * ```ts
 * import type * as ecr from 'aws-cdk-lib/aws-ecr';
 * import { ContainerImage } from 'modelstack/aws';
 *
 * declare const repository: ecr.IRepository;
 *
 * const ours = ContainerImage.fromEcrRepository(repository, 'v1');
 * const prebuilt = ContainerImage.fromImageUri('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
 * ```
 */
export abstract class ContainerImage {
  /**
   * An image in an ECR repository of this CDK app (or imported into it), by tag or digest (`sha256:...`).
   * @param tag a tag or `sha256:` digest; a token is accepted. @default 'latest'
   */
  static fromEcrRepository(repository: ecr.IRepository, tag: string = 'latest'): ContainerImage {
    if (!Token.isUnresolved(tag) && !TAG_OR_DIGEST.test(tag)) {
      throw new PropsValidationError('ContainerImage', [`tag "${tag}": expected a Docker tag (at most 128 letters, digits, _ . -) or sha256:<64 hex digits>`]);
    }
    return new EcrRepositoryImage(repository, tag);
  }

  /**
   * An ECR image by its URI, `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>` (or `@sha256:<digest>`),
   * such as a SageMaker prebuilt image or one `modelstack build-images` pushed. The pull is granted on that
   * repository only, so the URI must be known at synth: for a token, use {@link ContainerImage.fromEcrRepository}.
   */
  static fromImageUri(imageUri: string): ContainerImage {
    if (Token.isUnresolved(imageUri)) {
      throw new PropsValidationError('ContainerImage', [
        'imageUri: a token cannot be scoped to one repository for the pull grant; use ContainerImage.fromEcrRepository(repository, tag)',
      ]);
    }
    const ecr = parseEcrImage(imageUri);
    if (!ecr) throw new PropsValidationError('ContainerImage', [`imageUri "${imageUri}": expected an ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`]);
    return new EcrUriImage(imageUri, ecr);
  }

  /**
   * An image built from a folder with a Dockerfile, pushed to the CDK bootstrap's asset repository when the stack
   * deploys (`cdk deploy` builds it; synth only stages the folder).
   * @param options build arguments, target, platform and the other `DockerImageAsset` options. @default - none
   */
  static fromAsset(directory: string, options: assets.DockerImageAssetOptions = {}): ContainerImage {
    return new AssetImage(directory, options);
  }

  /** Grants `grantee` (the endpoint's execution role) the pull of this image; returns the image URI to run. */
  abstract bind(scope: Construct, grantee: iam.IGrantable): ContainerImageConfig;
}

class EcrRepositoryImage extends ContainerImage {
  constructor(
    private readonly repository: ecr.IRepository,
    private readonly tag: string,
  ) {
    super();
  }

  bind(_scope: Construct, grantee: iam.IGrantable): ContainerImageConfig {
    this.repository.grantPull(grantee);
    return { imageUri: this.repository.repositoryUriForTagOrDigest(this.tag) };
  }
}

class EcrUriImage extends ContainerImage {
  constructor(
    private readonly imageUri: string,
    private readonly ecrImage: { account: string; region: string; repository: string },
  ) {
    super();
  }

  bind(scope: Construct, grantee: iam.IGrantable): ContainerImageConfig {
    const { account, region, repository } = this.ecrImage;
    // A policy on the role, not a repository grant: the repository may be another account's (SageMaker's prebuilt
    // images), whose policy this app cannot change. These are the actions `IRepository.grantPull` grants.
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PullInferenceImage',
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [`arn:${Stack.of(scope).partition}:ecr:${region}:${account}:repository/${repository}`],
      }),
    );
    // GetAuthorizationToken has no resource-level permissions.
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    return { imageUri: this.imageUri };
  }
}

class AssetImage extends ContainerImage {
  private asset?: assets.DockerImageAsset;

  constructor(
    private readonly directory: string,
    private readonly options: assets.DockerImageAssetOptions,
  ) {
    super();
  }

  bind(scope: Construct, grantee: iam.IGrantable): ContainerImageConfig {
    // One asset however many endpoints serve it: the first binding creates it.
    this.asset ??= new assets.DockerImageAsset(new Construct(scope, 'ImageAsset'), 'Image', { directory: this.directory, ...this.options });
    this.asset.repository.grantPull(grantee);
    return { imageUri: this.asset.imageUri };
  }
}
