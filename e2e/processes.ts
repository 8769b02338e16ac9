import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The repository root (the rehearsal runs its commands from there). */
export const ROOT = join(__dirname, '..');
/** Debian's Python, which has the model packages (scripts/ensure-python.sh installs them). */
export const PYTHON = process.env.MODELSTACK_PYTHON ?? '/usr/bin/python3';

const run = promisify(execFile);

/** Runs a command to completion in the repository root; a failure carries its output. */
export async function command(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ModelServer {
  readonly url: string;
  /** What the server printed (JSON log lines), for the summary and for failures. */
  readonly output: string[];
  stop(): Promise<void>;
}

/**
 * Starts `containers/model-server/serve` as a process, the way a container runtime starts the image, and waits until
 * `healthRoute` answers 200 (SageMaker pings `/ping`; Vertex AI its `AIP_HEALTH_ROUTE`).
 */
export async function startModelServer(env: Record<string, string>, port: number, healthRoute = '/ping'): Promise<ModelServer> {
  const output: string[] = [];
  const child: ChildProcess = spawn(join(ROOT, 'containers/model-server/serve'), ['serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the model server exited with ${child.exitCode}:\n${output.join('\n')}`);
    try {
      const response = await fetch(`${url}${healthRoute}`);
      if (response.status === 200) return { url, output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the model server did not answer ${healthRoute} within 30 s:\n${output.join('\n')}`);
}
