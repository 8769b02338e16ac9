// Image-reference rules shared by the constructs, the config schema and the CLI (cdk-free, no imports).

/** A container image by tag or digest: `<host>[:port]/<path>(:<tag>|@sha256:<digest>)`. */
export const CONTAINER_IMAGE_URI = /^[\w.-]+(:\d+)?\/[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/;

// The ECR pattern, written once: `<account>.dkr.ecr.<region>.amazonaws.com` (`.com.cn` in the China regions, "Amazon
// ECR endpoints", AWS General Reference), then the repository and a tag or digest.
const ECR_HOST = String.raw`(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?`;
const ECR_REPOSITORY = String.raw`([a-z0-9._/-]+)`;
const ECR_DIGEST = String.raw`@sha256:[0-9a-f]{64}`;

/** An ECR image by tag or digest. Groups: account, region, repository. */
export const ECR_IMAGE_URI = new RegExp(`^${ECR_HOST}/${ECR_REPOSITORY}(?::[\\w.-]+|${ECR_DIGEST})$`);

/** An ECR image by digest: what a built image resolves to once pushed. Groups: account, region, repository. */
export const ECR_DIGEST_URI = new RegExp(`^${ECR_HOST}/${ECR_REPOSITORY}${ECR_DIGEST}$`);

/** The registry host of ECR in an account and region: what {@link ECR_IMAGE_URI} accepts before the repository. */
export function ecrRegistry(account: string, region: string): string {
  return `${account}.dkr.ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** A folder to build, relative to the repository root: plain name segments (no `.`, `..`, empty or absolute parts). */
export const BUILD_FOLDER = /^(?!\.{1,2}(\/|$))[A-Za-z0-9_][A-Za-z0-9._-]*(\/(?!\.{1,2}(\/|$))[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

/** The account, region and repository of an ECR image URI. */
export interface EcrImage {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
}

/** `123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo/name:tag` → its account, region and repository. */
export function parseEcrImage(uri: string): EcrImage | undefined {
  const match = ECR_IMAGE_URI.exec(uri);
  return match ? { account: match[1], region: match[2], repository: match[3] } : undefined;
}
