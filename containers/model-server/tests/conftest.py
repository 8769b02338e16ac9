"""Fixtures: the demo models trained with the repository's training code, and the model server started as a real
process for each contract (both processes start together: each takes seconds to import its libraries)."""
import tarfile

import pytest
from server_helpers import FakeGcs, ServerProcess

from training.train import train_model


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """<dir>/<model>/1/{model.tar.gz, ...} for both demo models, as `npm run train` writes them (no baseline.json:
    serving does not read it)."""
    out = tmp_path_factory.mktemp("registry")
    for model in ("churn", "sales-forecast"):
        train_model(model, str(out), version="1", seed=5, rows=1000, baseline_json=False)
    return out


@pytest.fixture(scope="session")
def servers(registry, tmp_path_factory):
    """{"churn": SageMaker-style server, "sales-forecast": Vertex-AI-style server}, started in parallel.

    - churn: MODEL_DIR is a directory that still holds model.tar.gz; a small body limit for the 413 test.
    - sales-forecast: AIP_* routes and port (no PORT, no arguments, as Vertex AI runs the image), the model
      (extracted files) from AIP_STORAGE_URI on a fake Cloud Storage, with a token from a fake metadata server.
    """
    logs = tmp_path_factory.mktemp("logs")
    scratch = tmp_path_factory.mktemp("vertex-tmp")  # the Vertex server's TMPDIR, where it downloads the model
    with tarfile.open(registry / "sales-forecast" / "1" / "model.tar.gz") as tar:
        extracted = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    gcs = FakeGcs({("vertex-copy", f"models/sales-forecast/1/{name}"): body for name, body in extracted.items()})
    churn = ServerProcess({"MODEL_DIR": str(registry / "churn" / "1"), "MAX_BODY_BYTES": "200000"}, str(logs / "churn-server.log"))
    vertex = ServerProcess(
        {
            **gcs.env(),
            "AIP_HEALTH_ROUTE": "/v1/health",
            "AIP_PREDICT_ROUTE": "/v1/endpoints/123/deployedModels/456:predict",
            "AIP_STORAGE_URI": "gs://vertex-copy/models/sales-forecast/1",
            "TMPDIR": str(scratch),
        },
        str(logs / "vertex-server.log"),
        args=(),
        port_variable="AIP_HTTP_PORT",
    )
    vertex.gcs = gcs
    vertex.scratch = scratch
    try:
        yield {"churn": churn.wait_ready(), "sales-forecast": vertex.wait_ready("/v1/health")}
    finally:
        churn.stop()
        vertex.stop()
        gcs.close()


@pytest.fixture(scope="session")
def churn_server(servers):
    return servers["churn"]


@pytest.fixture(scope="session")
def vertex_sales_server(servers):
    return servers["sales-forecast"]
