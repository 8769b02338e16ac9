// What ModelStack's training image (containers/training/Dockerfile) is built from, for both clouds: the AWS Docker
// image asset (infra/aws/training-image.ts) and the Google Cloud build context (constructs/gcp/training-image.ts).
// Cloud-free: no aws-cdk-lib, no cdktf.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** The Dockerfile, relative to the build context. */
export const TRAINING_DOCKERFILE = 'containers/training/Dockerfile';

/** What the build context holds: the Dockerfile's COPY sources (test/aws/training-image.test.ts checks they match). */
export const TRAINING_IMAGE_SOURCES = ['training', 'containers/training', 'containers/model-server/requirements.txt'] as const;

/** Left out of the context under the sources: the tests, and Python bytecode (the image compiles its own). */
const LEFT_OUT = /(^|\/)(tests|__pycache__)(\/|$)|\.pyc$/;

/** The folder holding the training image's sources: the repository root in a checkout, the package root when installed. */
export function trainingImageRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, TRAINING_DOCKERFILE)) && existsSync(join(dir, 'training', 'train.py'))) return dir;
    if (dirname(dir) === dir) throw new Error(`the training image's sources (${TRAINING_DOCKERFILE} and training/) were not found above ${from}: set models[].training.aws.image (or gcp.image) to an image of your own`);
  }
}

/** One file of the build context. */
export interface ContextFile {
  /** Path relative to the context root, with `/`. */
  readonly path: string;
  /** Whether anyone may execute it (`containers/training/train`). */
  readonly executable: boolean;
  readonly content: Buffer;
}

/**
 * The build context's files, sorted by path: every file under {@link TRAINING_IMAGE_SOURCES} (the Dockerfile's COPY
 * sources, and the Dockerfile itself, which is under `containers/training`), without tests and bytecode.
 */
export function trainingImageContext(root = trainingImageRoot()): ContextFile[] {
  const files: ContextFile[] = [];
  const add = (path: string) => {
    const rel = relative(root, path).split(sep).join('/');
    if (LEFT_OUT.test(rel)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) add(join(path, name));
    } else if (stat.isFile()) {
      files.push({ path: rel, executable: (stat.mode & 0o111) !== 0, content: readFileSync(path) });
    }
  };
  for (const source of TRAINING_IMAGE_SOURCES) add(join(root, source));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * SHA-256 of the context (each file's path, mode and content): the same sources give the same hash on every machine,
 * so it names the image tag and the uploaded archive, and a change to `training/` or `containers/training/` gives a
 * new one.
 */
export function trainingImageContextHash(files: readonly ContextFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file.path}\0${file.executable ? 'x' : '-'}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex');
}
