"""Training writes the model artifact contract (docs/models.md), deterministically for a seed, with quality above
a floor; the data generator's shifted window really differs."""
import filecmp
import json
import os
import subprocess
import sys
import tarfile

import numpy as np
import pandas as pd
import pytest
from training_helpers import REPO_ROOT, ROWS, SEED
from sklearn.pipeline import Pipeline

from training import artifact, data, score, train
from training.schema import MODELS, categorical_features, feature_names
from training.train import train_model

FILES = ["baseline.json", "metrics.json", "model.tar.gz", "quality.json"]


def test_the_version_folder_holds_the_contracts_files(trained):
    for model, folder in trained.items():
        assert folder.endswith(os.path.join(model, "2"))
        assert sorted(os.listdir(folder)) == FILES


def test_model_tar_gz_has_model_joblib_and_model_json_at_its_root(trained):
    for model, folder in trained.items():
        with tarfile.open(os.path.join(folder, "model.tar.gz"), "r:gz") as tar:
            assert sorted(tar.getnames()) == ["model.joblib", "model.json"]
            meta = json.load(tar.extractfile("model.json"))
        assert meta == {
            "format": "modelstack-model/1",
            "name": model,
            "version": "2",
            "task": MODELS[model]["task"],
            "features": MODELS[model]["features"],
            "target": MODELS[model]["target"],
            "framework": {"python": "3.11", "scikit-learn": "1.2.1", "xgboost": "1.7.4"},
        }


def test_the_pipeline_takes_raw_features_and_only_needs_sklearn_and_xgboost(trained):
    churn, meta = artifact.load_model(trained["churn"])
    assert isinstance(churn, Pipeline)
    assert type(churn.named_steps["model"]).__module__.startswith("xgboost")
    sales, _ = artifact.load_model(trained["sales-forecast"])
    assert type(sales.named_steps["model"]).__module__.startswith("sklearn")
    # The pickles reference no class of this package: the model server loads them without it.
    with tarfile.open(os.path.join(trained["churn"], "model.tar.gz"), "r:gz") as tar:
        assert b"training." not in tar.extractfile("model.joblib").read()
    # Raw rows: categories as text, missing values as None / NaN, an unseen category.
    frame = pd.DataFrame(
        [[3.0, 80.0, np.nan, 2.0, "month-to-month", None, "satellite"]], columns=feature_names("churn")
    ).astype({name: object for name in categorical_features("churn")})
    p = churn.predict_proba(frame)[:, 1]
    assert 0 < p[0] < 1


