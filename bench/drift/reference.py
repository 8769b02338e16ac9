#!/usr/bin/python3
"""pandas + scipy reference for the drift benchmark: the same metrics as `modelstack drift`, the way
a data scientist would write them (load both frames, then numpy/scipy per feature).

    /usr/bin/python3 bench/drift/reference.py BASELINE.(jsonl|csv) WINDOW.(jsonl|csv) OUT.json

CSV files are read with pandas.read_csv (the C parser), others with pandas.read_json(lines=True).

Prints one JSON line: {"seconds": ..., "maxRssKb": ..., "drifted": [...]}.
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance


def psi(ref, cur):
    r = ref / ref.sum()
    c = cur / cur.sum()
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))


def read(path):
    """CSV with pandas' C reader, anything else as JSON Lines."""
    return pd.read_csv(path) if path.endswith('.csv') else pd.read_json(path, lines=True)


def main():
    base_path, window_path, out_path = sys.argv[1:4]
    start = time.perf_counter()
    base = read(base_path)
    cur = read(window_path)
    features = []
    for name in base.columns:
        b = base[name].dropna()
        c = cur[name].dropna() if name in cur else pd.Series([], dtype=b.dtype)
        if pd.api.types.is_numeric_dtype(b):
            bv = b.to_numpy(float)
            cv = pd.to_numeric(c, errors='coerce').dropna().to_numpy(float)
            edges = np.unique(np.percentile(bv, np.arange(10, 100, 10)))
            bc = np.bincount(np.searchsorted(edges, bv, side='left'), minlength=len(edges) + 1).astype(float)
            cc = np.bincount(np.searchsorted(edges, cv, side='left'), minlength=len(edges) + 1).astype(float)
            w = stats.wasserstein_distance(bv, cv) / max(np.std(bv), 1e-3)
            metrics = {'psi': psi(bc, cc), 'jensenShannon': float(distance.jensenshannon(bc / bc.sum(), cc / cc.sum(), base=2)),
                       'ks': float(stats.ks_2samp(bv, cv).statistic), 'wasserstein': float(w)}
            score, drifted = metrics['wasserstein'], metrics['wasserstein'] >= 0.1
        else:
            bcounts = b.astype(str).value_counts()
            ccounts = c.astype(str).value_counts()
            cats = list(bcounts.index)
            bc = np.append(bcounts.to_numpy(float), 0.0)
            cc = np.append(ccounts.reindex(cats, fill_value=0).to_numpy(float), float(ccounts.sum() - ccounts.reindex(cats, fill_value=0).sum()))
            p, q = bc / bc.sum(), cc / cc.sum()
            exp = p * cc.sum()
            keep = ~((exp == 0) & (cc == 0))
            chi_p = 0.0 if np.any((exp[keep] == 0) & (cc[keep] > 0)) else float(stats.chisquare(cc[keep], exp[keep]).pvalue)
            metrics = {'psi': psi(bc, cc), 'jensenShannon': float(distance.jensenshannon(p, q, base=2)),
                       'lInfinity': float(np.max(np.abs(p - q))), 'chiSquarePValue': chi_p}
            score, drifted = metrics['jensenShannon'], metrics['jensenShannon'] >= 0.1
        features.append({'name': name, 'score': score, 'drifted': bool(drifted), 'metrics': metrics})
    with open(out_path, 'w') as f:
        json.dump({'rows': len(cur), 'features': features}, f)
    seconds = time.perf_counter() - start
    print(json.dumps({'seconds': seconds, 'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      'drifted': [f['name'] for f in features if f['drifted']]}))


if __name__ == '__main__':
    main()
