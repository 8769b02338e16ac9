import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImages, type CommandRunner } from '../../cli/build-images';
import { demoConfig } from '../../infra/config/demo';
import { contentTag, loadImagesFile } from '../../infra/config/images';
import { parseConfig } from '../../infra/config/load';
import { cli } from './helpers';

const REPO = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server';
const PUSHED = `sha256:${'c'.repeat(64)}`;
const EXISTING = `sha256:${'d'.repeat(64)}`;

/** A repository root with containers/model-server/Dockerfile, and fake `docker` and `aws` executables that log their args. */
function workspace(behaviour: { imageExists?: boolean; buildFails?: boolean; describeError?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'modelstack-build-images-'));
  const root = join(dir, 'repo');
  mkdirSync(join(root, 'containers/model-server'), { recursive: true });
  writeFileSync(join(root, 'containers/model-server/Dockerfile'), 'FROM python:3.11-slim\nCMD ["serve"]\n');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const calls = join(dir, 'calls.log');
  const script = (body: string) => `#!/bin/sh\necho "$(basename "$0") $*" >> '${calls}'\n${body}\n`;
  writeFileSync(
    join(bin, 'docker'),
    script(`case "$1" in
  build) ${behaviour.buildFails ? `echo 'step 3/5: pip install failed' >&2; exit 1` : 'echo built'} ;;
  push) echo "$2: digest: ${PUSHED} size: 1234" ;;
esac`),
  );
  writeFileSync(
    join(bin, 'aws'),
    script(
      behaviour.describeError
        ? `echo '${behaviour.describeError}' >&2; exit 254`
        : behaviour.imageExists
          ? `echo ${EXISTING}`
          : `echo 'An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image requested does not exist' >&2; exit 254`,
    ),
  );
  chmodSync(join(bin, 'docker'), 0o755);
  chmodSync(join(bin, 'aws'), 0o755);
  const out = join(dir, 'out', 'model-images.json');
  return { root, bin, out, calls: () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []) };
}

/** Runs the CLI with the fake executables first on PATH. */
async function withFakes(bin: string, argv: string[]) {
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    return await cli(argv);
  } finally {
    process.env.PATH = path;
  }
}

describe('modelstack build-images', () => {
  test('builds and pushes by content tag, then writes the pushed digest per folder', async () => {
    const ws = workspace();
    const tag = contentTag(join(ws.root, 'containers/model-server'));
    const result = await withFakes(ws.bin, ['build-images', '--root', ws.root, '--out', ws.out]);
    expect(result.stderr).toContain('built');
    expect(result.code).toBe(0);
    expect(ws.calls()).toEqual([
      `aws ecr describe-images --region eu-west-1 --registry-id 111111111111 --repository-name modelstack/model-server --image-ids imageTag=${tag} --query imageDetails[0].imageDigest --output text`,
      `docker build --platform linux/amd64 --tag ${REPO}:${tag} ${join(ws.root, 'containers/model-server')}`,
      `docker push ${REPO}:${tag}`,
    ]);
    expect(loadImagesFile(ws.out)).toEqual({ 'containers/model-server': `${REPO}@${PUSHED}` });
    expect(result.stdout).toContain(`containers/model-server: pushed ${REPO}:${tag} (${PUSHED})`);
  });

  test('a tag already in the repository is not built again: its digest comes from ECR', async () => {
    const ws = workspace({ imageExists: true });
    const result = await withFakes(ws.bin, ['build-images', '--root', ws.root, '--out', ws.out]);
    expect(result.code).toBe(0);
    expect(ws.calls().map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['aws ecr']);
    expect(loadImagesFile(ws.out)).toEqual({ 'containers/model-server': `${REPO}@${EXISTING}` });
    expect(result.stdout).toContain('is already pushed');
  });

  test('--dry-run prints the commands and runs none', async () => {
    const ws = workspace();
    const result = await withFakes(ws.bin, ['build-images', '--root', ws.root, '--out', ws.out, '--dry-run']);
    expect(result.code).toBe(0);
    expect(ws.calls()).toEqual([]);
    expect(existsSync(ws.out)).toBe(false);
    expect(result.stdout.split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['aws ecr', 'docker build', 'docker push', '']);
  });

  test('errors name the folder and what failed', async () => {
    const failing = workspace({ buildFails: true });
    let result = await withFakes(failing.bin, ['build-images', '--root', failing.root, '--out', failing.out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('modelstack: error: build-images: containers/model-server: docker build failed: exit 1: step 3/5: pip install failed');
    expect(existsSync(failing.out)).toBe(false);

    const denied = workspace({ describeError: 'An error occurred (AccessDeniedException) when calling the DescribeImages operation' });
    result = await withFakes(denied.bin, ['build-images', '--root', denied.root, '--out', denied.out]);
    expect(result.stderr).toMatch(/containers\/model-server: cannot tell whether .*:src-[0-9a-f]{40} exists \(aws ecr describe-images\): exit 254: An error occurred \(AccessDeniedException\)/);

    const noRepository = workspace({ describeError: 'An error occurred (RepositoryNotFoundException) when calling the DescribeImages operation' });
    result = await withFakes(noRepository.bin, ['build-images', '--root', noRepository.root, '--out', noRepository.out]);
    expect(result.stderr).toContain(`containers/model-server: repository ${REPO} does not exist yet: deploy the pipeline stack first`);

    const missing = workspace();
    result = await withFakes(missing.bin, ['build-images', '--root', join(missing.root, 'elsewhere'), '--out', missing.out]);
    expect(result.stderr).toContain('build-images: containers/model-server: build folder not found');
  });

  test('a missing docker executable is reported like a failed command', async () => {
    const ws = workspace();
    const runner: CommandRunner = async (command) =>
      command === 'aws' ? { code: 254, stdout: '', stderr: 'ImageNotFoundException' } : { code: 127, stdout: '', stderr: 'spawn docker ENOENT' };
    await expect(buildImages(parseConfig(demoConfig), { root: ws.root, runner, log: () => {} })).rejects.toThrow('containers/model-server: docker build failed: exit 127: spawn docker ENOENT');
  });

  test('without a digest in the push output, the digest is asked from ECR after the push', async () => {
    const ws = workspace();
    let describes = 0;
    const runner: CommandRunner = async (command, args) => {
      if (command === 'aws') return ++describes === 1 ? { code: 254, stdout: '', stderr: 'ImageNotFoundException' } : { code: 0, stdout: `${EXISTING}\n`, stderr: '' };
      return { code: 0, stdout: args[0] === 'push' ? 'pushed\n' : '', stderr: '' };
    };
    expect(await buildImages(parseConfig(demoConfig), { root: ws.root, runner, log: () => {} })).toEqual({ 'containers/model-server': `${REPO}@${EXISTING}` });
  });
});
