/** The sample recipes of scripts/drift-reference.py, so the fixture need not store 100k-row samples. */
export interface SampleSpec {
  dist: 'normal' | 'exponential' | 'uniform';
  params: number[];
  seed: number;
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

export function sample(spec: SampleSpec, n: number): Float64Array {
  const u = lcg(spec.seed);
  const [a, b] = spec.params;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (spec.dist === 'normal') out[i] = a + b * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    else if (spec.dist === 'exponential') out[i] = -a * Math.log(u());
    else out[i] = a + (b - a) * u();
  }
  return out;
}
