import type { CliIO } from './io';

/** Files smaller than this finish too quickly for a progress bar to help. */
export const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
const WIDTH = 30;

export interface Progress {
  update(bytesRead: number, totalBytes: number): void;
  done(): void;
}

/**
 * A one-line progress bar on stderr, redrawn with \r at most once per percent. Drawn for files over
 * 4 MiB when stderr is a terminal, or always when forced (`--progress`); never when disabled.
 */
export function createProgress(io: CliIO, label: string, mode: boolean | undefined): Progress {
  let drawn = -1;
  let active = false;
  return {
    update(read, total) {
      const enabled = mode ?? (io.stderrIsTTY && total >= PROGRESS_MIN_BYTES);
      if (!enabled || total <= 0) return;
      const pct = Math.min(100, Math.floor((read / total) * 100));
      if (pct === drawn) return;
      drawn = pct;
      active = true;
      const filled = Math.round((pct / 100) * WIDTH);
      const mb = (n: number) => (n / 1048576).toFixed(1);
      io.stderr(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(pct).padStart(3)}% ${mb(read)}/${mb(total)} MiB`);
    },
    done() {
      if (active) io.stderr('\n');
      active = false;
      drawn = -1;
    },
  };
}
