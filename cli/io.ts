/** Where the CLI writes; tests pass their own to run the CLI in-process. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (the progress bar only draws on one unless forced). */
  stderrIsTTY: boolean;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
  };
}

/** A user error: printed whole (every problem on its own line), exit code 2. */
export class UsageError extends Error {}

/** Shared state of one CLI run: the IO and the exit code actions set. */
export interface CliContext {
  io: CliIO;
  exitCode: number;
}
