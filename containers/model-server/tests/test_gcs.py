"""AIP_STORAGE_URI downloads against a loopback fake of the Cloud Storage JSON API and the metadata server."""
import os

import pytest
from server_helpers import FakeGcs

from model_server import gcs


@pytest.fixture(scope="module")
def shared_fake():
    server = FakeGcs({})
    yield server
    server.close()  # shutdown() polls every 0.5 s: once per module, not per test


@pytest.fixture
def fake(shared_fake):
    shared_fake.objects.clear()
    shared_fake.requests.clear()
    return shared_fake


def test_model_tar_gz_is_preferred(fake, tmp_path):
    fake.objects[("bucket", "models/churn/3/model.tar.gz")] = b"tarball"
    fake.objects[("bucket", "models/churn/3/model.joblib")] = b"ignored"
    gcs.fetch_model("gs://bucket/models/churn/3/", str(tmp_path), fake.env())
    assert sorted(os.listdir(tmp_path)) == ["model.tar.gz"]
    assert (tmp_path / "model.tar.gz").read_bytes() == b"tarball"


def test_extracted_files_when_there_is_no_tarball(fake, tmp_path):
    fake.objects[("bucket", "m/model.joblib")] = b"pickle"
    fake.objects[("bucket", "m/model.json")] = b"{}"
    gcs.fetch_model("gs://bucket/m", str(tmp_path), fake.env())
    assert sorted(os.listdir(tmp_path)) == ["model.joblib", "model.json"]


def test_a_bucket_root_uri(fake, tmp_path):
    fake.objects[("bucket", "model.tar.gz")] = b"t"
    gcs.fetch_model("gs://bucket", str(tmp_path), fake.env())
    assert [r["path"] for r in fake.requests if "/storage/" in r["path"]] == ["/storage/v1/b/bucket/o/model.tar.gz"]


def test_nothing_there_names_what_was_expected(fake, tmp_path):
    with pytest.raises(gcs.StorageError, match=r"gs://bucket/empty: expected model.tar.gz, or model.joblib and model.json"):
        gcs.fetch_model("gs://bucket/empty", str(tmp_path), fake.env())
    assert os.listdir(tmp_path) == []


def test_an_emulator_without_a_metadata_host_gets_no_token(fake, tmp_path):
    # As Google's client libraries do: no Authorization header, which this fake (like GCS) refuses.
    fake.objects[("bucket", "m/model.tar.gz")] = b"t"
    with pytest.raises(gcs.StorageError, match=r"gs://bucket/m/model.tar.gz: HTTP 401"):
        gcs.fetch_model("gs://bucket/m", str(tmp_path), {"STORAGE_EMULATOR_HOST": fake.host})
    assert not any("/computeMetadata/" in r["path"] for r in fake.requests)


def test_metadata_server_unreachable_is_a_clear_error(tmp_path):
    env = {"STORAGE_EMULATOR_HOST": "127.0.0.1:9", "GCE_METADATA_HOST": "127.0.0.1:9"}
    with pytest.raises(gcs.StorageError, match="could not get an access token from the metadata server at 127.0.0.1:9"):
        gcs.fetch_model("gs://bucket/m", str(tmp_path), env)


@pytest.mark.parametrize("uri", ["s3://bucket/m", "gs://", "/opt/ml/model"])
def test_only_gs_uris(uri):
    with pytest.raises(gcs.StorageError, match="expected gs://BUCKET/PATH"):
        gcs.parse_gs_uri(uri)
