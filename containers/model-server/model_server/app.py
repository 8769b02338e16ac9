"""The HTTP server: SageMaker's and Vertex AI's custom container contracts on one FastAPI app.

SageMaker (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html): `GET /ping` answers
200 once the model is loaded, `POST /invocations` takes the request body with its Content-Type and answers in the
Accept type. Vertex AI (https://cloud.google.com/vertex-ai/docs/predictions/custom-container-requirements): the
health and predict routes are AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE, the body is `{"instances": [...]}` and the
answer `{"predictions": [...]}`. Both routes serve both formats; the answer is `{"predictions": [p1, ...]}` or, for
Accept: text/csv, one prediction per line.

The model loads in a background thread so the port is open at once (Vertex AI's liveness probe gives up after
about 40 s); until it is loaded the health routes answer 503 and predictions 503 ModelNotReady.
"""
import json
import os
import tempfile
import threading
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from model_server import gcs, logs
from model_server.model import ModelLoadError, load
from model_server.parse import RequestError, Schema

JSON = "application/json"
CSV = "text/csv"


class State:
    """The model and its compiled schema once loaded, or why it is not."""

    def __init__(self):
        self.model = None
        self.schema = None
        self.error = None
        self.loaded = threading.Event()


def json_response(status, body):
    return Response(content=json.dumps(body, allow_nan=False), status_code=status, media_type=JSON)


def error_response(err):
    return json_response(err.status, err.body())


def media_type(header):
    return (header or "").split(";")[0].strip().lower()


def negotiate(accept):
    """The response type for an Accept header: JSON unless text/csv is preferred; None if neither is acceptable."""
    if not accept or not accept.strip():
        return JSON
    choices = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        choices.append((-quality, position, pieces[0].lower()))
    for negative_quality, _, kind in sorted(choices):
        if negative_quality == 0:
            continue  # q=0 means "not acceptable"
        if kind in (JSON, "application/*", "*/*"):
            return JSON
        if kind in (CSV, "text/*"):
            return CSV
    return None


