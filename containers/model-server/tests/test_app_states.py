"""The server's states in process (starlette's TestClient): loading, a model that failed to load, a model that
fails to predict (500 with a generic message, the trace only in the log), and the settings from the environment."""
import io
import json
import logging
import os
import tarfile

import joblib
import pytest
from sklearn.linear_model import LogisticRegression
from starlette.testclient import TestClient

from model_server import config
from model_server.app import State, create_app, negotiate
from model_server.model import ModelLoadError, load

META = {
    "format": "modelstack-model/1",
    "name": "broken",
    "version": "1",
    "task": "classification",
    "features": [{"name": "x", "type": "numeric"}, {"name": "c", "type": "categorical"}],
    "target": "y",
    "framework": {"python": "3.11", "scikit-learn": "1.2.1"},
}


def settings(model_dir, **overrides):
    env = {"MODEL_DIR": str(model_dir), **overrides}
    return config.from_env(env)


def write_model(folder, estimator, meta=META, packed=False):
    folder.mkdir(parents=True, exist_ok=True)
    if not packed:
        joblib.dump(estimator, folder / "model.joblib")
        (folder / "model.json").write_text(json.dumps(meta))
        return folder
    with tarfile.open(folder / "model.tar.gz", "w:gz") as tar:
        for name, data in (("model.joblib", _dumps(estimator)), ("model.json", json.dumps(meta).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return folder


def _dumps(estimator):
    out = io.BytesIO()
    joblib.dump(estimator, out)
    return out.getvalue()


def client_for(model_dir, **env):
    app = create_app(settings(model_dir, **env), load_in_background=False)
    return TestClient(app)


def test_a_model_failure_is_a_500_with_a_generic_message_and_a_logged_trace(tmp_path, caplog):
    # An unfitted estimator loads (it has predict_proba) but raises NotFittedError on every prediction.
    with client_for(write_model(tmp_path / "m", LogisticRegression())) as client, caplog.at_level(logging.ERROR, logger="model_server"):
        response = client.post("/invocations", content="1.5,a\n", headers={"Content-Type": "text/csv"})
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "ModelError", "message": "the model failed to predict; the server log has the details"}}
    failures = [r for r in caplog.records if r.getMessage() == "prediction failed"]
    assert failures and failures[0].exc_info is not None
    assert "NotFittedError" in logging.Formatter().formatException(failures[0].exc_info)


def test_a_model_that_cannot_load_keeps_ping_at_503_with_the_reason(tmp_path):
    folder = write_model(tmp_path / "m", LogisticRegression(), meta={**META, "format": "something-else"})
    with client_for(folder) as client:
        ping = client.get("/ping")
        invocation = client.post("/invocations", content="1,a", headers={"Content-Type": "text/csv"})
    assert ping.status_code == 503
    assert "format: expected 'modelstack-model/1'" in ping.json()["error"]["message"]
    assert invocation.status_code == 503 and invocation.json()["error"]["code"] == "ModelNotReady"


def test_while_loading_ping_is_503_and_predictions_are_not_ready(tmp_path):
    state = State()  # never loaded
    app = create_app(settings(tmp_path), state=state, load_in_background=True)
    client = TestClient(app)  # no context manager: the startup (loading) does not run
    assert client.get("/ping").status_code == 503
    assert client.get("/ping").json() == {"status": "loading"}
    response = client.post("/invocations", content="1,a", headers={"Content-Type": "text/csv"})
    assert response.status_code == 503 and "still loading" in response.json()["error"]["message"]


def test_a_packed_model_tar_gz_in_a_read_only_model_dir_is_extracted_elsewhere(tmp_path):
    folder = write_model(tmp_path / "ro", LogisticRegression().fit([[0.0], [1.0]], [0, 1]), meta={**META, "features": [{"name": "x", "type": "numeric"}]}, packed=True)
    os.chmod(folder, 0o555)
    try:
        model = load(str(folder), work_dir=str(tmp_path))
        assert model.source.endswith("model.tar.gz")
        assert os.listdir(folder) == ["model.tar.gz"]
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.parametrize(
    "files,message",
    [
        ({}, "expected model.joblib and model.json, or model.tar.gz"),
        ({"model.tar.gz": b"not a tarball"}, "not a readable gzipped tar"),
        ({"model.json": b"{", "model.joblib": b"x"}, "not valid JSON"),
        ({"model.json": json.dumps(META).encode(), "model.joblib": b"not a pickle"}, "model.joblib: could not be loaded"),
    ],
)
def test_load_errors_say_what_is_wrong(tmp_path, files, message):
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with pytest.raises(ModelLoadError, match=message):
        load(str(tmp_path))


def test_model_json_problems_are_all_listed(tmp_path):
    bad = {"format": "modelstack-model/1", "name": "", "task": "ranking", "features": [{"name": "x", "type": "text"}]}
    write_model(tmp_path, LogisticRegression(), meta=bad)
    with pytest.raises(ModelLoadError) as err:
        load(str(tmp_path))
    assert "task: expected" in str(err.value) and "name: expected" in str(err.value) and "features[0]" in str(err.value)


def test_settings_from_the_environment():
    assert config.from_env({}) == config.Settings("/opt/ml/model", "", "0.0.0.0", 8080, "", "", config.DEFAULT_MAX_BODY_BYTES, "INFO")
    vertex = config.from_env({"AIP_HTTP_PORT": "7080", "AIP_HEALTH_ROUTE": "/h", "AIP_PREDICT_ROUTE": "/p", "AIP_STORAGE_URI": "gs://b/m"})
    assert (vertex.port, vertex.health_route, vertex.predict_route, vertex.storage_uri) == (7080, "/h", "/p", "gs://b/m")
    assert config.from_env({"AIP_HTTP_PORT": "7080", "PORT": "9000", "HOST": "127.0.0.1"}).port == 9000
    with pytest.raises(SystemExit, match="PORT: expected an integer, got 'http'"):
        config.from_env({"PORT": "http"})
    with pytest.raises(SystemExit, match="AIP_PREDICT_ROUTE: expected a path starting with /"):
        config.from_env({"AIP_PREDICT_ROUTE": "predict"})


@pytest.mark.parametrize(
    "accept,want",
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/csv", "text/csv"),
        ("application/json, text/csv", "application/json"),
        ("text/csv;q=0.9, application/json;q=0.1", "text/csv"),
        ("application/json;q=0, text/*", "text/csv"),
        ("image/png", None),
    ],
)
def test_accept_negotiation(accept, want):
    assert negotiate(accept) == want
