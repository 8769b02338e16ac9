import { z } from 'zod';
import { decileEdges } from './private/bins';
import { CategoricalProfile } from './categorical-profile';
import { NumericProfile } from './numeric-profile';
import { DatasetProfile, type FeatureSpec } from './profile';
import { sketchCdf } from './private/sketch-cdf';

/**
 * baseline.json, schema version 1. Besides the bins (used for PSI, JS, L∞, χ²) a numeric feature
 * stores its t-digest centroids (≤ ~δ/2 (mean, weight) pairs; δ = 500 gives ~5–8 KB per feature), from
 * which KS and Wasserstein are computed against the window's own sketch.
 */
const sketchSchema = z.object({
  compression: z.number().min(10),
  min: z.number().nullable(),
  max: z.number().nullable(),
  means: z.array(z.number()),
  weights: z.array(z.number().positive()),
});

export const numericSchema = z.object({
  name: z.string(),
  kind: z.literal('numeric'),
  count: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  invalid: z.number().int().nonnegative(),
  mean: z.number(),
  std: z.number().nonnegative(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  sketch: sketchSchema,
  bins: z.object({ edges: z.array(z.number()), counts: z.array(z.number().nonnegative()) }),
});

export const categoricalSchema = z.object({
  name: z.string(),
  kind: z.literal('categorical'),
  count: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  /** Times a category was folded into `__other__` because of the category cap (0 = all kept). */
  folded: z.number().int().nonnegative(),
  bins: z.object({ categories: z.array(z.string()), counts: z.array(z.number().nonnegative()) }),
});

export const baselineSchema = z.object({
  schemaVersion: z.literal(1),
  rows: z.number().int().nonnegative(),
  /** Malformed rows of the training data, skipped (absent from baselines written before it was recorded: read as 0). */
  invalidRows: z.number().int().nonnegative().optional(),
  /** The first malformed rows with their line number and reason. */
  invalidRowSamples: z.array(z.object({ line: z.number().int(), reason: z.string() })).optional(),
  categoryCap: z.number().int().positive(),
  features: z.array(z.discriminatedUnion('kind', [numericSchema, categoricalSchema])),
});

export type BaselineFile = z.infer<typeof baselineSchema>;
export type NumericBaseline = z.infer<typeof numericSchema>;
export type CategoricalBaseline = z.infer<typeof categoricalSchema>;
export type FeatureBaseline = BaselineFile['features'][number];

/** Validates parsed JSON as a baseline, with bins consistent with their edges/categories. */
export function parseBaseline(json: unknown): BaselineFile {
  const result = baselineSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`invalid baseline: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const f of result.data.features) {
    const expected = f.kind === 'numeric' ? f.bins.edges.length + 1 : f.bins.categories.length + 1;
    if (f.bins.counts.length !== expected) {
      throw new Error(`invalid baseline: feature ${f.name}: expected ${expected} bin counts, got ${f.bins.counts.length}`);
    }
    if (f.kind === 'numeric' && f.bins.edges.some((e, i) => i > 0 && e <= f.bins.edges[i - 1])) {
      throw new Error(`invalid baseline: feature ${f.name}: edges must be strictly ascending`);
    }
  }
  return result.data;
}

/**
 * Building a baseline takes two passes: the first profiles the data (moments, sketch, categories),
 * the decile edges are read off the sketch, and the second pass counts rows in those exact bins.
 * This returns the feature specs for the second pass.
 */
export function binSpecs(first: DatasetProfile): FeatureSpec[] {
  return first.features.map((f, i) => {
    const p = first.profiles[i];
    if (p instanceof NumericProfile) return { name: f.name, kind: 'numeric', edges: decileEdges(sketchCdf(p.sketch)) };
    return { name: f.name, kind: 'categorical', categories: (p as CategoricalProfile).finalBins().categories };
  });
}

/** Assembles baseline.json from the first-pass profile and the second-pass (binned) profile. */
export function assembleBaseline(first: DatasetProfile, binned: DatasetProfile, categoryCap: number): BaselineFile {
  const features = first.features.map((f, i): FeatureBaseline => {
    const p = first.profiles[i];
    const b = binned.profiles[i];
    if (p instanceof NumericProfile && b instanceof NumericProfile) {
      const json = p.toJSON();
      return {
        name: f.name,
        kind: 'numeric',
        count: json.count,
        missing: json.missing,
        invalid: json.invalid,
        mean: json.mean,
        std: Math.sqrt(json.variance),
        min: json.min,
        max: json.max,
        sketch: { ...json.sketch, min: json.min, max: json.max },
        bins: { edges: Array.from(b.edges), counts: Array.from(b.binCounts) },
      };
    }
    const c = p as CategoricalProfile;
    const bins = c.finalBins();
    return {
      name: f.name,
      kind: 'categorical',
      count: c.count,
      missing: c.missing,
      folded: bins.folded,
      bins: { categories: bins.categories, counts: bins.counts },
    };
  });
  return { schemaVersion: 1, rows: first.rows, invalidRows: first.invalidRows, invalidRowSamples: [...first.invalidSamples], categoryCap, features };
}

/** Feature specs with the baseline's bins: the shape of every window profile. */
export function windowSpecs(baseline: BaselineFile): FeatureSpec[] {
  return baseline.features.map((f) =>
    f.kind === 'numeric'
      ? { name: f.name, kind: 'numeric', edges: f.bins.edges }
      : { name: f.name, kind: 'categorical', categories: f.bins.categories },
  );
}
