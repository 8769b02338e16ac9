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

from training import artifact, data, tables
from training.schema import MODELS, categorical_features, numeric_features, spec

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MISSING = "__missing__"


def preprocessing(model, dense, features=None):
    """Median imputation for numbers; categories: missing (NaN or None) becomes its own category, then one-hot
    encoding that ignores categories unseen in training (they encode as all zeros). `features` (the config's input
    schema) defaults to the demo schema of `model`."""
    from sklearn.preprocessing import OneHotEncoder

    numeric_names = [f["name"] for f in features if f["type"] == "numeric"] if features else numeric_features(model)
    categorical_names = [f["name"] for f in features if f["type"] == "categorical"] if features else categorical_features(model)

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
        [("numeric", numeric, numeric_names), ("categorical", categorical, categorical_names)],
        sparse_threshold=0.0 if dense else 0.3,
    )


DEFAULT_PARAMETERS = {
    "churn": {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.08, "subsample": 0.9, "colsample_bytree": 0.9, "tree_method": "hist"},
    "sales-forecast": {"max_iter": 200, "learning_rate": 0.08, "max_leaf_nodes": 31, "min_samples_leaf": 20},
}


def with_overrides(model, overrides):
    """The model's default parameters with `overrides` (SageMaker passes hyper-parameters as strings), each cast to
    its default's type; an unknown name is an error naming the known ones."""
    params = dict(DEFAULT_PARAMETERS["churn" if model == "churn" else "sales-forecast"])
    for name, value in (overrides or {}).items():
        if name not in params:
            raise SystemExit(f"hyper-parameter {name!r}: not a parameter of {model}'s estimator: expected one of {', '.join(params)}")
        default = params[name]
        try:
            params[name] = int(float(value)) if isinstance(default, int) else float(value) if isinstance(default, float) else str(value)
        except ValueError as err:
            raise SystemExit(f"hyper-parameter {name!r}: expected a {type(default).__name__}, got {value!r}") from err
    return params


def estimator(model, seed, overrides=None, features=None):
    """(pipeline, parameters): churn is xgboost's XGBClassifier (framework xgboost-1.7), sales-forecast an sklearn
    HistGradientBoostingRegressor (framework sklearn-1.2). One thread, so a seed gives the same trees."""
    params = with_overrides(model, overrides)
    if model == "churn":
        from xgboost import XGBClassifier

        clf = XGBClassifier(**params, random_state=seed, n_jobs=1, eval_metric="logloss")
        return Pipeline([("preprocess", preprocessing(model, dense=False, features=features)), ("model", clf)]), params
    reg = HistGradientBoostingRegressor(**params, random_state=seed)
    return Pipeline([("preprocess", preprocessing(model, dense=True, features=features)), ("model", reg)]), params


def evaluate(task, labels, predictions):
    """The model-quality metric names (core/quality): classification at threshold 0.5, or regression."""
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


# Hyper-parameters the pipeline sets for the training code itself; the rest go to the estimator.
CONTROL_PARAMETERS = ("model", "task", "target", "features", "metric", "seed", "version")


def train_sagemaker(root):
    """SageMaker's training contract, as the pipeline's Training and Tuning steps run it: the hyper-parameters in
    <root>/input/config/hyperparameters.json (strings), the channels in <root>/input/data/{train,validation}/, the
    model written to <root>/model/ (SageMaker packs it as model.tar.gz). Prints `validation:<metric>=<value>`
    lines, which the steps' MetricDefinitions read."""
    with open(os.path.join(root, "input", "config", "hyperparameters.json"), encoding="utf-8") as f:
        hyperparameters = json.load(f)
    missing = [name for name in CONTROL_PARAMETERS if name != "version" and name not in hyperparameters]
    if missing:
        raise SystemExit(f"hyperparameters.json: missing {', '.join(missing)}")
    model, task, target = hyperparameters["model"], hyperparameters["task"], hyperparameters["target"]
    features = tables.parse_features(hyperparameters["features"])
    seed = int(hyperparameters["seed"])
    version = str(hyperparameters.get("version", "candidate"))
    overrides = {k: v for k, v in hyperparameters.items() if k not in CONTROL_PARAMETERS}
    frames = {name: tables.read_table(os.path.join(root, "input", "data", name), features, target) for name in ("train", "validation")}
    pipeline, params = estimator(model, seed, overrides, features)
    x = {name: artifact.features_frame(frame, features) for name, frame in frames.items()}
    with threadpool_limits(limits=1):
        pipeline.fit(x["train"], frames["train"][target].to_numpy())
        metrics = {name: evaluate(task, frames[name][target], artifact.predict(pipeline, task, x[name])) for name in frames}
    out = os.path.join(root, "model")
    os.makedirs(out, exist_ok=True)
    import joblib

    joblib.dump(pipeline, os.path.join(out, "model.joblib"))
    write_json(os.path.join(out, "model.json"), artifact.model_json(model, version, task, features, target))
    # Beside the contract's two files (the model server reads only those): what metrics.json and lineage.json report.
    write_json(
        os.path.join(out, "training.json"),
        {"parameters": params, "seed": seed, "rows": {name: len(frame) for name, frame in frames.items()}, "metrics": metrics, "estimator": type(pipeline.named_steps["model"]).__name__},
    )
    for name, value in metrics["validation"].items():
        print(f"validation:{name}={value:.6f}")


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "--sagemaker":
        # `--sagemaker [ROOT]`: SageMaker's contract under ROOT (default /opt/ml, where SageMaker mounts it).
        return train_sagemaker(argv[1] if len(argv) > 1 else "/opt/ml")
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
