"""Scores a model on a labelled data window with scikit-learn's metrics: the reference the end-to-end rehearsal
compares the platform's model-quality metrics with.

    /usr/bin/python3 -m training.score --model-dir DIR --data window.csv --out metrics.json

DIR holds model.tar.gz (or the extracted model.joblib + model.json). The CSV has a header with the model's
features and its target column (as `python3 -m training.data` writes it). Writes
`{"model", "version", "task", "rows", "threshold"?, "metrics": {...}, "predictions": [...], "labels": [...]}`:
accuracy, precision, recall, f1 (zero_division=0) and rocAuc at threshold 0.5 for classification, mae, rmse and
r2 for regression, all over the model's own predictions on those rows.
"""
import argparse
import json

from threadpoolctl import threadpool_limits

from training import artifact, data
from training.train import evaluate


def score(model_dir, data_path):
    estimator, meta = artifact.load_model(model_dir)
    frame = data.read_csv(data_path, meta["name"])
    missing = [f["name"] for f in meta["features"] if f["name"] not in frame.columns] + ([meta["target"]] if meta["target"] not in frame.columns else [])
    if missing:
        raise SystemExit(f"{data_path}: missing column(s) {', '.join(missing)}; expected the features and the target {meta['target']!r}")
    with threadpool_limits(limits=1):
        predictions = artifact.predict(estimator, meta["task"], artifact.features_frame(frame, meta["features"]))
    labels = frame[meta["target"]].to_numpy()
    result = {"model": meta["name"], "version": meta["version"], "task": meta["task"], "rows": len(frame)}
    if meta["task"] == "classification":
        result["threshold"] = 0.5
    result["metrics"] = evaluate(meta["task"], labels, predictions)
    result["predictions"] = [float(p) for p in predictions]
    result["labels"] = [int(v) if meta["task"] == "classification" else float(v) for v in labels]
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m training.score", description="sklearn metrics of a model on a labelled CSV window")
    parser.add_argument("--model-dir", required=True, help="directory with model.tar.gz, or model.joblib + model.json")
    parser.add_argument("--data", required=True, help="CSV with a header: the features and the target column")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(score(args.model_dir, args.data), f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
