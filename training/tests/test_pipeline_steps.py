"""The pipeline steps' own rules: schema validation of the training data, hyper-parameter overrides, the gate's
decision. (`test/cli/pipeline-run.test.ts` runs the whole pipeline.)"""
import argparse

import pandas as pd
import pytest
import training_helpers  # noqa: F401  (puts the repository on sys.path)

from training.evaluate import decide
from training.prepare import prepare, schema_problems
from training.train import with_overrides

FEATURES = [{"name": "tenure_months", "type": "numeric"}, {"name": "contract", "type": "categorical"}]


def test_schema_problems_lists_every_problem_with_column_and_row():
    frame = pd.DataFrame({"tenure_months": ["3", "x", "y"], "churned": [0, 1, 2]})
    assert schema_problems(frame, FEATURES, "churned", "classification") == [
        "missing column(s) contract: expected the features and the target 'churned'",
        "tenure_months: row 2: expected a number, got 'x' (2 such rows)",
        "churned: expected 0 or 1 (binary classification), got [2]",
    ]
    assert schema_problems(pd.DataFrame({"tenure_months": [1.0], "contract": ["a"], "units": [None]}), FEATURES, "units", "regression") == [
        "units: row 1: expected a label, got None"
    ]


def test_prepare_refuses_data_that_does_not_match_the_schema(tmp_path):
    (tmp_path / "data.csv").write_text("tenure_months,churned\nabc,0\n")
    args = argparse.Namespace(model="churn", task="classification", target="churned", features="tenure_months:numeric,contract:categorical", format="csv", input=str(tmp_path), holdout_share=0.25, seed=7, out=str(tmp_path / "out"))
    with pytest.raises(SystemExit, match=r"does not match churn's input schema:\n  - missing column\(s\) contract.*\n  - tenure_months: row 1: expected a number, got 'abc'"):
        prepare(args)


def test_hyperparameter_overrides_are_cast_to_the_defaults_types_and_unknown_names_refused():
    params = with_overrides("churn", {"max_depth": "5", "learning_rate": "0.1"})
    assert (params["max_depth"], params["learning_rate"]) == (5, 0.1)
    with pytest.raises(SystemExit, match="hyper-parameter 'depth': not a parameter of churn's estimator: expected one of n_estimators, max_depth"):
        with_overrides("churn", {"depth": "5"})
    with pytest.raises(SystemExit, match="hyper-parameter 'max_iter': expected a int, got 'many'"):
        with_overrides("sales-forecast", {"max_iter": "many"})


def test_the_gate_decision():
    assert decide("rocAuc", {"rocAuc": 0.8}, None, None, 0.75) == (True, 0.0, "registered: rocAuc 0.8000 against no current version, floor 0.75")
    register, improvement, reason = decide("rocAuc", {"rocAuc": 0.7}, {"rocAuc": 0.8}, "3", 0.75)
    assert not register and improvement == pytest.approx(-0.1)
    assert reason == "not registered: rocAuc 0.7000 is worse than the current version 3's 0.8000 on the same held-out rows; rocAuc 0.7000 is below the floor 0.75"
    # Lower is better for rmse: a smaller error is an improvement, and the floor is a ceiling.
    register, improvement, _ = decide("rmse", {"rmse": 9.0}, {"rmse": 10.0}, "1", 12)
    assert register and improvement == pytest.approx(1.0)
    assert decide("rmse", {"rmse": 13.0}, None, None, 12)[2] == "not registered: rmse 13.0000 is above the floor 12"


def test_evaluate_reads_the_current_version_input_or_the_none_yet_marker(tmp_path):
    from training.evaluate import is_first_version
    from training.prepare import NO_CURRENT_VERSION

    marker = tmp_path / "marker"
    marker.mkdir()
    (marker / NO_CURRENT_VERSION).write_text("none yet\n")
    assert is_first_version(str(marker)) is True
    assert is_first_version("none") is True
    current = tmp_path / "current"
    current.mkdir()
    (current / "model.tar.gz").write_bytes(b"")
    assert is_first_version(str(current)) is False
    assert is_first_version(str(current / "model.tar.gz")) is False
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "other.txt").write_text("x")
    with pytest.raises(SystemExit, match=r"holds other.txt: expected model.tar.gz \(the current version\) or NO_CURRENT_VERSION \(none yet\)"):
        is_first_version(str(empty))
    with pytest.raises(SystemExit, match="no such file or folder"):
        is_first_version(str(tmp_path / "missing"))
