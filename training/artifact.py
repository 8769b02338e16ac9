"""The model artifact contract (docs/models.md): `model.tar.gz` holds `model.joblib` (a fitted sklearn Pipeline
with its own preprocessing) and `model.json` (format, name, version, task, features, target, framework) at its root.

The tarball is reproducible: fixed member order, mtimes, owners and modes, and a gzip header without a timestamp,
so the same seed gives the same bytes.
"""
import gzip
import io
import json
import os
import sys
import tarfile
import tempfile

import joblib
import numpy as np
import pandas as pd
import sklearn

FORMAT = "modelstack-model/1"


def framework_versions():
    versions = {"python": f"{sys.version_info.major}.{sys.version_info.minor}", "scikit-learn": sklearn.__version__}
    try:
        import xgboost

        versions["xgboost"] = xgboost.__version__
    except ImportError:  # a pure scikit-learn environment
        pass
    return versions


def model_json(name, version, task, features, target):
    return {
        "format": FORMAT,
        "name": name,
        "version": str(version),
        "task": task,
        "features": [{"name": f["name"], "type": f["type"]} for f in features],
        "target": target,
        "framework": framework_versions(),
    }


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def write_model_tar(path, estimator, meta):
    """Writes `path` (model.tar.gz) with model.joblib and model.json at its root."""
    model_bytes = io.BytesIO()
    joblib.dump(estimator, model_bytes)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "model.joblib", model_bytes.getvalue())
        _add(tar, "model.json", (json.dumps(meta, indent=2) + "\n").encode())
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(tar_bytes.getvalue())


def load_model(model_dir):
    """(estimator, model.json) from a directory holding model.tar.gz, or model.joblib and model.json, or from the
    model.tar.gz itself."""
    if os.path.isfile(model_dir):
        tarball = model_dir
    elif os.path.isfile(os.path.join(model_dir, "model.joblib")):
        with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
            return joblib.load(os.path.join(model_dir, "model.joblib")), json.load(f)
    else:
        tarball = os.path.join(model_dir, "model.tar.gz")
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(tarball, "r:gz") as tar:
            tar.extractall(tmp, members=[m for m in tar.getmembers() if m.name in ("model.joblib", "model.json")])
        with open(os.path.join(tmp, "model.json"), encoding="utf-8") as f:
            meta = json.load(f)
        return joblib.load(os.path.join(tmp, "model.joblib")), meta


def features_frame(frame, features):
    """Exactly the feature columns, in order: numbers as float64 (NaN when missing), categories as text (None)."""
    out = pd.DataFrame(index=range(len(frame)))
    for feature in features:
        values = frame[feature["name"]].reset_index(drop=True)
        if feature["type"] == "numeric":
            out[feature["name"]] = pd.to_numeric(values).astype(np.float64)
        else:
            out[feature["name"]] = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
            out[feature["name"]] = out[feature["name"]].astype(object)
    return out


def predict(estimator, task, frame):
    """One number per row: the probability of class 1 for classification, the value for regression."""
    if task == "classification":
        return estimator.predict_proba(frame)[:, 1].astype(np.float64)
    return np.asarray(estimator.predict(frame), dtype=np.float64)
