import { rmSync } from 'node:fs';

/** Removes the run's shared directory (test/global-setup.ts). */
export default function globalTeardown(): void {
  const dir = process.env.MODELSTACK_TEST_RUN_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
