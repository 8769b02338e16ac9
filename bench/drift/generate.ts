import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { CATEGORICAL, columnNames, NUMERIC } from './columns';

/**
 * Seeded synthetic data for the drift benchmark and the CLI tests: 24 numeric features (n00–n23)
 * and 6 categorical (c00–c05), ~2 % missing cells in every fourth feature, and in a drifted window
 * n00–n05 and c00–c01 shifted. A malformed line every 250k rows exercises the invalid-row path.
 */
export { CATEGORICAL, columnNames, NUMERIC };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CITIES = ['paris', 'lyon', 'nice', 'lille', 'nantes', 'rennes', 'brest', 'metz', 'dijon', 'tours'];

export interface GenerateOptions {
  rows: number;
  seed: number;
  drifted: boolean;
  format?: 'jsonl' | 'csv';
  gzip?: boolean;
  /** Insert a malformed line every this many rows (0 = never). */
  malformedEvery?: number;
}

export async function generate(path: string, options: GenerateOptions): Promise<void> {
  const r = rng(options.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const names = columnNames();
  const csv = options.format === 'csv';
  const file = createWriteStream(path);
  const out = options.gzip ? createGzip() : null;
  if (out) out.pipe(file);
  const sink = out ?? file;
  const malformedEvery = options.malformedEvery ?? 250_000;
  let batch: string[] = [];
  if (csv) batch.push(names.join(','));
  const values: (number | string | null)[] = new Array(names.length);
  for (let row = 0; row < options.rows; row++) {
    for (let f = 0; f < NUMERIC; f++) {
      const shift = options.drifted && f < 6 ? 0.5 + 0.1 * f : 0;
      let x: number;
      if (f % 3 === 0) x = 10 + 3 * normal() + 3 * shift;
      else if (f % 3 === 1) x = Math.exp(0.5 * normal() + shift);
      else x = 100 * r() + 40 * shift;
      values[f] = f % 4 === 3 && r() < 0.02 ? null : Math.round(x * 1e4) / 1e4;
    }
    for (let c = 0; c < CATEGORICAL; c++) {
      const skew = options.drifted && c < 2 ? 3 : 1.5;
      const k = Math.min(CITIES.length - 1, Math.floor(CITIES.length * Math.pow(r(), skew)));
      values[NUMERIC + c] = c === 5 && r() < 0.02 ? null : CITIES[k];
    }
    if (csv) batch.push(values.map((v) => (v === null ? '' : String(v))).join(','));
    else {
      let line = '{';
      for (let i = 0; i < names.length; i++) {
        const v = values[i];
        line += `${i ? ',' : ''}"${names[i]}":${v === null ? 'null' : typeof v === 'string' ? `"${v}"` : v}`;
      }
      batch.push(`${line}}`);
    }
    if (malformedEvery > 0 && row % malformedEvery === malformedEvery - 1) batch.push(csv ? 'truncated,row' : '{"n00": 1, "n01":');
    if (batch.length >= 4096) {
      if (!sink.write(`${batch.join('\n')}\n`)) await once(sink, 'drain');
      batch = [];
    }
  }
  if (batch.length > 0) sink.write(`${batch.join('\n')}\n`);
  sink.end();
  await once(file, 'finish');
}

if (require.main === module) {
  const [path, rows, seed, drifted, format] = process.argv.slice(2);
  generate(path, {
    rows: Number(rows),
    seed: Number(seed),
    drifted: drifted === 'drifted',
    format: format === 'csv' ? 'csv' : 'jsonl',
    gzip: path.endsWith('.gz'),
  }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
