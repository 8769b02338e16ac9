"""What the tracking step logs to MLflow, checked against a stand-in `mlflow` module that records the calls (the
real client is not installable here: whether SageMaker's managed MLflow accepts these calls is unverified)."""
import json
import sys
import tarfile
import types

import pytest
import training_helpers  # noqa: F401  (puts the repository on sys.path)

from training import track, tracking


class StandInMlflow(types.ModuleType):
    """Records what the tracking code calls, in order."""

    def __init__(self):
        super().__init__("mlflow")
        self.calls = []

    def set_tracking_uri(self, uri):
        self.calls.append(("set_tracking_uri", uri))

    def set_experiment(self, name):
        self.calls.append(("set_experiment", name))

    def start_run(self, run_name=None):
        self.calls.append(("start_run", run_name))
        calls = self.calls

        class Run:
            info = types.SimpleNamespace(run_id="0123456789abcdef")

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                calls.append(("end_run",))
                return False

        return Run()

    def log_params(self, params):
        self.calls.append(("log_params", params))

    def log_metrics(self, metrics):
        self.calls.append(("log_metrics", metrics))

    def set_tags(self, tags):
        self.calls.append(("set_tags", tags))


@pytest.fixture
def mlflow(monkeypatch):
    module = StandInMlflow()
    monkeypatch.setitem(sys.modules, "mlflow", module)
    return module


def candidate(tmp_path):
    """A model.tar.gz whose training.json is what train_sagemaker writes, and the evaluation beside it."""
    record = {"parameters": {"max_depth": 4, "learning_rate": 0.1}, "seed": 7, "estimator": "XGBClassifier", "metrics": {"train": {"rocAuc": 0.91}, "validation": {"rocAuc": 0.84}}}
    tarball = tmp_path / "model.tar.gz"
    (tmp_path / "training.json").write_text(json.dumps(record))
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tmp_path / "training.json", arcname="training.json")
    evaluation = tmp_path / "evaluation"
    evaluation.mkdir()
    (evaluation / "evaluation.json").write_text(json.dumps({
        "metric": "rocAuc",
        "candidate": {"rocAuc": 0.83, "f1": float("nan")},
        "current": {"version": "3", "metrics": {"rocAuc": 0.80}},
        "comparison": {"improvement": 0.03},
        "decision": {"register": True, "reason": "churn: registered: rocAuc 0.8300 against the current version 3's 0.8000"},
    }))
    return tarball, evaluation


def test_the_run_holds_the_parameters_the_metrics_and_the_decision(tmp_path, mlflow, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "arn:aws:sagemaker:eu-west-1:111111111111:mlflow-tracking-server/modelstack-prod")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "modelstack-prod-churn")
    tarball, evaluation = candidate(tmp_path)
    track.main(["--model", "churn", "--execution", "exec-1", "--candidate", str(tarball), "--evaluation", str(evaluation), "--out", str(tmp_path / "out")])
    assert mlflow.calls == [
        ("set_tracking_uri", "arn:aws:sagemaker:eu-west-1:111111111111:mlflow-tracking-server/modelstack-prod"),
        ("set_experiment", "modelstack-prod-churn"),
        ("start_run", "exec-1"),
        ("log_params", {"max_depth": "4", "learning_rate": "0.1", "seed": "7", "estimator": "XGBClassifier"}),
        # NaN (a metric undefined on the held-out rows) is left out.
        ("log_metrics", {"test_rocAuc": 0.83, "train_rocAuc": 0.91, "validation_rocAuc": 0.84, "improvement": 0.03}),
        ("set_tags", {"model": "churn", "execution": "exec-1", "objective": "rocAuc", "registered": "true", "decision": "churn: registered: rocAuc 0.8300 against the current version 3's 0.8000", "compared_with": "3"}),
        ("end_run",),
    ]
    # The run's id, for the registered version's CustomerMetadataProperties.
    assert json.loads((tmp_path / "out" / "mlflow.json").read_text())["run_id"] == "0123456789abcdef"


def test_without_a_tracking_uri_nothing_is_imported_or_logged(tmp_path, mlflow, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    tarball, evaluation = candidate(tmp_path)
    track.main(["--model", "churn", "--execution", "exec-1", "--candidate", str(tarball), "--evaluation", str(evaluation), "--out", str(tmp_path / "out")])
    assert mlflow.calls == []
    assert json.loads((tmp_path / "out" / "mlflow.json").read_text()) == {"run_id": "none", "experiment": "churn", "tracking_uri": None}


def test_without_the_mlflow_package_one_warning_and_no_run(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    assert tracking.log_run("churn", "exec-1", {}, {}, {}, tracking_uri="http://127.0.0.1:5000") is None
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["warning: MLFLOW_TRACKING_URI is set (http://127.0.0.1:5000) but the mlflow package is not installed: the run is not tracked"]
