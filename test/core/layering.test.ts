import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

/**
 * The core's folders depend one way (profile ← readers ← drift ← drift-job), so none can be read without the ones
 * below it and no import cycle runs between folders; and the core stays cloud-free.
 */
const ALLOWED: Record<string, string[]> = {
  profile: [],
  readers: ['profile'],
  drift: ['profile', 'readers'],
  inference: [],
  quality: ['inference', 'readers'],
  capture: ['drift-job'],
  'drift-job': ['profile', 'readers', 'drift', 'quality', 'layout'],
  layout: [],
};
const PACKAGES = /^(node:|zod$|hyparquet(\/|$))/;

const root = join(__dirname, '..', '..');
const sources = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}/${e.name}`) : /\.ts$/.test(e.name) ? [`${dir}/${e.name}`] : []));
/** Import specifiers of a file, TSDoc examples (` * import ...`) left out. */
const specifiers = (file: string) =>
  [...readFileSync(join(root, file), 'utf8').replace(/^\s*\*.*$/gm, '').matchAll(/(?:from |import\()'([^']+)'/g)].map((m) => m[1]);
/** `core/drift/private/x.ts` → `drift`; `core/layout.ts` and `core/layout` → `layout`. */
const folderOf = (path: string) => path.split('/')[1].replace(/\.ts$/, '');

describe('core layering', () => {
  const files = sources('core').filter((f) => f !== 'core/index.ts');

  test('each folder imports only the folders below it', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(file).filter((s) => s.startsWith('.'))) {
        const target = posix.normalize(posix.join(dirname(file), spec));
        const [from, to] = [folderOf(file), folderOf(target)];
        if (target.startsWith('core/') && from !== to && !ALLOWED[from]?.includes(to)) found.push(`${file} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(found).toEqual([]);
  });

  test('cloud-free: nothing outside core/ and no package but zod and hyparquet', () => {
    const found = files.flatMap((file) =>
      specifiers(file)
        .filter((spec) => (spec.startsWith('.') ? relative(root, join(root, dirname(file), spec)).split('\\').join('/').split('/')[0] !== 'core' : !PACKAGES.test(spec)))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(found).toEqual([]);
  });
});

describe('function adapters (lambdas/<function>/{aws,gcp})', () => {
  test("an adapter of one cloud never imports the other cloud's adapters; what both use sits beside them", () => {
    const found = sources('lambdas').flatMap((file) => {
      const cloud = file.split('/').find((part) => part === 'aws' || part === 'gcp');
      if (!cloud) return [];
      const other = cloud === 'aws' ? 'gcp' : 'aws';
      return specifiers(file)
        .filter((spec) => spec.startsWith('.') && posix.normalize(posix.join(dirname(file), spec)).split('/').includes(other))
        .map((spec) => `${file} imports ${spec}`);
    });
    expect(found).toEqual([]);
  });
});
