import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the run's zip archives are kept (set by test/global-setup.ts); unset, every archive is zipped as usual. */
export const ARCHIVE_CACHE_DIR_ENV = 'MODELSTACK_TEST_ARCHIVE_CACHE';

type CdktfFs = { archiveSync(src: string, dest: string): void; hashPath(path: string): string };

/**
 * cdktf's `private/fs` with `archiveSync` zipping each distinct directory once per test run. cdktf zips an ARCHIVE
 * asset on every synth in a child `node` process (about 0.5 s of CPU; a GCP platform synth zips 3 function bundles
 * per environment). The cache is keyed by the directory's path and cdktf's own hash of its contents (the hash that
 * names the asset in the synthesized Terraform), so a cached zip holds the same files.
 */
export function withArchiveCache(actual: CdktfFs): CdktfFs {
  const cacheDir = process.env[ARCHIVE_CACHE_DIR_ENV];
  if (!cacheDir) return actual;
  return {
    ...actual,
    archiveSync(src: string, dest: string): void {
      const key = createHash('sha256').update(`${resolve(src)}\0${actual.hashPath(src)}`).digest('hex');
      const cached = join(cacheDir, `${key}.zip`);
      if (!existsSync(cached)) {
        const partial = `${cached}.${process.pid}.partial`;
        actual.archiveSync(src, partial);
        // A whole zip or none for the other processes; the same contents if two wrote it.
        renameSync(partial, cached);
      }
      copyFileSync(cached, dest);
    },
  };
}
