"""training.vertex: Vertex AI's training contract (AIP_MODEL_DIR, tuning trials' --name=value arguments and metric
file) over the same training code, and the publishing order the Google Cloud workflow relies on."""
import json
import os
import tarfile

import pytest
import training_helpers  # noqa: F401  (puts the repository on sys.path)

from training import data, evaluate, prepare, vertex

CHURN_FEATURES = "tenure_months:numeric,monthly_charges:numeric,total_charges:numeric,support_calls:numeric,contract:categorical,payment_method:categorical,internet_service:categorical"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("vertex")
    (root / "data").mkdir()
    data.write_csv(data.generate("churn", 1200, 5), str(root / "data" / "part-1.csv"))
    prepare.main(["--model", "churn", "--task", "classification", "--target", "churned", "--features", CHURN_FEATURES, "--input", str(root / "data"), "--seed", "7", "--out", str(root / "prepared")])
    return root


def train_args(root, *extra):
    return ["train", "--model", "churn", "--task", "classification", "--target", "churned", "--features", CHURN_FEATURES, "--metric", "rocAuc", "--seed", "7", "--version", "run-1", "--data", str(root / "prepared"), *extra]


def test_a_tuning_trial_trains_with_its_parameters_into_aip_model_dir_and_reports_its_metric(prepared, tmp_path, monkeypatch):
    monkeypatch.setenv("AIP_MODEL_DIR", str(tmp_path / "trial-3" / "model"))
    monkeypatch.setenv("CLOUD_ML_HP_METRIC_FILE", str(tmp_path / "hypertune" / "output.metrics"))
    monkeypatch.setenv("CLOUD_ML_TRIAL_ID", "3")
    vertex.main(train_args(prepared, "--max_depth=2", "--learning_rate", "0.1"))

    with tarfile.open(tmp_path / "trial-3" / "model" / "model.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["model.joblib", "model.json", "training.json"]
        record = json.load(tar.extractfile("training.json"))
        meta = json.load(tar.extractfile("model.json"))
    assert (record["parameters"]["max_depth"], record["parameters"]["learning_rate"]) == (2, 0.1)
    assert meta["version"] == "run-1"
    [line] = (tmp_path / "hypertune" / "output.metrics").read_text().splitlines()
    reported = json.loads(line)
    assert reported["trial"] == "3" and float(reported["rocAuc"]) == pytest.approx(record["metrics"]["validation"]["rocAuc"])


def test_gs_uris_are_read_through_the_fuse_mount_and_bad_arguments_are_refused(prepared, tmp_path, monkeypatch):
    assert vertex.local_path("gs://bucket/pipelines/churn/1/train/model/") == "/gcs/bucket/pipelines/churn/1/train/model/"
    assert vertex.local_path("/tmp/x") == "/tmp/x"
    monkeypatch.delenv("AIP_MODEL_DIR", raising=False)
    with pytest.raises(SystemExit, match="--out: expected a folder, or AIP_MODEL_DIR"):
        vertex.main(train_args(prepared))
    with pytest.raises(SystemExit, match="hyper-parameter\\(s\\) seed: reserved for the pipeline"):
        vertex.main(train_args(prepared, "--out", str(tmp_path / "never"), "--seed=9"))
    with pytest.raises(SystemExit, match="unexpected argument 'stray'"):
        vertex.split_hyperparameters(["stray"])


def test_publish_writes_the_version_with_the_experiment_run_and_model_tar_gz_last(prepared, tmp_path, monkeypatch):
    vertex.main(train_args(prepared, "--out", str(tmp_path / "candidate")))
    evaluate.main(["--model", "churn", "--metric", "rocAuc", "--candidate", str(tmp_path / "candidate" / "model.tar.gz"), "--test", str(prepared / "prepared" / "test"), "--current", "none", "--out", str(tmp_path / "evaluation")])
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "baseline.json").write_text("{}")
    copied = []
    real_copy = vertex.shutil.copyfile
    monkeypatch.setattr(vertex.shutil, "copyfile", lambda src, dst: copied.append(os.path.basename(dst)) or real_copy(src, dst))
    monkeypatch.setenv("MODELSTACK_EXPERIMENT_RUN", "ms-dev-churn-run-1")
    vertex.main(["publish", "--model", "churn", "--version", "run-1", "--model-dir", str(tmp_path / "candidate"), "--evaluation", str(tmp_path / "evaluation"), "--baseline", str(tmp_path / "baseline"), "--data", "gs://b/training-data/churn/", "--execution", "projects/p/locations/r/workflows/w/executions/run-1", "--staging", str(tmp_path / "staging"), "--out", str(tmp_path / "version")])

    assert sorted(os.listdir(tmp_path / "version")) == ["baseline.json", "lineage.json", "metrics.json", "model.tar.gz", "quality.json"]
    assert copied[-1] == "model.tar.gz"
    assert json.loads((tmp_path / "version" / "metrics.json").read_text())["experimentRun"] == "ms-dev-churn-run-1"
