// `npm run docs:check`: docs/api/ is what `npm run docs` (typedoc) writes from the doc comments today.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');
const committed = join(root, 'docs', 'api');
const fresh = mkdtempSync(join(tmpdir(), 'modelstack-docs-'));

function files(dir: string): Map<string, string> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return new Map(entries.map((e) => [relative(dir, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name), 'utf8')]));
}

try {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', fresh, '--logLevel', 'Warn'], { cwd: root, stdio: 'inherit' });
  const [want, have] = [files(fresh), files(committed)];
  const stale = [...new Set([...want.keys(), ...have.keys()])].filter((file) => want.get(file) !== have.get(file));
  if (stale.length > 0) {
    console.error(`docs/api is out of date (${stale.join(', ')}): run \`npm run docs\` and commit docs/api`);
    process.exitCode = 1;
  } else {
    console.log(`docs/api is up to date (${want.size} files)`);
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
