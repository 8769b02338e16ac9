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
        self.started = []
        self.active = []

    def set_tracking_uri(self, uri):
        self.calls.append(("set_tracking_uri", uri))

    def set_experiment(self, name):
        self.calls.append(("set_experiment", name))

    def start_run(self, run_name=None, nested=False):
        # As mlflow.tracking.fluent.start_run: a second run while one is active must be nested; the run is pushed
        # on the active-run stack, and end_run (also ActiveRun.__exit__) ends and pops the top one.
        if self.active and not nested:
            raise Exception(f"Run with UUID {self.active[0]} is already active. To start a nested run, call start_run with nested=True")
        run_id = f"run-{len(self.started) + 1}" if self.started else "0123456789abcdef"
        self.started.append(run_id)
        self.active.append(run_id)
        self.calls.append(("start_run", run_name, *(("nested",) if nested else ())))
        module = self

        class Run:
            info = types.SimpleNamespace(run_id=run_id)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                module.end_run()
                return False

        return Run()

    def end_run(self, status="FINISHED"):
        if self.active:
            self.active.pop()
            self.calls.append(("end_run",) if status == "FINISHED" else ("end_run", status))

    def set_tag(self, key, value):
        self.calls.append(("set_tag", key, value))

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


# A tuning job's trials as SageMaker describes them (DescribeTrainingJob; the summary's fields are derived from them
# by the fake): the categorical value JSON-quoted as SageMaker passes it, one trial failed, one stopped early.
TUNING_JOB = "abc123-Tune-x7Yz"


def trial(n, status, tuned, value=None, created=1_700_000_000, **extra):
    job = {
        "TrainingJobName": f"{TUNING_JOB}-00{n}-5f2a9c1{n}",
        "TrainingJobArn": f"arn:aws:sagemaker:eu-west-1:333333333333:training-job/{TUNING_JOB.lower()}-00{n}-5f2a9c1{n}",
        "TuningJobArn": f"arn:aws:sagemaker:eu-west-1:333333333333:hyper-parameter-tuning-job/{TUNING_JOB.lower()}",
        "CreationTime": created,
        "TrainingJobStatus": status,
        "SecondaryStatus": status,
        "HyperParameters": {"model": "churn", "seed": "7", **tuned},
        "TunedHyperParameters": tuned,
        "ObjectiveStatus": "Succeeded" if value is not None else "Failed",
        "FinalMetricDataList": [{"MetricName": "validation:rocAuc", "Value": value, "Timestamp": created + 60}] if value is not None else [],
        **extra,
    }
    return job


TRIALS = [
    # Listed by name (003 before 001 would be out of creation order): the runs come oldest first.
    trial(2, "Completed", {"max_depth": "4", "learning_rate": "0.1", "booster": '"gbtree"'}, 0.84, created=1_700_000_100, TrainingTimeInSeconds=95, BillableTimeInSeconds=95),
    trial(1, "Failed", {"max_depth": "6", "learning_rate": "0.3", "booster": '"dart"'}, created=1_700_000_000, FailureReason="AlgorithmError: killed"),
    trial(3, "Stopped", {"max_depth": "2", "learning_rate": "0.02", "booster": '"gbtree"'}, 0.71, created=1_700_000_200, TrainingTimeInSeconds=30, BillableTimeInSeconds=30),
]


