// The semantic-versioning rules of `npm run api:check` / `api:update`, apart from API Extractor so they can be tested.

/**
 * An API Extractor report without what doc comments change: "(undocumented)" notes (doc coverage is
 * test/package/tsdoc.test.ts's job) and line breaks in parameter lists. A new doc comment is not an API change.
 */
export function signaturesOnly(report: string): string {
  return (
    report
      .replace(/\r\n/g, '\n')
      .replace(/^[ \t]*\/\/ \(undocumented\)\n/gm, '')
      .replace(/ \(undocumented\)$/gm, '')
      // API Extractor breaks a parameter list over lines when its parameters have docs: one line either way.
      .replace(/\(\n\s+/g, '(')
      .replace(/,\n\s+/g, ', ')
  );
}

/**
 * Lines of the old report that are gone from the new one: removed or changed signatures. Each line counts within
 * its declaration, so `readonly name: string;` leaving one interface is seen even if another still has it.
 */
export function removedLines(before: string, after: string): string[] {
  const kept = new Set(qualifiedLines(after));
  return qualifiedLines(before).filter((line) => !kept.has(line));
}

/** `<declaration> :: <line>` for every signature line (comments and blank lines left out). */
function qualifiedLines(report: string): string[] {
  return report.split(/\n\s*\n/).flatMap((block) => {
    const lines = block.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//'));
    const header = lines.find((line) => line.startsWith('export ')) ?? '';
    return lines.map((line) => (line === header ? line : `${header.replace(/\s*\{$/, '')} :: ${line.trim()}`));
  });
}

/** `[major, minor, patch]` of a semantic version (a pre-release suffix is ignored). */
export function parseVersion(version: string): [number, number, number] {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`package.json version ${version} is not semantic (major.minor.patch)`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** The smallest bump from `from` that a change with (or without) breaking lines needs. */
export function requiredBump(from: string, breaking: boolean): string {
  const [major, minor] = parseVersion(from);
  if (breaking && major > 0) return `${major + 1}.0.0`;
  return `${major}.${minor + 1}.0`;
}

/** Whether `version` is `minimum` or later. */
export function atLeast(version: string, minimum: string): boolean {
  const [a, b] = [parseVersion(version), parseVersion(minimum)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}