def test_quality_json_and_metrics_json(trained):
    churn = json.load(open(os.path.join(trained["churn"], "quality.json")))
    assert sorted(churn) == ["metrics"]
    assert sorted(churn["metrics"]) == ["accuracy", "f1", "precision", "recall", "rocAuc"]
    assert churn["metrics"]["rocAuc"] > 0.72 and churn["metrics"]["accuracy"] > 0.7
    sales = json.load(open(os.path.join(trained["sales-forecast"], "quality.json")))
    assert sorted(sales["metrics"]) == ["mae", "r2", "rmse"]
    assert sales["metrics"]["r2"] > 0.85
    metrics = json.load(open(os.path.join(trained["churn"], "metrics.json")))
    assert metrics["seed"] == SEED and metrics["rows"] == {"total": ROWS, "train": ROWS * 3 // 4, "test": ROWS // 4}
    assert metrics["metrics"]["test"] == churn["metrics"]
    assert metrics["parameters"]["n_estimators"] > 0


def test_baseline_profiles_exactly_the_training_features(trained):
    for model, folder in trained.items():
        baseline = json.load(open(os.path.join(folder, "baseline.json")))
        text = json.dumps(baseline)
        for name in feature_names(model):
            assert f'"{name}"' in text
        assert f'"{MODELS[model]["target"]}"' not in text, "the label must not be profiled"
        assert str(ROWS * 3 // 4) in text  # the training split's row count


def test_training_is_deterministic_for_a_seed(trained, tmp_path):
    again = train_model("churn", str(tmp_path), version="2", seed=SEED, rows=ROWS)
    for name in FILES:
        assert filecmp.cmp(os.path.join(trained["churn"], name), os.path.join(again, name), shallow=False), name
    other = train_model("churn", str(tmp_path / "other"), version="2", seed=SEED + 1, rows=ROWS)
    assert not filecmp.cmp(os.path.join(trained["churn"], "model.tar.gz"), os.path.join(other, "model.tar.gz"), shallow=False)


@pytest.mark.parametrize("model", list(MODELS))
def test_data_is_seeded_has_missing_values_and_the_schema_order(model):
    a, b = data.generate(model, 2000, 11), data.generate(model, 2000, 11)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == feature_names(model) + [MODELS[model]["target"]]
    assert a[feature_names(model)].isna().any().any()
    assert not data.generate(model, 2000, 12).equals(a)


def test_the_shifted_window_really_differs():
    base, shifted = data.generate("churn", 3000, 11), data.generate("churn", 3000, 11, shifted=True)
    assert shifted["tenure_months"].mean() < 0.6 * base["tenure_months"].mean()
    assert shifted["monthly_charges"].mean() > base["monthly_charges"].mean() + 10
    assert (shifted["contract"] == "month-to-month").mean() > (base["contract"] == "month-to-month").mean() + 0.2
    base, shifted = data.generate("sales-forecast", 3000, 11), data.generate("sales-forecast", 3000, 11, shifted=True)
    assert shifted["price"].mean() > base["price"].mean() + 1.5
    assert (shifted["promo"] == "none").mean() < (base["promo"] == "none").mean() - 0.2
    assert shifted["store_id"].isin([str(i) for i in range(15, 21)]).mean() > 0.6


def run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_data_cli_writes_features_then_target_and_score_cli_matches_sklearn(trained, tmp_path):
    window = tmp_path / "window.csv"
    result = run("training.data", "--model", "churn", "--rows", "400", "--seed", "11", "--shifted", "--out", str(window))
    assert result.returncode == 0, result.stderr
    lines = window.read_text().splitlines()
    assert lines[0] == ",".join(feature_names("churn") + ["churned"]) and len(lines) == 401
    out = tmp_path / "metrics.json"
    result = run("training.score", "--model-dir", trained["churn"], "--data", str(window), "--out", str(out))
    assert result.returncode == 0, result.stderr
    scored = json.loads(out.read_text())
    assert scored["rows"] == 400 and len(scored["predictions"]) == 400 and scored["threshold"] == 0.5
    # The same numbers straight from sklearn on the same rows.
    from sklearn.metrics import accuracy_score, roc_auc_score

    estimator, _ = artifact.load_model(trained["churn"])
    frame = data.read_csv(str(window), "churn")
    p = estimator.predict_proba(artifact.features_frame(frame, MODELS["churn"]["features"]))[:, 1]
    assert scored["predictions"] == p.tolist()
    assert scored["metrics"]["accuracy"] == accuracy_score(frame["churned"], (p >= 0.5).astype(int))
    assert scored["metrics"]["rocAuc"] == roc_auc_score(frame["churned"], p)


def test_score_cli_regression_and_clear_errors(trained, tmp_path, capsys):
    # In process (main(argv)): the CLI test above runs the real processes.
    window = tmp_path / "sales.csv"
    data.write_csv(data.generate("sales-forecast", 200, 5), str(window))
    out = tmp_path / "m.json"
    score.main(["--model-dir", os.path.join(trained["sales-forecast"], "model.tar.gz"), "--data", str(window), "--out", str(out)])
    assert sorted(json.loads(out.read_text())["metrics"]) == ["mae", "r2", "rmse"]
    data.write_csv(data.generate("sales-forecast", 20, 5).drop(columns=["units_sold"]), str(window))
    with pytest.raises(SystemExit, match="missing column\\(s\\) units_sold"):
        score.main(["--model-dir", trained["sales-forecast"], "--data", str(window), "--out", str(out)])
    with pytest.raises(SystemExit, match="unknown model 'fraud': expected one of churn, sales-forecast"):
        data.main(["--model", "fraud", "--out", str(window)])


def test_train_cli_checks_its_arguments_and_resolves_out_from_where_npm_started(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit):
        train.main(["--out", str(tmp_path), "--version", "v 2"])
    assert "--version: expected a version label" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.main(["--out", str(tmp_path), "--rows", "10"])
    assert "--rows: expected at least 134, got 10" in capsys.readouterr().err
    monkeypatch.setenv("INIT_CWD", str(tmp_path))
    train.main(["--out", "registry", "--rows", "200", "--model", "churn"])
    assert sorted(os.listdir(tmp_path / "registry" / "churn" / "1")) == FILES


def test_the_platforms_drift_check_flags_the_shifted_window_and_not_a_fresh_one(trained, tmp_path):
    """`modelstack drift` against the training baseline: what the end-to-end rehearsal relies on."""
    for shifted in (False, True):
        window, report = tmp_path / f"w{shifted}.csv", tmp_path / f"r{shifted}.json"
        data.write_csv(data.generate("churn", 400, 11, shifted=shifted), str(window))
        cmd = ["node", os.path.join(REPO_ROOT, "bin", "modelstack.cjs"), "drift", "--no-progress"]
        cmd += ["--baseline", os.path.join(trained["churn"], "baseline.json"), "--data", str(window), "--out", str(report)]
        result = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert json.loads(report.read_text())["drifted"] is shifted
