"""Experiment tracking: one MLflow run per pipeline execution, when MLFLOW_TRACKING_URI is set.

On AWS the URI is the SageMaker managed MLflow tracking server's ARN, which the `sagemaker-mlflow` plugin resolves
and signs requests for with SigV4 ("Integrate MLflow with your environment", SageMaker Developer Guide); the
training image installs both (containers/training/requirements.txt). Anywhere else `mlflow` is optional: it is
imported only when a URI is set, and its absence costs one warning, not the run.
"""
import os
import sys


def log_run(experiment, run_name, params, metrics, tags, tracking_uri=None):
    """Logs one run; returns its id, or None when there is no tracking URI or no mlflow module."""
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        return None
    try:
        import mlflow
    except ImportError:
        print(f"warning: MLFLOW_TRACKING_URI is set ({uri}) but the mlflow package is not installed: the run is not tracked", file=sys.stderr)
        return None
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        # MLflow params are strings; metrics are numbers (NaN, a metric undefined on the data, is left out).
        mlflow.log_params({name: str(value) for name, value in params.items()})
        mlflow.log_metrics({name: float(value) for name, value in metrics.items() if value is not None and value == value})
        mlflow.set_tags({name: str(value) for name, value in tags.items()})
        return run.info.run_id
