import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_BUNDLE_DIR_ENV } from '../constructs/private/function-bundles';
import { ARCHIVE_CACHE_DIR_ENV } from './archive-cache';

/**
 * One directory per jest run that the test processes (and the CLIs they spawn) share the work every suite would
 * otherwise repeat through: the function bundles (esbuild, about 4 s of CPU per suite that synthesizes a platform)
 * and the Cloud Functions zip archives (cdktf zips each one in a fresh `node` process on every synth). Built lazily by
 * whichever process needs one first, so a single suite pays only for what it uses. Jest's workers start after this
 * runs and inherit the environment.
 */
export default function globalSetup(): void {
  const dir = mkdtempSync(join(tmpdir(), 'modelstack-test-run-'));
  for (const [env, sub] of [[SHARED_BUNDLE_DIR_ENV, 'bundles'], [ARCHIVE_CACHE_DIR_ENV, 'archives']]) {
    mkdirSync(join(dir, sub));
    process.env[env] = join(dir, sub);
  }
  process.env.MODELSTACK_TEST_RUN_DIR = dir;
}
