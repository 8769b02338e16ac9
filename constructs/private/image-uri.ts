// Image-reference rules shared by the constructs, the config schema and the CLI (cdk-free, no imports).

/** A container image by tag or digest: `<host>[:port]/<path>(:<tag>|@sha256:<digest>)`. */
export const CONTAINER_IMAGE_URI = /^[\w.-]+(:\d+)?\/[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/;

/** An ECR image by tag or digest. Groups: account, region, repository. */
export const ECR_IMAGE_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)(?::[\w.-]+|@sha256:[0-9a-f]{64})$/;

/** An ECR image by digest: what a built image resolves to once pushed. Groups: account, region, repository. */
export const ECR_DIGEST_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)@sha256:[0-9a-f]{64}$/;

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
