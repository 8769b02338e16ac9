"""Reading training data for any model of the config: the pipeline's steps get the input schema as an argument
(`--features name:numeric,name:categorical,...`), not from training/schema.py.

Files are CSV with a header or JSON Lines (one object per line), optionally gzipped; a folder holds one or more.
"""
import gzip
import io
import json
import os

import numpy as np
import pandas as pd

FORMATS = {"csv": (".csv", ".csv.gz"), "jsonl": (".jsonl", ".jsonl.gz", ".json", ".json.gz")}


def parse_features(spec):
    """`a:numeric,b:categorical` as [{"name": "a", "type": "numeric"}, ...]; a clear error names a bad item."""
    features = []
    for item in spec.split(","):
        name, _, kind = item.partition(":")
        if not name or kind not in ("numeric", "categorical"):
            raise SystemExit(f"--features: expected name:numeric or name:categorical, got {item!r}")
        features.append({"name": name, "type": kind})
    return features


def data_files(path, fmt):
    """The data files at `path` (a file, or a folder searched recursively), sorted, so a run is repeatable."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise SystemExit(f"{path}: no such file or folder")
    found = sorted(
        os.path.join(root, name) for root, _, names in os.walk(path) for name in names if name.endswith(FORMATS[fmt])
    )
    if not found:
        raise SystemExit(f"{path}: no {fmt} files ({', '.join(FORMATS[fmt])})")
    return found


def _text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read()


def read_table(path, features, target=None, fmt="csv"):
    """One frame from every file at `path`: categories as text (None when missing), everything else as read."""
    categorical = [f["name"] for f in features if f["type"] == "categorical"]
    frames = []
    for file in data_files(path, fmt):
        if fmt == "csv":
            frame = pd.read_csv(io.StringIO(_text(file)), dtype={n: str for n in categorical}, keep_default_na=False, na_values=[""])
        else:
            rows = []
            for number, line in enumerate(_text(file).splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as err:
                        raise SystemExit(f"{file}: line {number}: not JSON ({err.msg})") from err
            frame = pd.DataFrame(rows)
        frame.attrs["source"] = file
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for name in categorical:
        if name in frame.columns:
            frame[name] = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in frame[name]]
            frame[name] = frame[name].astype(object)
    return frame
