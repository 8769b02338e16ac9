"""Downloads a model from Cloud Storage (Vertex AI's AIP_STORAGE_URI) with the standard library only: Debian has
no google-cloud-storage package, and the image stays small.

- Objects come from the Cloud Storage JSON API, `GET {base}/storage/v1/b/{bucket}/o/{object}?alt=media` with the
  object name URL-encoded (https://cloud.google.com/storage/docs/reference-uris). The base is
  https://storage.googleapis.com, or STORAGE_EMULATOR_HOST (the variable Google's client libraries honour for an
  emulator; `host:port` or a URL).
- The access token comes from the metadata server (`/computeMetadata/v1/instance/service-accounts/default/token`
  with `Metadata-Flavor: Google`; GCE_METADATA_HOST overrides the host as in google-auth). Vertex AI runs the
  container as a service account that can read the URI's copy of the artifacts. Against an emulator no token is
  fetched (as the client libraries do) unless GCE_METADATA_HOST is set too.
"""
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_BASE = "https://storage.googleapis.com"
DEFAULT_METADATA_HOST = "metadata.google.internal"
TIMEOUT_SECONDS = 30
ATTEMPTS = 3


class StorageError(Exception):
    """A download that failed; the message names the object and the HTTP status."""


class NotFound(StorageError):
    pass


def parse_gs_uri(uri):
    """gs://bucket/some/prefix -> ("bucket", "some/prefix") (no trailing slash)."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "gs" or not parsed.netloc:
        raise StorageError(f"AIP_STORAGE_URI: expected gs://BUCKET/PATH, got {uri!r}")
    return parsed.netloc, parsed.path.strip("/")


def _base(env):
    host = env.get("STORAGE_EMULATOR_HOST")
    if not host:
        return DEFAULT_BASE
    return (host if "://" in host else f"http://{host}").rstrip("/")


def access_token(env):
    """A bearer token from the metadata server, or None when talking to an emulator without GCE_METADATA_HOST."""
    if env.get("STORAGE_EMULATOR_HOST") and not env.get("GCE_METADATA_HOST"):
        return None
    host = env.get("GCE_METADATA_HOST") or DEFAULT_METADATA_HOST
    url = f"http://{host}/computeMetadata/v1/instance/service-accounts/default/token"
    request = urllib.request.Request(url, headers={"Metadata-Flavor": "Google"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.load(response)["access_token"]
    except (urllib.error.URLError, OSError, KeyError, ValueError) as err:
        raise StorageError(f"could not get an access token from the metadata server at {host}: {err}") from err


def download(bucket, name, dest, env, token):
    """Streams gs://bucket/name into the file dest. Retries 429 and 5xx answers and network errors."""
    url = f"{_base(env)}/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o/{urllib.parse.quote(name, safe='')}?alt=media"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS) as response, open(dest, "wb") as out:
                while True:
                    chunk = response.read(1 << 20)
                    if not chunk:
                        return
                    out.write(chunk)
        except urllib.error.HTTPError as err:
            if err.code == 404:
                raise NotFound(f"gs://{bucket}/{name}: not found (HTTP 404)") from err
            if err.code not in (408, 429) and err.code < 500 or attempt == ATTEMPTS:
                raise StorageError(f"gs://{bucket}/{name}: HTTP {err.code} {err.reason}") from err
        except (urllib.error.URLError, OSError) as err:
            if attempt == ATTEMPTS:
                raise StorageError(f"gs://{bucket}/{name}: {err}") from err
        time.sleep(0.5 * 2 ** (attempt - 1))


def fetch_model(uri, dest_dir, env=None):
    """Downloads the model under a gs:// directory into dest_dir: model.tar.gz, or else model.joblib and
    model.json. Returns dest_dir."""
    env = os.environ if env is None else env
    bucket, prefix = parse_gs_uri(uri)
    token = access_token(env)

    def key(name):
        return f"{prefix}/{name}" if prefix else name

    try:
        download(bucket, key("model.tar.gz"), os.path.join(dest_dir, "model.tar.gz"), env, token)
        return dest_dir
    except NotFound:
        pass  # a directory with the extracted files instead
    try:
        for name in ("model.joblib", "model.json"):
            download(bucket, key(name), os.path.join(dest_dir, name), env, token)
    except NotFound as err:
        raise StorageError(f"{uri}: expected model.tar.gz, or model.joblib and model.json ({err})") from err
    return dest_dir
