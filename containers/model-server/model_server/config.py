"""Settings from the environment (see README.md)."""
import os
from dataclasses import dataclass

# SageMaker's InvokeEndpoint accepts at most 6 MB (serverless: 4 MB), Vertex AI's predict 1.5 MB: a body larger than
# SageMaker's limit cannot come from either platform, and is refused with 413 before it is read.
DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    model_dir: str
    storage_uri: str
    host: str
    port: int
    health_route: str
    predict_route: str
    max_body_bytes: int
    log_level: str


def _int(env, name, default):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}: expected an integer, got {raw!r}") from None
    if value < 0:
        raise SystemExit(f"{name}: expected a non-negative integer, got {raw!r}")
    return value


def _route(env, name):
    route = env.get(name, "")
    if route and not route.startswith("/"):
        raise SystemExit(f"{name}: expected a path starting with /, got {route!r}")
    return route


def from_env(env=None):
    env = os.environ if env is None else env
    # PORT wins; Vertex AI sets AIP_HTTP_PORT (the containerSpec port, 8080 by default); SageMaker always uses 8080.
    port = _int(env, "PORT", _int(env, "AIP_HTTP_PORT", 8080))
    return Settings(
        model_dir=env.get("MODEL_DIR") or "/opt/ml/model",
        storage_uri=env.get("AIP_STORAGE_URI", ""),
        host=env.get("HOST") or "0.0.0.0",
        port=port,
        health_route=_route(env, "AIP_HEALTH_ROUTE"),
        predict_route=_route(env, "AIP_PREDICT_ROUTE"),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
    )