@pytest.fixture
def sagemaker(monkeypatch, tmp_path):
    from fake_sagemaker import FakeSageMaker

    with FakeSageMaker(TUNING_JOB, TRIALS) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", fake.url)
        for name, value in {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        yield fake


def test_the_trials_are_read_through_boto3_page_by_page_oldest_first(sagemaker):
    from training import trials

    runs = trials.read_trials(TUNING_JOB, best=TRIALS[0]["TrainingJobName"])
    # Two pages (the fake's page size), then one DescribeTrainingJob per trial; every request SigV4-signed.
    assert [(c["operation"], c["input"]) for c in sagemaker.calls[:2]] == [
        ("ListTrainingJobsForHyperParameterTuningJob", {"HyperParameterTuningJobName": TUNING_JOB, "MaxResults": 100}),
        ("ListTrainingJobsForHyperParameterTuningJob", {"HyperParameterTuningJobName": TUNING_JOB, "MaxResults": 100, "NextToken": "2"}),
    ]
    assert sorted(c["input"]["TrainingJobName"] for c in sagemaker.calls[2:] if c["operation"] == "DescribeTrainingJob") == sorted(t["TrainingJobName"] for t in TRIALS)
    assert all(c["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") for c in sagemaker.calls)
    assert [(r["name"], r["status"]) for r in runs] == [(TRIALS[1]["TrainingJobName"], "FAILED"), (TRIALS[0]["TrainingJobName"], "FINISHED"), (TRIALS[2]["TrainingJobName"], "KILLED")]
    failed, best, stopped = runs
    # Tuned values as the training job received them (the categorical unquoted); the objective under the parent's naming.
    assert best["params"] == {"max_depth": "4", "learning_rate": "0.1", "booster": "gbtree"}
    assert best["metrics"] == {"validation_rocAuc": 0.84, "training_seconds": 95, "billable_seconds": 95}
    assert best["tags"] == {"sagemaker_training_job": TRIALS[0]["TrainingJobName"], "tuning_job": TUNING_JOB, "status": "Completed", "objective_status": "Succeeded", "best": "true"}
    assert failed["metrics"] == {}
    assert failed["tags"]["failure_reason"] == "AlgorithmError: killed"
    assert failed["tags"]["best"] == "false"
    assert stopped["metrics"]["validation_rocAuc"] == 0.71


def test_a_tuned_candidate_gets_one_nested_run_per_trial(tmp_path, mlflow, monkeypatch, sagemaker):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "arn:aws:sagemaker:eu-west-1:333333333333:mlflow-tracking-server/modelstack-prod")
    tarball, evaluation = candidate(tmp_path)
    track.main(["--model", "churn", "--execution", "exec-1", "--candidate", str(tarball), "--evaluation", str(evaluation), "--experiment", "modelstack-prod-churn",
                "--tuning-job", TUNING_JOB, "--best-trial", TRIALS[0]["TrainingJobName"], "--out", str(tmp_path / "out")])
    names = [t["TrainingJobName"] for t in (TRIALS[1], TRIALS[0], TRIALS[2])]
    calls = mlflow.calls
    assert calls[:3] == [("set_tracking_uri", "arn:aws:sagemaker:eu-west-1:333333333333:mlflow-tracking-server/modelstack-prod"), ("set_experiment", "modelstack-prod-churn"), ("start_run", "exec-1")]
    assert calls[5][0] == "set_tags" and calls[5][1]["tuning_job"] == TUNING_JOB
    # Each trial: a nested run under the execution's, ended with its own status; the parent ends last.
    assert [c for c in calls[6:] if c[0] in ("start_run", "end_run", "set_tag")] == [
        ("start_run", names[0], "nested"), ("end_run", "FAILED"),
        ("start_run", names[1], "nested"), ("end_run",),
        ("start_run", names[2], "nested"), ("end_run", "KILLED"),
        ("set_tag", "trials", "3"),
        ("end_run",),
    ]
    assert ("log_params", {"max_depth": "4", "learning_rate": "0.1", "booster": "gbtree"}) in calls
    assert ("log_metrics", {"validation_rocAuc": 0.84, "training_seconds": 95.0, "billable_seconds": 95.0}) in calls
    # The registered version links to the execution's run, not a trial's.
    assert json.loads((tmp_path / "out" / "mlflow.json").read_text())["run_id"] == "0123456789abcdef"


def test_trials_that_cannot_be_read_leave_the_run_tagged_with_why(tmp_path, mlflow, monkeypatch, sagemaker, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    sagemaker.failing["ListTrainingJobsForHyperParameterTuningJob"] = (400, "AccessDeniedException", "User is not authorized to perform: sagemaker:ListTrainingJobsForHyperParameterTuningJob")
    tarball, evaluation = candidate(tmp_path)
    track.main(["--model", "churn", "--execution", "exec-1", "--candidate", str(tarball), "--evaluation", str(evaluation), "--tuning-job", TUNING_JOB, "--out", str(tmp_path / "out")])
    tag = next(c for c in mlflow.calls if c[0] == "set_tag")
    assert tag[1] == "trials" and tag[2].startswith(f"not tracked: tuning job {TUNING_JOB}: An error occurred (AccessDeniedException)")
    assert not any(c[0] == "start_run" and "nested" in c for c in mlflow.calls)
    assert mlflow.calls[-1] == ("end_run",)
    assert "warning: exec-1: the trials are not tracked: tuning job" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "mlflow.json").read_text())["run_id"] == "0123456789abcdef"


def test_nothing_is_read_from_sagemaker_when_nothing_is_tracked(tmp_path, mlflow, monkeypatch, sagemaker):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    tarball, evaluation = candidate(tmp_path)
    track.main(["--model", "churn", "--execution", "exec-1", "--candidate", str(tarball), "--evaluation", str(evaluation), "--tuning-job", TUNING_JOB, "--out", str(tmp_path / "out")])
    assert sagemaker.calls == [] and mlflow.calls == []


def test_without_boto3_the_trials_are_not_tracked_and_the_run_says_so(tmp_path, mlflow, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 raises ImportError
    tarball, evaluation = candidate(tmp_path)
    track.main(["--model", "churn", "--execution", "exec-1", "--candidate", str(tarball), "--evaluation", str(evaluation), "--tuning-job", TUNING_JOB, "--out", str(tmp_path / "out")])
    assert ("set_tag", "trials", "not tracked: boto3 is not installed") in mlflow.calls
