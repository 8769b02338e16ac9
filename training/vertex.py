"""Vertex AI's custom-training contract for the training code, as the Google Cloud training workflow runs it
(constructs/gcp/private/training-workflow-source.ts). Two commands:

    python3 -m training.vertex train --model churn --task classification --target churned --features SPEC \
        --metric rocAuc --seed 7 --version V --data DIR [--out DIR] [--max_depth=4 ...]

trains under SageMaker's contract (training.train's `--sagemaker` mode, so both clouds train the same way) in a
scratch folder: the hyper-parameters are the control arguments plus every `--name=value` Vertex AI's tuning service
appends for a trial; the channels are DIR/train and DIR/validation (prepare's output). It writes model.tar.gz
(model.joblib, model.json, training.json at its root) to --out, by default Vertex AI's AIP_MODEL_DIR
(`<baseOutputDirectory>/model/`, or `<baseOutputDirectory>/<trial id>/model/` in a tuning trial; a gs:// URI is read
through the Cloud Storage FUSE mount at /gcs/), and reports the validation metric to the tuning service the way
cloudml-hypertune does: one JSON line `{"<metric>": "<value>", "global_step": "1", "timestamp": ..., "trial": ...}`
appended to CLOUD_ML_HP_METRIC_FILE (default /tmp/hypertune/output.metrics).

    python3 -m training.vertex publish (training.publish's arguments) --staging DIR --out DIR

runs training.publish into --staging, records the experiment run (MODELSTACK_EXPERIMENT_RUN, set by the workflow) in
metrics.json, then copies the version to --out with model.tar.gz last: the deploy trigger starts on model.tar.gz, so
the version's other files are there when it does.
"""
import argparse
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time

CONTROL = ("model", "task", "target", "features", "metric", "seed", "version")
HYPERTUNE_FILE = "/tmp/hypertune/output.metrics"


def local_path(uri):
    """A gs://bucket/path URI as its Cloud Storage FUSE path (/gcs/bucket/path); other paths as they are."""
    return "/gcs/" + uri[len("gs://"):] if uri.startswith("gs://") else uri


def split_hyperparameters(extra):
    """`--name=value` (or `--name value`) arguments as a {name: value} map of strings."""
    params, i = {}, 0
    while i < len(extra):
        arg = extra[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise SystemExit(f"unexpected argument {arg!r}: expected --name=value hyper-parameters")
        if "=" in arg:
            name, value = arg[2:].split("=", 1)
            i += 1
        elif i + 1 < len(extra):
            name, value = arg[2:], extra[i + 1]
            i += 2
        else:
            raise SystemExit(f"hyper-parameter {arg}: expected a value")
        params[name] = value
    return params


def report_metric(metric, value, path=None):
    """Appends a cloudml-hypertune metric line: how a Vertex AI tuning trial reports its objective."""
    path = path or os.environ.get("CLOUD_ML_HP_METRIC_FILE", HYPERTUNE_FILE)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    line = {metric: str(value), "global_step": "1", "timestamp": time.time(), "trial": os.environ.get("CLOUD_ML_TRIAL_ID", "0")}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def train(argv):
    parser = argparse.ArgumentParser(prog="python3 -m training.vertex train")
    for name in ("model", "task", "target", "features", "metric", "data"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--seed", required=True)
    parser.add_argument("--version", default="candidate")
    parser.add_argument("--out", default=os.environ.get("AIP_MODEL_DIR"), help="where model.tar.gz goes (default: AIP_MODEL_DIR)")
    # A tuning trial appends its parameters as --name=value: one named like a control argument would replace it.
    given = [a[2:].split("=", 1)[0] for a in argv if a.startswith("--")]
    clash = sorted({name for name in CONTROL + ("data", "out") if given.count(name) > 1})
    if clash:
        raise SystemExit(f"hyper-parameter(s) {', '.join(clash)}: reserved for the pipeline")
    args, extra = parser.parse_known_args(argv)
    if not args.out:
        raise SystemExit("--out: expected a folder, or AIP_MODEL_DIR set by Vertex AI (the job's baseOutputDirectory)")
    hyperparameters = {name: str(getattr(args, name)) for name in CONTROL}
    hyperparameters.update(split_hyperparameters(extra))

    from training.train import train_sagemaker

    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "input", "config"))
        with open(os.path.join(root, "input", "config", "hyperparameters.json"), "w", encoding="utf-8") as f:
            json.dump(hyperparameters, f)
        os.makedirs(os.path.join(root, "input", "data"))
        for channel in ("train", "validation"):
            os.symlink(os.path.abspath(os.path.join(local_path(args.data), channel)), os.path.join(root, "input", "data", channel))
        train_sagemaker(root)
        model_dir = os.path.join(root, "model")
        with open(os.path.join(model_dir, "training.json"), encoding="utf-8") as f:
            value = json.load(f)["metrics"]["validation"].get(args.metric)
        out = local_path(args.out)
        os.makedirs(out, exist_ok=True)
        with tarfile.open(os.path.join(out, "model.tar.gz"), "w:gz") as tar:
            for name in sorted(os.listdir(model_dir)):
                tar.add(os.path.join(model_dir, name), arcname=name)
    if value is None:
        raise SystemExit(f"the training code reported no validation {args.metric}")
    report_metric(args.metric, value)
    print(f"{args.model}: model.tar.gz -> {out} (validation {args.metric} {value:.6f})")


def publish(argv):
    parser = argparse.ArgumentParser(prog="python3 -m training.vertex publish")
    parser.add_argument("--staging", required=True, help="where training.publish writes the version first")
    parser.add_argument("--out", required=True, help="the version folder")
    args, rest = parser.parse_known_args(argv)
    from training import publish as publishing

    staging, out = local_path(args.staging), local_path(args.out)
    publishing.main([*rest, "--out", staging])
    run = os.environ.get("MODELSTACK_EXPERIMENT_RUN")
    if run:
        path = os.path.join(staging, "metrics.json")
        with open(path, encoding="utf-8") as f:
            metrics = json.load(f)
        publishing.write_json(path, {**metrics, "experimentRun": run})
    os.makedirs(out, exist_ok=True)
    names = sorted(os.listdir(staging), key=lambda n: (n == "model.tar.gz", n))
    for name in names:
        shutil.copyfile(os.path.join(staging, name), os.path.join(out, name))
    print(f"published {', '.join(names)} -> {out}")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"train": train, "publish": publish}
    if not argv or argv[0] not in commands:
        raise SystemExit("usage: python3 -m training.vertex train|publish ...")
    commands[argv[0]](argv[1:])


if __name__ == "__main__":
    main()
