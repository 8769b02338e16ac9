"""Trains the demo models and writes them in the registry layout (docs/models.md):

    <out>/<model>/<version>/model.tar.gz    model.joblib (sklearn Pipeline) + model.json
    <out>/<model>/<version>/metrics.json    the full evaluation: sizes, metrics, parameters, seed
    <out>/<model>/<version>/quality.json    {"metrics": {...}} on the held-out set, for the model-quality check
    <out>/<model>/<version>/baseline.json   `modelstack baseline` over exactly the training features

    npm run train -- --out DIR [--version 1] [--seed 7] [--rows 4000] [--model churn]

The pipelines hold only scikit-learn and xgboost classes, so the model server loads them without this package.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, precision_score, r2_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from training import artifact, data
from training.schema import MODELS, categorical_features, numeric_features, spec

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MISSING = "__missing__"


def preprocessing(model, dense):
    """Median imputation for numbers; categories: missing (NaN or None) becomes its own category, then one-hot
    encoding that ignores categories unseen in training (they encode as all zeros)."""
    from sklearn.preprocessing import OneHotEncoder

    categorical = Pipeline(
        [
            # SimpleImputer's default missing_values=np.nan misses None in object columns, hence the second one.
            ("nan", SimpleImputer(strategy="constant", fill_value=MISSING)),
            ("none", SimpleImputer(missing_values=None, strategy="constant", fill_value=MISSING)),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=not dense)),
        ]
    )
    numeric = SimpleImputer(strategy="median")
    return ColumnTransformer(
        [("numeric", numeric, numeric_features(model)), ("categorical", categorical, categorical_features(model))],
        sparse_threshold=0.0 if dense else 0.3,
    )


def estimator(model, seed):
    """(pipeline, parameters): churn is xgboost's XGBClassifier (framework xgboost-1.7), sales-forecast an sklearn
    HistGradientBoostingRegressor (framework sklearn-1.2). One thread, so a seed gives the same trees."""
    if model == "churn":
        from xgboost import XGBClassifier

        params = {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.08, "subsample": 0.9, "colsample_bytree": 0.9, "tree_method": "hist"}
        clf = XGBClassifier(**params, random_state=seed, n_jobs=1, eval_metric="logloss")
        return Pipeline([("preprocess", preprocessing(model, dense=False)), ("model", clf)]), params
    params = {"max_iter": 200, "learning_rate": 0.08, "max_leaf_nodes": 31, "min_samples_leaf": 20}
    reg = HistGradientBoostingRegressor(**params, random_state=seed)
    return Pipeline([("preprocess", preprocessing(model, dense=True)), ("model", reg)]), params


def evaluate(task, labels, predictions):
    """The model-quality metric names (lambdas/core/quality): classification at threshold 0.5, or regression."""
    labels = np.asarray(labels)
    if task == "classification":
        predicted = (predictions >= 0.5).astype(int)
        metrics = {
            "accuracy": accuracy_score(labels, predicted),
            "precision": precision_score(labels, predicted, zero_division=0),
            "recall": recall_score(labels, predicted, zero_division=0),
            "f1": f1_score(labels, predicted, zero_division=0),
        }
        if len(set(labels.tolist())) == 2:  # ROC AUC is undefined with one class
            metrics["rocAuc"] = roc_auc_score(labels, predictions)
    else:
        metrics = {
            "mae": mean_absolute_error(labels, predictions),
            "rmse": float(np.sqrt(mean_squared_error(labels, predictions))),
            "r2": r2_score(labels, predictions),
        }
    return {k: float(v) for k, v in metrics.items()}


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def baseline(features_csv, out, model):
    """`modelstack baseline` (the platform's own profiler) over the training features, run from the repository."""
    cmd = ["node", os.path.join(REPO_ROOT, "bin", "modelstack.cjs"), "baseline", "--data", features_csv, "--out", out, "--no-progress"]
    categorical = categorical_features(model)
    if categorical:
        cmd += ["--categorical", ",".join(categorical)]
    result = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"modelstack baseline failed for {model} ({result.returncode}): {result.stderr.strip()}")


