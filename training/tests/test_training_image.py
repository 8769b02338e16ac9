"""The training image's `train` entry point (containers/training/train), which SageMaker runs for training and
tuning jobs, under SageMaker's /opt/ml layout simulated in a temporary folder (MODELSTACK_ML_ROOT): the
hyper-parameters the pipeline sets, the train and validation channels, the model written to model/."""
import json
import os
import subprocess
import sys

from training_helpers import REPO_ROOT

from training.data import generate, write_csv
from training.prepare import main as prepare_main

FEATURES = "tenure_months:numeric,monthly_charges:numeric,total_charges:numeric,support_calls:numeric,contract:categorical,payment_method:categorical,internet_service:categorical"


def test_train_entry_point_runs_the_training_code_under_sagemakers_layout(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_csv(generate("churn", 600, 4), str(data / "part-1.csv"))
    prepared = tmp_path / "prepared"
    prepare_main(["--model", "churn", "--task", "classification", "--target", "churned", "--features", FEATURES, "--input", str(data), "--out", str(prepared)])
    ml = tmp_path / "opt-ml"
    (ml / "input" / "config").mkdir(parents=True)
    hyperparameters = {"model": "churn", "task": "classification", "target": "churned", "features": FEATURES, "metric": "rocAuc", "seed": "7", "version": "exec-1", "max_depth": "3"}
    (ml / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    for channel in ("train", "validation"):
        os.makedirs(ml / "input" / "data" / channel)
        os.link(prepared / channel / f"{channel}.csv", ml / "input" / "data" / channel / f"{channel}.csv")
    # `python3` on the PATH is the image's interpreter; here, the one running the tests.
    shim = tmp_path / "bin"
    shim.mkdir()
    os.symlink(sys.executable, shim / "python3")
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": REPO_ROOT, "MODELSTACK_ML_ROOT": str(ml)}
    env.pop("MLFLOW_TRACKING_URI", None)
    result = subprocess.run([os.path.join(REPO_ROOT, "containers", "training", "train")], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(ml / "model")) == ["model.joblib", "model.json", "training.json"]
    meta = json.loads((ml / "model" / "model.json").read_text())
    assert (meta["name"], meta["version"], meta["task"]) == ("churn", "exec-1", "classification")
    assert json.loads((ml / "model" / "training.json").read_text())["parameters"]["max_depth"] == 3
    # The line the steps' MetricDefinitions read the tuning objective from.
    assert any(line.startswith("validation:rocAuc=") for line in result.stdout.splitlines())


def test_train_entry_point_fails_with_the_training_codes_reason(tmp_path):
    (tmp_path / "input" / "config").mkdir(parents=True)
    (tmp_path / "input" / "config" / "hyperparameters.json").write_text("{}")
    shim = tmp_path / "bin"
    shim.mkdir()
    os.symlink(sys.executable, shim / "python3")
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": REPO_ROOT, "MODELSTACK_ML_ROOT": str(tmp_path)}
    result = subprocess.run([os.path.join(REPO_ROOT, "containers", "training", "train")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "hyperparameters.json: missing model, task, target, features, metric, seed" in result.stderr
