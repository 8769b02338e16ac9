import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ksPValue } from '../../core/drift/evaluate';
import { chiSquarePValue, jensenShannon, lInfinity, psi } from '../../core/drift/private/metrics';
import { gammaQ, kolmogorovSurvival } from '../../core/drift/private/special';
import { numericBin } from '../../core/profile/private/bins';
import { ksStatistic, sketchCdf, wasserstein1 } from '../../core/profile/private/sketch-cdf';
import { TDigest } from '../../core/profile/private/tdigest';
import { sample, type SampleSpec } from './reference-samples';

/** Expected values from numpy/scipy (scripts/drift-reference.py). */
interface Reference {
  binMetrics: { name: string; ref: number[]; cur: number[]; psi: number; jensenShannon: number; lInfinity: number; chiSquarePValue: number }[];
  sketchCases: {
    name: string;
    n: number;
    base: SampleSpec;
    cur: SampleSpec;
    check: { baseFirst: number[]; baseSum: number; curSum: number };
    edges: number[];
    baseCounts: number[];
    curCounts: number[];
    psi: number;
    jensenShannon: number;
    ks: number;
    wasserstein: number;
    baselineStd: number;
    wassersteinNormed: number;
  }[];
  gammaQ: [number, number, number][];
  kolmogorov: [number, number][];
  ksSmall: { n: number; m: number; seedA: number; seedB: number; shift: number; statistic: number; pvalueExact: number }[];
}

const ref: Reference = JSON.parse(readFileSync(join(__dirname, '../fixtures/drift/reference.json'), 'utf8'));

function binCounts(xs: Float64Array, edges: number[]): number[] {
  const counts = new Array(edges.length + 1).fill(0);
  for (const x of xs) counts[numericBin(edges, x)]++;
  return counts;
}

function digestOf(xs: Float64Array): TDigest {
  const d = new TDigest();
  for (const x of xs) d.add(x);
  return d;
}

function populationStd(xs: Float64Array): number {
  let mean = 0;
  for (const x of xs) mean += x / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return Math.sqrt(ss / xs.length);
}

describe('bin metrics match scipy to 1e-9', () => {
  test.each(ref.binMetrics.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(Math.abs(psi(c.ref, c.cur) - c.psi)).toBeLessThan(1e-9);
    expect(Math.abs(jensenShannon(c.ref, c.cur) - c.jensenShannon)).toBeLessThan(1e-9);
    expect(Math.abs(lInfinity(c.ref, c.cur) - c.lInfinity)).toBeLessThan(1e-9);
    expect(Math.abs(chiSquarePValue(c.ref, c.cur) - c.chiSquarePValue)).toBeLessThan(1e-9);
  });
});

describe('special functions match scipy to 1e-9', () => {
  test.each(ref.gammaQ)('gammaincc(%d, %d)', (a, x, expected) => {
    expect(Math.abs(gammaQ(a, x) - expected)).toBeLessThan(1e-9);
  });
  test.each(ref.kolmogorov)('kstwobign.sf(%d)', (lambda, expected) => {
    expect(Math.abs(kolmogorovSurvival(lambda) - expected)).toBeLessThan(1e-9);
  });
});

describe('100k-row samples against scipy', () => {
  test.each(ref.sketchCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const base = sample(c.base, c.n);
    const cur = sample(c.cur, c.n);
    // The generators agree with Python's (up to libm rounding).
    c.check.baseFirst.forEach((v, i) => expect(Math.abs(base[i] - v)).toBeLessThan(1e-12));
    expect(Math.abs(base.reduce((a, b) => a + b, 0) - c.check.baseSum)).toBeLessThan(1e-6);
    expect(Math.abs(cur.reduce((a, b) => a + b, 0) - c.check.curSum)).toBeLessThan(1e-6);

    // Same bins → same counts → PSI and JS to 1e-9.
    const bc = binCounts(base, c.edges);
    const cc = binCounts(cur, c.edges);
    expect(bc).toEqual(c.baseCounts);
    expect(cc).toEqual(c.curCounts);
    expect(Math.abs(psi(bc, cc) - c.psi)).toBeLessThan(1e-9);
    expect(Math.abs(jensenShannon(bc, cc) - c.jensenShannon)).toBeLessThan(1e-9);

    // KS and normed Wasserstein from the sketches, within 0.01 of the exact values.
    const a = sketchCdf(digestOf(base));
    const b = sketchCdf(digestOf(cur));
    expect(Math.abs(ksStatistic(a, b) - c.ks)).toBeLessThan(0.01);
    const std = populationStd(base);
    expect(Math.abs(std - c.baselineStd)).toBeLessThan(1e-9);
    expect(Math.abs(wasserstein1(a, b) / Math.max(std, 1e-3) - c.wassersteinNormed)).toBeLessThan(0.01);
  });
});

describe('small-sample KS', () => {
  test.each(ref.ksSmall.map((c) => [`${c.n}×${c.m}`, c] as const))('%s: D from sketches and p-value near scipy exact', (_n, c) => {
    const a = sample({ dist: 'normal', params: [0, 1], seed: c.seedA }, c.n);
    const b = sample({ dist: 'normal', params: [c.shift, 1], seed: c.seedB }, c.m);
    const d = ksStatistic(sketchCdf(digestOf(a)), sketchCdf(digestOf(b)));
    expect(Math.abs(d - c.statistic)).toBeLessThan(0.01);
    // The asymptotic p-value (Stephens' correction) against scipy's exact one, given the exact D.
    expect(Math.abs(ksPValue(c.statistic, c.n, c.m) - c.pvalueExact)).toBeLessThan(0.005);
  });
});
