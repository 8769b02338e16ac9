"""Loads a model in the ModelStack artifact contract (docs/models.md): `model.joblib` (a fitted scikit-learn
estimator, typically a Pipeline with its own imputers and encoders) and `model.json` (format, name, version, task,
features, target, framework), either extracted in a directory (SageMaker extracts model.tar.gz into /opt/ml/model)
or still packed as model.tar.gz in it.
"""
import json
import os
import tarfile
import tempfile

import joblib
import numpy as np

FORMAT = "modelstack-model/1"
MEMBERS = ("model.joblib", "model.json")


class ModelLoadError(Exception):
    """The artifact is missing or does not follow the contract; the message says what is wrong."""


class LoadedModel:
    def __init__(self, estimator, meta, source):
        self.estimator = estimator
        self.meta = meta
        self.source = source
        self.name = meta["name"]
        self.version = str(meta.get("version", ""))
        self.task = meta["task"]
        self.features = meta["features"]

    def predict(self, frame):
        """One float per row: P(class 1) for classification, the predicted value for regression."""
        if self.task == "classification":
            out = self.estimator.predict_proba(frame)[:, 1]
        else:
            out = self.estimator.predict(frame)
        return np.asarray(out, dtype=np.float64).reshape(-1)


def _extract(tarball, dest):
    """Extracts only model.joblib and model.json, refusing links and paths outside dest."""
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            wanted = []
            for member in tar.getmembers():
                name = member.name[2:] if member.name.startswith("./") else member.name
                if name in MEMBERS and member.isfile():
                    member.name = name
                    wanted.append(member)
            tar.extractall(dest, members=wanted)
    except (tarfile.TarError, OSError, EOFError) as err:
        raise ModelLoadError(f"{tarball}: not a readable gzipped tar ({err})") from err


def _validate(meta, where):
    problems = []
    if not isinstance(meta, dict):
        raise ModelLoadError(f"{where}: expected a JSON object")
    if meta.get("format") != FORMAT:
        problems.append(f"format: expected {FORMAT!r}, got {meta.get('format')!r}")
    if meta.get("task") not in ("classification", "regression"):
        problems.append(f"task: expected 'classification' or 'regression', got {meta.get('task')!r}")
    if not isinstance(meta.get("name"), str) or not meta.get("name"):
        problems.append("name: expected a non-empty string")
    features = meta.get("features")
    if not isinstance(features, list) or not features:
        problems.append("features: expected a non-empty list of {name, type}")
    else:
        for i, feature in enumerate(features):
            if not isinstance(feature, dict) or not isinstance(feature.get("name"), str) or feature.get("type") not in ("numeric", "categorical"):
                problems.append(f"features[{i}]: expected {{\"name\": string, \"type\": \"numeric\" | \"categorical\"}}, got {feature!r}")
        names = [f.get("name") for f in features if isinstance(f, dict)]
        if len(set(names)) != len(names):
            problems.append("features: names must be unique")
    if problems:
        raise ModelLoadError(f"{where}: " + "; ".join(problems))


def load(model_dir, work_dir=None):
    """Loads the model from model_dir (extracted files, or model.tar.gz in it)."""
    if not os.path.isdir(model_dir):
        raise ModelLoadError(f"{model_dir}: no such directory (set MODEL_DIR or AIP_STORAGE_URI)")
    source = model_dir
    if not all(os.path.isfile(os.path.join(model_dir, m)) for m in MEMBERS):
        tarball = os.path.join(model_dir, "model.tar.gz")
        if not os.path.isfile(tarball):
            raise ModelLoadError(f"{model_dir}: expected model.joblib and model.json, or model.tar.gz holding them")
        # The model directory may be read-only (SageMaker mounts it so): extract elsewhere.
        model_dir = tempfile.mkdtemp(prefix="model-", dir=work_dir)
        _extract(tarball, model_dir)
        source = tarball
        missing = [m for m in MEMBERS if not os.path.isfile(os.path.join(model_dir, m))]
        if missing:
            raise ModelLoadError(f"{tarball}: expected {' and '.join(MEMBERS)} at the root of the archive, missing {', '.join(missing)}")
    meta_path = os.path.join(model_dir, "model.json")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except ValueError as err:
        raise ModelLoadError(f"{meta_path}: not valid JSON ({err})") from err
    _validate(meta, meta_path)
    try:
        estimator = joblib.load(os.path.join(model_dir, "model.joblib"))
    except Exception as err:  # unpickling can raise anything (missing module, version mismatch)
        raise ModelLoadError(f"{os.path.join(model_dir, 'model.joblib')}: could not be loaded ({type(err).__name__}: {err})") from err
    method = "predict_proba" if meta["task"] == "classification" else "predict"
    if not hasattr(estimator, method):
        raise ModelLoadError(f"model.joblib: a {meta['task']} model needs {method}(), {type(estimator).__name__} has none")
    return LoadedModel(estimator, meta, source)
