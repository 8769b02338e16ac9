"""Fixtures: the demo models trained with the repository's training code, and the model server started as a real
process for each contract."""
import tarfile

import pytest
from server_helpers import FakeGcs, ServerProcess

from training.train import train_model


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """<dir>/<model>/1/{model.tar.gz, ...} for both demo models, as `npm run train` writes them."""
    out = tmp_path_factory.mktemp("registry")
    for model in ("churn", "sales-forecast"):
        train_model(model, str(out), version="1", seed=5, rows=1200)
    return out


@pytest.fixture(scope="session")
def churn_server(registry, tmp_path_factory):
    """SageMaker style: MODEL_DIR is a directory that still holds model.tar.gz; a small body limit for the 413 test."""
    server = ServerProcess(
        {"MODEL_DIR": str(registry / "churn" / "1"), "MAX_BODY_BYTES": "200000"},
        str(tmp_path_factory.mktemp("logs") / "churn-server.log"),
    )
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def vertex_sales_server(registry, tmp_path_factory):
    """Vertex AI style: AIP_* routes and port, the model (extracted files) from AIP_STORAGE_URI on a fake GCS."""
    extracted = {}
    with tarfile.open(registry / "sales-forecast" / "1" / "model.tar.gz") as tar:
        for member in tar.getmembers():
            extracted[member.name] = tar.extractfile(member).read()
    gcs = FakeGcs({("vertex-copy", f"models/sales-forecast/1/{name}"): data for name, data in extracted.items()})
    server = ServerProcess(
        {
            **gcs.env(),
            "AIP_HEALTH_ROUTE": "/v1/health",
            "AIP_PREDICT_ROUTE": "/v1/endpoints/123/deployedModels/456:predict",
            "AIP_STORAGE_URI": "gs://vertex-copy/models/sales-forecast/1",
        },
        str(tmp_path_factory.mktemp("logs") / "vertex-server.log"),
        args=(),  # Vertex AI runs the image without arguments
        port_variable="AIP_HTTP_PORT",  # and sets no PORT
    )
    server.gcs = gcs
    try:
        yield server.wait_ready("/v1/health")
    finally:
        server.stop()
        gcs.close()