def train_model(model, out, version="1", seed=7, rows=4000, baseline_json=True):
    """Trains one model and writes its version folder; returns the folder. `baseline_json=False` leaves out
    baseline.json (tests that only serve the model)."""
    info = spec(model)
    features, target = info["features"], info["target"]
    frame = data.generate(model, rows, seed)
    stratify = frame[target] if info["task"] == "classification" else None
    train, test = train_test_split(frame, test_size=0.25, random_state=seed, stratify=stratify)
    x_train, x_test = artifact.features_frame(train, features), artifact.features_frame(test, features)

    pipeline, params = estimator(model, seed)
    started = time.perf_counter()
    # One OpenMP thread: on a busy machine HistGradientBoosting's thread pool is ~10x slower than one thread.
    with threadpool_limits(limits=1):
        pipeline.fit(x_train, train[target].to_numpy())
        fit_seconds = time.perf_counter() - started
        test_metrics = evaluate(info["task"], test[target], artifact.predict(pipeline, info["task"], x_test))
        train_metrics = evaluate(info["task"], train[target], artifact.predict(pipeline, info["task"], x_train))

    folder = os.path.join(out, model, str(version))
    os.makedirs(folder, exist_ok=True)
    artifact.write_model_tar(os.path.join(folder, "model.tar.gz"), pipeline, artifact.model_json(model, version, info["task"], features, target))
    write_json(os.path.join(folder, "quality.json"), {"metrics": test_metrics})
    write_json(
        os.path.join(folder, "metrics.json"),
        {
            "model": model,
            "version": str(version),
            "task": info["task"],
            "target": target,
            "seed": seed,
            "rows": {"total": rows, "train": len(train), "test": len(test)},
            "metrics": {"test": test_metrics, "train": train_metrics},
            "parameters": params,
            "estimator": type(pipeline.named_steps["model"]).__name__,
            "framework": artifact.framework_versions(),
            # Wall time is not deterministic; it stays out of the file so a seed reproduces it byte for byte.
        },
    )
    if baseline_json:
        with tempfile.TemporaryDirectory() as tmp:
            features_csv = os.path.join(tmp, "train-features.csv")
            data.write_csv(x_train, features_csv)  # features only, schema order: the label is not profiled
            baseline(features_csv, os.path.join(folder, "baseline.json"), model)
    print(f"{model} v{version}: {len(train)} train / {len(test)} test rows, fit {fit_seconds:.1f} s, " + ", ".join(f"{k} {v:.3f}" for k, v in test_metrics.items()) + f" -> {folder}")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(prog="npm run train --", description="train the demo models into <out>/<model>/<version>/")
    parser.add_argument("--out", required=True, help="registry-layout output directory")
    parser.add_argument("--version", default="1")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows", type=int, default=4000, help="rows of synthetic data per model (75%% train, 25%% test)")
    parser.add_argument("--model", action="append", choices=sorted(MODELS), help="train only this model (repeatable); default: all")
    args = parser.parse_args(argv)
    # 75 % of the rows train the model, and `modelstack baseline` refuses fewer than 100 training rows.
    if args.rows < 134:
        parser.error(f"--rows: expected at least 134, got {args.rows}")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", args.version):  # MODEL_VERSION in infra/config/schema.ts
        parser.error(f"--version: expected a version label such as 1 or 2024-06-01, got {args.version!r}")
    # `npm run train` runs in the repository root; a relative --out is meant from where npm was started.
    out = os.path.join(os.environ.get("INIT_CWD") or os.getcwd(), args.out)
    for model in args.model or list(MODELS):
        train_model(model, out, args.version, args.seed, args.rows)


if __name__ == "__main__":
    sys.exit(main())
