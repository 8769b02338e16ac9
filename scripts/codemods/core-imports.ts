// Companion of layout.ts, for after it: `modelstack/core` (core/index.ts) exports by name only what users build on,
// so code inside the repo that imported an internal through the index (`import { psi } from '../../core'`)
// imports it from the module that declares it instead (`from '../../core/drift/private/metrics'`).
//
//   npx tsx scripts/codemods/core-imports.ts
//
// Re-runnable; it rewrites only `import { ... } from '<relative>/core'` (or `core/index`) statements naming
// something core/index.ts does not export. A name declared in no core module is reported, not guessed.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const INDEX = 'core/index.ts';
const DECLARATION = /^export (?:declare )?(?:async )?(?:abstract )?(?:function|const|let|class|interface|type|enum) ([A-Za-z_$][\w$]*)/gm;

function gitFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return [...new Set(out.split('\0').filter(Boolean))];
}

/** Name → the core module (extensionless, repo-relative) that declares it. */
function declarations(files: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files.filter((f) => f.startsWith('core/') && f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('/index.ts'))) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(DECLARATION)) if (!found.has(m[1])) found.set(m[1], file.replace(/\.ts$/, ''));
  }
  return found;
}

/** What core/index.ts exports: values, and names exported as types only. */
function publicNames(): { values: Set<string>; types: Set<string> } {
  const values = new Set<string>();
  const types = new Set<string>();
  for (const m of readFileSync(join(ROOT, INDEX), 'utf8').matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const raw of m[2].split(',').map((n) => n.trim()).filter(Boolean)) {
      const typeOnly = Boolean(m[1]) || raw.startsWith('type ');
      (typeOnly ? types : values).add(raw.replace(/^type\s+/, '').split(/\s+as\s+/).pop()!);
    }
  }
  return { values, types };
}

const IMPORT = /import (type )?\{([^}]*)\} from '((?:\.\.?\/)+(?:\.\.\/)*core(?:\/index)?)';/g;

function main(): void {
  const files = gitFiles();
  const declared = declarations(files);
  const { values, types } = publicNames();
  const problems: string[] = [];
  let changed = 0;
  for (const file of files.filter((f) => /\.(ts|tsx|mts|cts)$/.test(f) && !f.startsWith('core/') && !f.startsWith('node_modules/'))) {
    const path = join(ROOT, file);
    const before = readFileSync(path, 'utf8');
    const after = before.replace(IMPORT, (statement, typeAll: string | undefined, list: string, spec: string) => {
      const target = posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\/index$/, '');
      if (target !== 'core') return statement;
      const keep: string[] = [];
      const moved = new Map<string, string[]>();
      for (const entry of list.split(',').map((n) => n.trim()).filter(Boolean)) {
        const typeOnly = Boolean(typeAll) || entry.startsWith('type ');
        const name = entry.replace(/^type\s+/, '').split(/\s+as\s+/)[0];
        if (values.has(name) || (typeOnly && types.has(name))) {
          keep.push(entry);
          continue;
        }
        const module = declared.get(name);
        if (!module) {
          problems.push(`${file}: ${name} is declared in no core module`);
          keep.push(entry);
          continue;
        }
        let rel = relative(dirname(path), join(ROOT, module)).split('\\').join('/');
        if (!rel.startsWith('.')) rel = `./${rel}`;
        moved.set(rel, [...(moved.get(rel) ?? []), entry]);
      }
      if (moved.size === 0) return statement;
      const type = typeAll ? 'type ' : '';
      const lines = keep.length > 0 ? [`import ${type}{ ${keep.join(', ')} } from '${spec}';`] : [];
      for (const [rel, names] of [...moved].sort(([a], [b]) => a.localeCompare(b))) lines.push(`import ${type}{ ${names.join(', ')} } from '${rel}';`);
      return lines.join('\n');
    });
    if (after !== before) {
      writeFileSync(path, after);
      changed++;
      console.log(`rewrote ${file}`);
    }
  }
  console.log(`${changed} files rewritten`);
  for (const p of problems) console.warn(`warning: ${p}`);
}

main();
