"""The pipeline's evaluation: scores the candidate and the current approved version on the same held-out rows,
and decides whether the candidate may be registered.

    python3 -m training.evaluate --model churn --metric rocAuc --candidate model.tar.gz --test DIR \
        --current DIR|none [--floor 0.75] --out DIR

--current is the folder SageMaker downloads the CurrentModelDataUrl input to: the current approved version's
model.tar.gz (alone or in its version folder), or PrepareData's NO_CURRENT_VERSION marker when there is none yet
(`none` also means none).

writes DIR/quality.json (`{"metrics": ...}`, the candidate on the held-out set), DIR/metrics.json (the full
evaluation: sizes, metrics, parameters, seed) and DIR/evaluation.json, the property file the pipeline's gate
reads: `candidate.<metric>`, `comparison.improvement` (candidate minus current, positive when better, 0 without a
current version) and `decision.reason`.
"""
import argparse
import json
import math
import os
import tarfile

from threadpoolctl import threadpool_limits

from training import artifact, tables
from training.prepare import NO_CURRENT_VERSION
from training.train import evaluate, write_json

LOWER_IS_BETTER = ("mae", "rmse")


def score(model_path, test_dir):
    """(metrics, model.json) of a model (model.tar.gz, or a version folder holding one) on the held-out CSV."""
    estimator, meta = artifact.load_model(model_path)
    frame = tables.read_table(test_dir, meta["features"], meta["target"])
    with threadpool_limits(limits=1):
        predictions = artifact.predict(estimator, meta["task"], artifact.features_frame(frame, meta["features"]))
    return evaluate(meta["task"], frame[meta["target"]].to_numpy(), predictions), meta, len(frame)


def training_record(tarball):
    """training.json from the candidate's model.tar.gz (parameters, seed, sizes), or {} when absent."""
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            if member.name.lstrip("./") == "training.json" and member.isfile():
                return json.load(tar.extractfile(member))
    return {}


def decide(metric, candidate, current, current_version, floor):
    """(register, improvement, reason)."""
    sign = -1 if metric in LOWER_IS_BETTER else 1
    value = candidate.get(metric)
    if value is None or math.isnan(value):
        return False, -1.0, f"the candidate has no {metric} on the held-out set"
    improvement = 0.0 if current is None else sign * (value - current[metric])
    reasons = []
    if current is not None and improvement < 0:
        reasons.append(f"{metric} {value:.4f} is worse than the current version {current_version}'s {current[metric]:.4f} on the same held-out rows")
    if floor is not None and sign * (value - floor) < 0:
        reasons.append(f"{metric} {value:.4f} is {'below' if sign > 0 else 'above'} the floor {floor:g}")
    if reasons:
        return False, improvement, "not registered: " + "; ".join(reasons)
    against = f"the current version {current_version}'s {current[metric]:.4f}" if current is not None else "no current version"
    return True, improvement, f"registered: {metric} {value:.4f} against {against}" + (f", floor {floor:g}" if floor is not None else "")


def is_first_version(current):
    """Whether --current says there is no approved version yet; refuses a folder that is neither kind."""
    if current == "none":
        return True
    if os.path.isdir(current):
        names = sorted(os.listdir(current))
        if "model.tar.gz" in names:
            return False
        if NO_CURRENT_VERSION in names:
            return True
        raise SystemExit(f"--current: {current} holds {', '.join(names) or 'nothing'}: expected model.tar.gz (the current version) or {NO_CURRENT_VERSION} (none yet)")
    if os.path.isfile(current):
        return False
    raise SystemExit(f"--current: {current}: no such file or folder (expected the current version's model.tar.gz, its folder, or none)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m training.evaluate", description="score the candidate against the current version")
    parser.add_argument("--model", required=True)
    parser.add_argument("--metric", required=True)
    parser.add_argument("--candidate", required=True, help="the candidate's model.tar.gz")
    parser.add_argument("--test", required=True, help="the held-out CSV (or its folder)")
    parser.add_argument("--current", required=True, help="the current version's model.tar.gz or its folder, a folder holding NO_CURRENT_VERSION, or none")
    parser.add_argument("--floor", type=float)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    candidate, meta, rows = score(args.candidate, args.test)
    current = current_version = None
    if not is_first_version(args.current):
        current, current_meta, _ = score(args.current, args.test)
        current_version = current_meta["version"]
        if args.metric not in current:
            raise SystemExit(f"--current: the current version {current_version} has no {args.metric}")
    register, improvement, reason = decide(args.metric, candidate, current, current_version, args.floor)
    record = training_record(args.candidate)
    data_file = os.path.join(args.test, "data.json") if os.path.isdir(args.test) else None
    data = json.load(open(data_file, encoding="utf-8")) if data_file and os.path.exists(data_file) else {}

    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "quality.json"), {"metrics": candidate})
    write_json(
        os.path.join(args.out, "metrics.json"),
        {
            "model": meta["name"],
            "version": meta["version"],
            "task": meta["task"],
            "target": meta["target"],
            "seed": record.get("seed"),
            "rows": {**data.get("rows", {}), "test": rows},
            "metrics": {"test": candidate, **{name: m for name, m in record.get("metrics", {}).items()}},
            "parameters": record.get("parameters", {}),
            "estimator": record.get("estimator"),
            "framework": meta.get("framework"),
            "comparedWith": {"version": current_version, "metrics": current} if current is not None else None,
        },
    )
    write_json(
        os.path.join(args.out, "evaluation.json"),
        {
            "metric": args.metric,
            "candidate": candidate,
            "current": {"version": current_version, "metrics": current} if current is not None else None,
            "floor": args.floor,
            "comparison": {"improvement": improvement},
            "decision": {"register": register, "reason": f"{args.model}: {reason}"},
            "data": data,
            "parameters": record.get("parameters", {}),
        },
    )
    print(f"{args.model}: {reason}")


if __name__ == "__main__":
    main()
