"""The pipeline's data preparation: validates the training data against the model's input schema and splits it
into train, validation (for tuning) and held-out test sets.

    python3 -m training.prepare --model churn --task classification --target churned \
        --features tenure_months:numeric,contract:categorical,... --format csv \
        --input DATA --holdout-share 0.25 --seed 7 --out DIR

writes DIR/train/train.csv, DIR/validation/validation.csv, DIR/test/test.csv (features then target),
DIR/features/train-features.csv (the training features only: what `modelstack baseline` profiles) and
DIR/test/data.json (the input files with their SHA-256, and the split sizes: the version's data lineage), and
DIR/no-current-version/NO_CURRENT_VERSION: the pipeline's "no approved version yet" input for Evaluate (an S3
input needs an object to exist).
A schema problem stops the run with every problem listed, each naming the column and a row.
"""
import argparse
import hashlib
import json
import os

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from training import artifact, tables
from training.data import write_csv

# Share of the non-held-out rows kept aside to pick hyper-parameters on (the tuning objective).
VALIDATION_SHARE = 0.2
# Evaluate's current-version input holds this file instead of a model.tar.gz when there is no approved version yet
# (NO_CURRENT_VERSION_MARKER in infra/pipeline/training-pipeline.ts).
NO_CURRENT_VERSION = "NO_CURRENT_VERSION"
# `modelstack baseline` refuses fewer than 100 training rows.
MIN_TRAIN_ROWS = 100


def schema_problems(frame, features, target, task):
    """Every problem of `frame` against the input schema, each naming the column (and the first bad row)."""
    problems = []
    missing = [f["name"] for f in features if f["name"] not in frame.columns] + ([target] if target not in frame.columns else [])
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}: expected the features and the target {target!r}")
    for feature in features:
        name = feature["name"]
        if feature["type"] != "numeric" or name not in frame.columns:
            continue
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = frame[name].notna() & values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            problems.append(f"{name}: row {row + 1}: expected a number, got {frame[name].iloc[row]!r} ({int(bad.sum())} such rows)")
    if target in frame.columns:
        labels = pd.to_numeric(frame[target], errors="coerce")
        if labels.isna().any():
            row = int(np.flatnonzero(labels.isna().to_numpy())[0])
            problems.append(f"{target}: row {row + 1}: expected a label, got {frame[target].iloc[row]!r}")
        elif task == "classification" and not set(labels.unique()) <= {0, 1}:
            problems.append(f"{target}: expected 0 or 1 (binary classification), got {sorted(set(labels.unique()) - {0, 1})[:5]}")
    return problems


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def prepare(args):
    features = tables.parse_features(args.features)
    files = tables.data_files(args.input, args.format)
    frame = tables.read_table(args.input, features, args.target, args.format)
    problems = schema_problems(frame, features, args.target, args.task)
    if problems:
        raise SystemExit(f"{args.input}: the data does not match {args.model}'s input schema:\n" + "\n".join(f"  - {p}" for p in problems))
    names = [f["name"] for f in features]
    frame = frame[names + [args.target]].copy()
    frame[args.target] = pd.to_numeric(frame[args.target])
    if args.task == "classification":
        frame[args.target] = frame[args.target].astype(int)
    stratify = (lambda part: part[args.target]) if args.task == "classification" else (lambda part: None)
    rest, test = train_test_split(frame, test_size=args.holdout_share, random_state=args.seed, stratify=stratify(frame))
    train, validation = train_test_split(rest, test_size=VALIDATION_SHARE, random_state=args.seed, stratify=stratify(rest))
    if len(train) < MIN_TRAIN_ROWS:
        raise SystemExit(f"{args.input}: {len(frame)} rows leave {len(train)} for training: expected at least {MIN_TRAIN_ROWS} (the baseline needs them)")
    parts = {"train": train, "validation": validation, "test": test}
    for name, part in parts.items():
        os.makedirs(os.path.join(args.out, name), exist_ok=True)
        write_csv(part, os.path.join(args.out, name, f"{name}.csv"))
    os.makedirs(os.path.join(args.out, "features"), exist_ok=True)
    write_csv(artifact.features_frame(train, features), os.path.join(args.out, "features", "train-features.csv"))
    lineage = {
        "files": [{"name": os.path.relpath(f, args.input) if os.path.isdir(args.input) else os.path.basename(f), "sha256": sha256(f)} for f in files],
        "format": args.format,
        "rows": {"total": len(frame), **{name: len(part) for name, part in parts.items()}},
        "holdoutShare": args.holdout_share,
        "seed": args.seed,
    }
    with open(os.path.join(args.out, "test", "data.json"), "w", encoding="utf-8") as f:
        json.dump(lineage, f, indent=2)
        f.write("\n")
    os.makedirs(os.path.join(args.out, "no-current-version"), exist_ok=True)
    with open(os.path.join(args.out, "no-current-version", NO_CURRENT_VERSION), "w", encoding="utf-8") as f:
        f.write("The model has no approved version yet: the candidate is evaluated as the first version.\n")
    print(f"{args.model}: {len(frame)} rows from {len(files)} file(s) -> {len(train)} train / {len(validation)} validation / {len(test)} test")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m training.prepare", description="validate and split training data")
    parser.add_argument("--model", required=True)
    parser.add_argument("--task", required=True, choices=["classification", "regression"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--features", required=True, help="name:numeric,name:categorical,... in schema order")
    parser.add_argument("--format", default="csv", choices=sorted(tables.FORMATS))
    parser.add_argument("--input", required=True, help="a data file, or a folder of them")
    parser.add_argument("--holdout-share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if not 0 < args.holdout_share <= 0.5:
        parser.error(f"--holdout-share: expected more than 0 and at most 0.5, got {args.holdout_share}")
    prepare(args)


if __name__ == "__main__":
    main()
