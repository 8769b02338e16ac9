import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type BuiltImages, buildFolders, contentTag, ecrRepositoryUri, imageRegistryEnvironment, imageRepositoryName } from '../infra/config/images';
import type { PlatformConfig } from '../infra/config/schema';

/** What a command printed and how it ended. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs external commands (docker, aws); tests inject their own or put fake executables on PATH. */
export type CommandRunner = (command: string, args: readonly string[], options?: { readonly echo?: (text: string) => void }) => Promise<CommandResult>;

/** Runs commands as child processes (found on `env.PATH`), capturing their output and optionally echoing it. */
export function processRunner(env: NodeJS.ProcessEnv = process.env): CommandRunner {
  return (command, args, options = {}) =>
    new Promise((resolve) => {
      const child = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        options.echo?.(chunk.toString());
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        options.echo?.(chunk.toString());
      });
      // A missing executable is a failed command like any other, reported with the folder it was for.
      child.on('error', (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}` }));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

/** Options of {@link buildImages}. */
export interface BuildImagesOptions {
  /** The repository root that build folders are relative to. */
  readonly root: string;
  readonly runner: CommandRunner;
  /** Print the commands instead of running them. */
  readonly dryRun?: boolean;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Where docker's own output goes while it builds and pushes. */
  readonly echo?: (text: string) => void;
}

/** A failed build: names the folder and what failed. */
export class BuildImagesError extends Error {}

const DIGEST = /sha256:[0-9a-f]{64}/;

/**
 * Builds and pushes the image of every build folder of the config into its ECR repository (in the pipeline's account
 * and region), tagged with the folder's content tag, and returns each pushed image by digest. A tag that is already
 * in the repository is not built again (tags are immutable there, so it is the same image): its digest comes from
 * ECR `DescribeImages`, called through the AWS CLI, which CodeBuild's image has, and which answers the digest
 * without pulling the image. Docker must be logged in to the registry. With `dryRun`, prints the commands only and
 * returns nothing.
 */
export async function buildImages(config: PlatformConfig, options: BuildImagesOptions): Promise<BuiltImages> {
  const { account, region } = imageRegistryEnvironment(config);
  const built: Record<string, string> = {};
  const folders = buildFolders(config);
  if (folders.length === 0) options.log('no model builds its image: nothing to do');
  for (const folder of folders) {
    const fail = (what: string, result?: CommandResult): never => {
      const detail = result ? `: exit ${result.code}${lastLine(result) ? `: ${lastLine(result)}` : ''}` : '';
      throw new BuildImagesError(`${folder}: ${what}${detail}`);
    };
    let tag: string;
    try {
      tag = contentTag(join(options.root, folder));
    } catch (error) {
      return fail((error as Error).message.replace(`${join(options.root, folder)}: `, ''));
    }
    const repository = ecrRepositoryUri(config, folder);
    const image = `${repository}:${tag}`;
    const describe = [
      'ecr', 'describe-images',
      '--region', region,
      '--registry-id', account,
      '--repository-name', imageRepositoryName(config.platform.name, folder),
      '--image-ids', `imageTag=${tag}`,
      '--query', 'imageDetails[0].imageDigest',
      '--output', 'text',
    ];
    // linux/amd64: the instances SageMaker and Vertex AI serve on (ml.m5, n1-standard) are x86-64.
    const build = ['build', '--platform', 'linux/amd64', '--tag', image, join(options.root, folder)];
    const push = ['push', image];
    if (options.dryRun) {
      for (const [command, args] of [['aws', describe], ['docker', build], ['docker', push]] as const) options.log(`${command} ${args.join(' ')}`);
      continue;
    }

    const existing = await options.runner('aws', describe);
    let digest = existing.code === 0 ? DIGEST.exec(existing.stdout)?.[0] : undefined;
    if (digest) {
      options.log(`${folder}: ${image} is already pushed (${digest}): not built again`);
    } else {
      // The pipeline creates the repository when it updates itself, which runs after this step: a folder added since
      // the pipeline stack's last deploy has no repository yet.
      if (/RepositoryNotFoundException/.test(existing.stderr)) fail(`repository ${repository} does not exist yet: deploy the pipeline stack first (npx cdk deploy --app "npx tsx infra/aws/pipeline-main.ts")`);
      if (existing.code !== 0 && !/ImageNotFoundException/.test(existing.stderr)) fail(`cannot tell whether ${image} exists (aws ecr describe-images)`, existing);
      options.log(`${folder}: building ${image}`);
      const built = await options.runner('docker', build, { echo: options.echo });
      if (built.code !== 0) fail('docker build failed', built);
      const pushed = await options.runner('docker', push, { echo: options.echo });
      if (pushed.code !== 0) fail(`docker push to ${repository} failed`, pushed);
      // docker push ends with "<tag>: digest: sha256:<hex> size: <n>"; ask ECR when the output says nothing.
      digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
      if (!digest) {
        const after = await options.runner('aws', describe);
        digest = after.code === 0 ? DIGEST.exec(after.stdout)?.[0] : undefined;
        if (!digest) fail(`pushed ${image}, but found no digest for it`, after);
      }
      options.log(`${folder}: pushed ${image} (${digest})`);
    }
    built[folder] = `${repository}@${digest}`;
  }
  return built;
}

function lastLine(result: CommandResult): string {
  return (result.stderr.trim() || result.stdout.trim()).split('\n').at(-1)?.trim() ?? '';
}
