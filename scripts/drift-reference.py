#!/usr/bin/python3
"""Writes test/fixtures/drift/reference.json: expected drift metrics computed with numpy/scipy.

Run with Debian's python3 (apt-get install python3-numpy python3-scipy):
    /usr/bin/python3 scripts/drift-reference.py

Samples are not stored: both this script and the tests draw them from the same 32-bit LCG
(s = s*1664525 + 1013904223 mod 2^32, u = (s + 0.5) / 2^32), so the fixture stays small.
"""
import json
import math
import os

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

N = 100_000
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'drift', 'reference.json')


def lcg(seed):
    s = seed & 0xFFFFFFFF
    while True:
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        yield (s + 0.5) / 4294967296.0


def sample(spec, n):
    """Same recipes as test/core/reference-samples.ts."""
    u = lcg(spec['seed'])
    dist, p = spec['dist'], spec['params']
    out = np.empty(n)
    for i in range(n):
        if dist == 'normal':
            out[i] = p[0] + p[1] * math.sqrt(-2 * math.log(next(u))) * math.cos(2 * math.pi * next(u))
        elif dist == 'exponential':
            out[i] = -p[0] * math.log(next(u))
        elif dist == 'uniform':
            out[i] = p[0] + (p[1] - p[0]) * next(u)
        else:
            raise ValueError(dist)
    return out


def psi(ref, cur):
    r = np.asarray(ref, float) / np.sum(ref)
    c = np.asarray(cur, float) / np.sum(cur)
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))


def chi_p(ref, cur):
    ref = np.asarray(ref, float)
    cur = np.asarray(cur, float)
    exp = ref / ref.sum() * cur.sum()
    keep = ~((exp == 0) & (cur == 0))  # bins empty on both sides are dropped (documented)
    exp, obs = exp[keep], cur[keep]
    if np.any((exp == 0) & (obs > 0)):
        return 0.0
    if len(obs) < 2:
        return 1.0
    return float(stats.chisquare(obs, exp).pvalue)


def bin_metrics(name, ref, cur):
    p = np.asarray(ref, float) / np.sum(ref)
    q = np.asarray(cur, float) / np.sum(cur)
    return {
        'name': name,
        'ref': [int(x) for x in ref],
        'cur': [int(x) for x in cur],
        'psi': psi(ref, cur),
        'jensenShannon': float(distance.jensenshannon(p, q, base=2)),
        'lInfinity': float(np.max(np.abs(p - q))),
        'chiSquarePValue': chi_p(ref, cur),
    }


def main():
    rng = np.random.default_rng(20240611)
    bins = [
        bin_metrics('identical', [100, 200, 300, 400], [100, 200, 300, 400]),
        bin_metrics('proportional', [10, 20, 30], [1000, 2000, 3000]),
        bin_metrics('shifted', [500, 300, 150, 50], [50, 150, 300, 500]),
        bin_metrics('zero current bin', [40, 30, 20, 10], [50, 30, 20, 0]),
        bin_metrics('unseen other', [60, 40, 0], [55, 40, 5]),
        bin_metrics('empty both', [60, 40, 0], [50, 50, 0]),
        bin_metrics('two bins', [1, 1], [3, 1]),
    ]
    for k in (10, 50, 1001):
        ref = rng.multinomial(50_000, rng.dirichlet(np.ones(k)))
        cur = rng.multinomial(20_000, rng.dirichlet(np.ones(k) * 5))
        bins.append(bin_metrics(f'random {k} bins', ref, cur))
        p = rng.dirichlet(np.ones(k) * 3)
        bins.append(bin_metrics(f'same-source {k} bins', rng.multinomial(8_000, p), rng.multinomial(3_000, p)))

    cases = []
    specs = [
        ('same normal', {'dist': 'normal', 'params': [0, 1], 'seed': 1}, {'dist': 'normal', 'params': [0, 1], 'seed': 2}),
        ('shifted normal', {'dist': 'normal', 'params': [0, 1], 'seed': 3}, {'dist': 'normal', 'params': [0.25, 1], 'seed': 4}),
        ('wider normal', {'dist': 'normal', 'params': [10, 2], 'seed': 5}, {'dist': 'normal', 'params': [10, 3], 'seed': 6}),
        ('exponential', {'dist': 'exponential', 'params': [1], 'seed': 7}, {'dist': 'exponential', 'params': [1.3], 'seed': 8}),
        ('uniform vs normal', {'dist': 'uniform', 'params': [0, 1], 'seed': 9}, {'dist': 'normal', 'params': [0.5, 0.3], 'seed': 10}),
    ]
    for name, bspec, cspec in specs:
        base = sample(bspec, N)
        cur = sample(cspec, N)
        edges = np.unique(np.percentile(base, np.arange(10, 100, 10)))
        bc = np.bincount(np.searchsorted(edges, base, side='left'), minlength=len(edges) + 1)
        cc = np.bincount(np.searchsorted(edges, cur, side='left'), minlength=len(edges) + 1)
        std = float(np.std(base))
        w = float(stats.wasserstein_distance(base, cur))
        cases.append({
            'name': name, 'n': N, 'base': bspec, 'cur': cspec,
            'check': {'baseFirst': base[:3].tolist(), 'baseSum': float(base.sum()), 'curSum': float(cur.sum())},
            'edges': edges.tolist(), 'baseCounts': bc.tolist(), 'curCounts': cc.tolist(),
            'psi': psi(bc, cc), 'jensenShannon': float(distance.jensenshannon(bc / bc.sum(), cc / cc.sum(), base=2)),
            'ks': float(stats.ks_2samp(base, cur).statistic),
            'wasserstein': w, 'baselineStd': std, 'wassersteinNormed': w / max(std, 1e-3),
        })

    gamma = [[a, x, float(special.gammaincc(a, x))] for a, x in
             [(0.5, 0.1), (0.5, 3.0), (1, 1), (2.5, 0.5), (4.5, 9.0), (10, 3), (10, 30), (50, 45), (500, 520), (0.5, 40)]]
    kolmogorov = [[lam, float(stats.kstwobign.sf(lam))] for lam in (0.2, 0.5, 0.8, 1.0, 1.17, 1.19, 1.5, 2.0, 3.0)]
    ks_small = []
    for n, m, seed in ((60, 80, 11), (300, 250, 12), (1000, 900, 13)):
        a = sample({'dist': 'normal', 'params': [0, 1], 'seed': seed}, n)
        b = sample({'dist': 'normal', 'params': [0.3, 1], 'seed': seed + 100}, m)
        r = stats.ks_2samp(a, b, method='exact')
        ks_small.append({'n': n, 'm': m, 'seedA': seed, 'seedB': seed + 100, 'shift': 0.3, 'statistic': float(r.statistic), 'pvalueExact': float(r.pvalue)})

    out = {
        'generatedBy': 'scripts/drift-reference.py',
        'versions': {'numpy': np.__version__, 'scipy': __import__('scipy').__version__},
        'binMetrics': bins, 'sketchCases': cases,
        'gammaQ': gamma, 'kolmogorov': kolmogorov, 'ksSmall': ks_small,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1)
    print(f'wrote {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()
