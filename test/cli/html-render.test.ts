import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli, dataset } from './helpers';

/**
 * Renders the HTML report in headless Chromium (Debian's package; `npm test` installs it through
 * scripts/ensure-chromium.sh). Chromium logs every console message of the page as an INFO:CONSOLE
 * line on stderr, so the report must produce none, and the screenshot must be a real image.
 */
const CHROMIUM = findChromium();

/** The browser scripts/ensure-chromium.sh accepts: $CHROMIUM_BIN, else the first chromium/Chrome on the PATH. */
function findChromium(): string {
  const candidates = [process.env.CHROMIUM_BIN, '/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', candidate], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  return '/usr/bin/chromium';
}

function render(html: string, png: string): { console: string[]; status: number | null } {
  const profile = mkdtempSync(join(tmpdir(), 'modelstack-chromium-'));
  const result = spawnSync(
    CHROMIUM,
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--log-level=0',
      '--hide-scrollbars', '--window-size=1100,1400', `--screenshot=${png}`, pathToFileURL(html).href,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { console: result.stderr.split('\n').filter((l) => l.includes(':CONSOLE')), status: result.status };
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path: string): [number, number] {
  const b = readFileSync(path);
  expect(b.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

describe('HTML report in headless Chromium', () => {
  const out = mkdtempSync(join(tmpdir(), 'modelstack-html-'));

  test('chromium is installed (scripts/ensure-chromium.sh)', () => {
    expect(existsSync(CHROMIUM)).toBe(true);
  });

  test('the console detector catches a page with errors', () => {
    const bad = join(out, 'bad.html');
    writeFileSync(bad, '<!DOCTYPE html><p>x</p><script>console.error("boom"); missingFunction();</script>');
    const r = render(bad, join(out, 'bad.png'));
    expect(r.console.join('\n')).toMatch(/boom/);
    expect(r.console.join('\n')).toMatch(/missingFunction is not defined/);
  });

  test('the drift report renders with no console messages, and a screenshot is produced', async () => {
    const d = await dataset(3000, 'jsonl');
    expect((await cli(['baseline', '--data', d.base, '--out', d.baseline])).code).toBe(0);
    expect((await cli(['drift', '--baseline', d.baseline, '--data', d.drifted, '--out', d.report, '--html', d.html])).code).toBe(0);
    const html = readFileSync(d.html, 'utf8');
    // Self-contained: no scripts, stylesheets, images or fonts fetched from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(|@import|href="(?!#)/i);
    expect(html.match(/<svg /g)).toHaveLength(30);
    // Drifted features come first.
    const order = [...html.matchAll(/<section class="feature[^"]*" id="f-([^"]+)"/g)].map((m) => m[1]);
    expect(order.slice(0, 8).sort()).toEqual(['c00', 'c01', 'n00', 'n01', 'n02', 'n03', 'n04', 'n05']);
    const png = join(out, 'report.png');
    const r = render(d.html, png);
    expect(r.status).toBe(0);
    expect(r.console).toEqual([]);
    expect(pngSize(png)).toEqual([1100, 1400]);
    expect(readFileSync(png).length).toBeGreaterThan(20_000); // a blank page compresses to a few KB
    process.stdout.write(`screenshot: ${png}\n`);
  });

  test('a window with integrity failures renders them: banner, window checks and per-feature checks', async () => {
    const d = await dataset(1000, 'csv');
    expect((await cli(['baseline', '--data', d.base, '--out', d.baseline])).code).toBe(0);
    // Rename one column: the window misses c00 and has an unexpected column.
    const renamed = join(d.dir, 'renamed.csv');
    const [header, ...body] = readFileSync(d.same, 'utf8').split('\n');
    writeFileSync(renamed, [header.replace('c00', 'c00_renamed'), ...body].join('\n'));
    expect((await cli(['drift', '--baseline', d.baseline, '--data', renamed, '--out', d.report, '--html', d.html, '--fail-on-drift'])).code).toBe(3);
    const html = readFileSync(d.html, 'utf8');
    expect(html).toMatch(/<div class="banner drift" id="integrity">Data integrity checks failed: missingColumns, values:c00, missingRate:c00, newCategories:c00<\/div>/);
    expect(html).toContain('<tr><th>missingColumns</th><td><span class="tag drift">fail</span></td><td>not in any row (renamed or dropped?): c00</td></tr>');
    expect(html).toContain('<tr><th>unexpectedColumns</th><td><span class="tag warn">warn</span></td><td>columns that are not features: &#34;c00_renamed&#34; (1000 rows)</td></tr>');
    expect(html).toContain('<span class="tag warn">insufficient-data</span>');
    // Nothing drifted: the feature failing its integrity checks comes first.
    expect(html.match(/<section class="feature[^"]*" id="f-([^"]+)"/)?.[1]).toBe('c00');
    const png = join(out, 'integrity.png');
    const r = render(d.html, png);
    expect(r.status).toBe(0);
    expect(r.console).toEqual([]);
    expect(readFileSync(png).length).toBeGreaterThan(20_000);
  });
});
