#!/usr/bin/python3
"""`npm run bench:model-server`: the model server's own overhead against calling the model directly.

Trains the demo churn model (xgboost in an sklearn Pipeline), starts `containers/model-server/serve` as a process
on 127.0.0.1, and for 1 and 100 instances per request, in CSV and JSON, measures
- server: the round trip of POST /invocations over a kept-alive HTTP connection (parse, validate, build the
  DataFrame, predict, serialise, HTTP), and
- model: `predict_proba(df)[:, 1]` on the same rows as an already built DataFrame, in this process,
alternating, both with one OpenMP thread, in the same run. Overhead = server - model at the same percentile.
BENCH_REQUESTS (default 300) sets the measured requests per row of the table.
"""
import csv
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER_DIR = os.path.join(ROOT, "containers", "model-server")
sys.path[:0] = [ROOT, SERVER_DIR]

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from model_server.model import load  # noqa: E402
from training import artifact, data  # noqa: E402
from training.schema import spec  # noqa: E402
from training.train import train_model  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
WARMUP = 30
MODEL = "churn"


def percentiles(samples_ms):
    return float(np.percentile(samples_ms, 50)), float(np.percentile(samples_ms, 99))


def bodies(frame):
    rows = [[None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row] for row in frame.itertuples(index=False)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["" if v is None else v for v in row] for row in rows])
    return {"csv": ("text/csv", out.getvalue().encode()), "json": ("application/json", json.dumps({"instances": rows}).encode())}


def wait_ready(port, process, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the model server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/ping")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the model server did not become ready")


def time_both(connection, content_type, body, model, frame, n):
    """Alternates one request and one direct model call, so both see the same load on a shared machine."""
    served, direct = [], []
    for i in range(WARMUP + n):
        started = time.perf_counter()
        connection.request("POST", "/invocations", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        payload = response.read()
        server_ms = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"POST /invocations answered {response.status}: {payload[:200]!r}")
        started = time.perf_counter()
        model.predict(frame)
        model_ms = (time.perf_counter() - started) * 1000
        if i >= WARMUP:
            served.append(server_ms)
            direct.append(model_ms)
    return served, direct


def main():
    with tempfile.TemporaryDirectory(prefix="bench-model-server-") as tmp:
        folder = train_model(MODEL, tmp, version="1", seed=7, rows=4000)
        port = 18000 + os.getpid() % 2000
        env = {**os.environ, "MODEL_DIR": folder, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING"}
        server = subprocess.Popen([os.path.join(SERVER_DIR, "serve"), "serve"], env=env, stdout=subprocess.DEVNULL)
        try:
            wait_ready(port, server)
            model = load(folder, work_dir=tmp)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            table = []
            with threadpool_limits(limits=1):
                for size in (1, 100):
                    frame = data.generate(MODEL, size, seed=100 + size)
                    features = artifact.features_frame(frame, spec(MODEL)["features"])
                    for fmt, (content_type, body) in bodies(features).items():
                        served, direct = time_both(connection, content_type, body, model, features, REQUESTS)
                        table.append((size, fmt, len(body), percentiles(served), percentiles(direct)))
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"model server overhead ({MODEL}, {REQUESTS} requests per row after {WARMUP} warm-up, 1 thread, loopback HTTP keep-alive)")
    header = f"{'instances':>9}  {'format':<6} {'body':>8}  {'server p50':>10} {'p99':>8}  {'model p50':>9} {'p99':>8}  {'overhead p50':>12} {'p99':>8}"
    print(header)
    print("-" * len(header))
    for size, fmt, nbytes, (s50, s99), (m50, m99) in table:
        print(f"{size:>9}  {fmt:<6} {nbytes:>7}B  {s50:>8.2f}ms {s99:>6.2f}ms  {m50:>7.2f}ms {m99:>6.2f}ms  {s50 - m50:>10.2f}ms {s99 - m99:>6.2f}ms")


if __name__ == "__main__":
    main()
