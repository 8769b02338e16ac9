import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TRAINING_DOCKERFILE } from '../../constructs/private/training-image-sources';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** The training image's Dockerfile, as text. */
export const trainingDockerfile = (): string => readFileSync(join(ROOT, TRAINING_DOCKERFILE), 'utf8');

/** The sources of each COPY instruction of the Dockerfile (the last word is the destination). */
export const dockerfileCopySources = (dockerfile = trainingDockerfile()): string[] =>
  dockerfile
    .split('\n')
    .filter((line) => /^COPY\s/.test(line))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1))
    .map((source) => source.replace(/\/$/, ''));

/** Every file below `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
