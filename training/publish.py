"""The pipeline's publishing: the version folder in the registry layout (docs/models.md), written only when the
gate let the candidate through.

    python3 -m training.publish --model churn --version 2 --model-dir DIR --evaluation DIR --baseline DIR \
        --data URI --execution ARN --out DIR

copies model.tar.gz, quality.json, metrics.json and baseline.json into DIR and writes lineage.json: the data
(its location, files and their SHA-256, the split), the code (SHA-256 of the training package's sources), the
parameters and the pipeline execution.
"""
import argparse
import hashlib
import json
import os
import shutil


PACKAGE = os.path.dirname(os.path.abspath(__file__))


def code_digest():
    """SHA-256 over the training package's Python sources (names and contents, sorted): which code trained it."""
    digest = hashlib.sha256()
    for name in sorted(n for n in os.listdir(PACKAGE) if n.endswith(".py")):
        digest.update(name.encode() + b"\0")
        with open(os.path.join(PACKAGE, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def write_json(path, value):
    # Not training.train's: importing it loads scikit-learn and xgboost, which publishing does not need.
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def find(folder, name):
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise SystemExit(f"{folder}: {name} not found")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m training.publish", description="write a version folder of the registry")
    parser.add_argument("--model", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--model-dir", required=True, help="folder holding the candidate's model.tar.gz")
    parser.add_argument("--evaluation", required=True, help="the evaluation step's output folder")
    parser.add_argument("--baseline", required=True, help="folder holding baseline.json")
    parser.add_argument("--data", required=True, help="where the training data came from")
    parser.add_argument("--execution", required=True, help="the pipeline execution")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    with open(find(args.evaluation, "evaluation.json"), encoding="utf-8") as f:
        evaluation = json.load(f)
    if not evaluation["decision"]["register"]:
        raise SystemExit(f"refusing to publish: {evaluation['decision']['reason']}")
    os.makedirs(args.out, exist_ok=True)
    shutil.copyfile(find(args.model_dir, "model.tar.gz"), os.path.join(args.out, "model.tar.gz"))
    for name in ("quality.json", "metrics.json"):
        shutil.copyfile(find(args.evaluation, name), os.path.join(args.out, name))
    shutil.copyfile(find(args.baseline, "baseline.json"), os.path.join(args.out, "baseline.json"))
    write_json(
        os.path.join(args.out, "lineage.json"),
        {
            "model": args.model,
            "version": args.version,
            "data": {"uri": args.data, **evaluation.get("data", {})},
            "code": {"package": "training", "sha256": code_digest()},
            "parameters": evaluation.get("parameters", {}),
            "evaluation": {"metric": evaluation["metric"], "candidate": evaluation["candidate"], "current": evaluation["current"], "floor": evaluation["floor"]},
            "execution": args.execution,
        },
    )
    print(f"{args.model} v{args.version}: published -> {args.out}")


if __name__ == "__main__":
    main()