async def read_body(request, limit):
    """The body, refused with 413 beyond `limit` bytes (checked against Content-Length first, then while reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, "PayloadTooLarge", f"body of {int(declared)} bytes, expected at most {limit} (MAX_BODY_BYTES)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, "PayloadTooLarge", f"body over {limit} bytes (MAX_BODY_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


def format_predictions(values, kind):
    predictions = [float(v) for v in values]
    if kind == CSV:
        return Response(content="".join(f"{p!r}\n" for p in predictions), media_type=CSV)
    return Response(content=json.dumps({"predictions": predictions}, allow_nan=False), media_type=JSON)


def load_model(settings, state):
    """Downloads (AIP_STORAGE_URI) and loads the model; records the failure instead of raising."""
    started = time.perf_counter()
    try:
        if settings.storage_uri.startswith("gs://"):
            # The download is only read while loading (the model lives in memory afterwards), so it is removed then.
            with tempfile.TemporaryDirectory(prefix="aip-model-") as model_dir:
                gcs.fetch_model(settings.storage_uri, model_dir)
                logs.info("model downloaded", uri=settings.storage_uri, seconds=round(time.perf_counter() - started, 3))
                model = load(model_dir)
        else:
            if settings.storage_uri:
                logs.warning("AIP_STORAGE_URI is not a gs:// URI; using MODEL_DIR", uri=settings.storage_uri)
            model = load(settings.model_dir)
        state.schema = Schema(model.features)
        state.model = model
        logs.info(
            "model loaded",
            model=model.name,
            version=model.version,
            task=model.task,
            features=len(model.features),
            source=model.source,
            framework=model.meta.get("framework"),
            seconds=round(time.perf_counter() - started, 3),
        )
    except (ModelLoadError, gcs.StorageError) as err:
        state.error = str(err)
        logs.error("model not loaded", reason=state.error)
    except Exception as err:  # anything else is a bug or a broken pickle: keep the trace in the log
        state.error = f"{type(err).__name__}: {err}"
        logs.error("model not loaded", exc_info=True, reason=state.error)
    finally:
        state.loaded.set()


def create_app(settings, state=None, load_in_background=True):
    state = state or State()
    app = FastAPI(title="ModelStack model server", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.model_state = state

    @app.on_event("startup")
    def start_loading():
        if state.model is None and not state.loaded.is_set():
            if load_in_background:
                threading.Thread(target=load_model, args=(settings, state), name="model-loader", daemon=True).start()
            else:
                load_model(settings, state)

    async def health():
        if state.model is not None:
            return json_response(200, {"status": "ok", "model": state.model.name, "version": state.model.version})
        if state.error:
            return json_response(503, {"status": "failed", "error": {"code": "ModelNotLoaded", "message": state.error}})
        return json_response(503, {"status": "loading"})

    def predict_sync(body, content_type):
        frame = state.schema.from_csv(body) if content_type == CSV else state.schema.from_json(body)
        try:
            return frame, state.model.predict(frame)
        except Exception:
            logs.error("prediction failed", exc_info=True, model=state.model.name, instances=len(frame))
            raise RequestError(500, "ModelError", "the model failed to predict; the server log has the details") from None

    async def predict(request: Request):
        started = time.perf_counter()
        instances, status, code = 0, 200, None
        try:
            if state.model is None:
                raise RequestError(503, "ModelNotReady", state.error and f"the model did not load: {state.error}" or "the model is still loading; retry shortly")
            content_type = media_type(request.headers.get("content-type")) or JSON  # Vertex AI's documented format
            if content_type not in (JSON, CSV):
                raise RequestError(415, "UnsupportedMediaType", f"Content-Type {content_type!r}: expected {CSV} or {JSON}")
            answer = negotiate(request.headers.get("accept"))
            if answer is None:
                raise RequestError(406, "NotAcceptable", f"Accept {request.headers.get('accept')!r}: expected {JSON} or {CSV}")
            body = await read_body(request, settings.max_body_bytes)
            if not body.strip():
                raise RequestError(400, "BadRequest", "body: empty, expected CSV rows or a JSON object with instances")
            frame, values = await run_in_threadpool(predict_sync, body, content_type)
            instances = len(frame)
            if len(values) != instances or not all(map(_finite, values)):
                logs.error("the model returned unusable predictions", model=state.model.name, instances=instances, predictions=len(values))
                raise RequestError(500, "ModelError", "the model returned unusable predictions; the server log has the details")
            return format_predictions(values, answer)
        except RequestError as err:
            status, code = err.status, err.code
            return error_response(err)
        except Exception:
            status, code = 500, "InternalError"
            logs.error("request failed", exc_info=True)
            return json_response(500, {"error": {"code": "InternalError", "message": "internal error; the server log has the details"}})
        finally:
            logs.info(
                "prediction",
                path=request.url.path,
                status=status,
                code=code,
                instances=instances,
                bytes=int(request.headers.get("content-length") or 0),
                latencyMs=round((time.perf_counter() - started) * 1000, 3),
            )

    routes = {("/ping", "GET"): health, ("/invocations", "POST"): predict}
    if settings.health_route:
        routes[(settings.health_route, "GET")] = health
    if settings.predict_route:
        routes[(settings.predict_route, "POST")] = predict
    for (path, method), handler in routes.items():
        app.add_api_route(path, handler, methods=[method], include_in_schema=False)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc):
        codes = {404: "NotFound", 405: "MethodNotAllowed"}
        return json_response(exc.status_code, {"error": {"code": codes.get(exc.status_code, "BadRequest"), "message": str(exc.detail)}})

    return app


def _finite(value):
    return value == value and value not in (float("inf"), float("-inf"))


def main(argv=None):
    """Runs the server with the environment's settings (see `serve`)."""
    import uvicorn
    from threadpoolctl import threadpool_limits

    from model_server.config import from_env

    settings = from_env()
    logs.setup(settings.log_level)
    # One OpenMP/BLAS thread per process: requests are small, and a thread pool per call only adds latency on a
    # shared machine. Scale with instances (SageMaker) or replicas (Vertex AI).
    threadpool_limits(limits=int(os.environ.get("MODEL_THREADS", "1")))
    logs.info("starting", host=settings.host, port=settings.port, modelDir=settings.model_dir, storageUri=settings.storage_uri or None,
              healthRoute=settings.health_route or None, predictRoute=settings.predict_route or None, maxBodyBytes=settings.max_body_bytes)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=logs.log_config(settings.log_level), access_log=False)
