"""Experiment tracking: one MLflow run per pipeline execution, when MLFLOW_TRACKING_URI is set, and, when the model
tunes, one nested run per tuning trial under it.

On AWS the URI is the SageMaker managed MLflow tracking server's ARN, which the `sagemaker-mlflow` plugin resolves
and signs requests for with SigV4 ("Integrate MLflow with your environment", SageMaker Developer Guide); the
training image installs both (containers/training/requirements.txt). Anywhere else `mlflow` is optional: it is
imported only when a URI is set, and its absence costs one warning, not the run.
"""
import os
import sys


class ChildRunsUnavailable(Exception):
    """Raised by a `children` callable that cannot list the child runs: the parent run is kept, tagged with why."""


def _log(mlflow, params, metrics, tags):
    # MLflow params are strings; metrics are numbers (NaN, a metric undefined on the data, is left out).
    mlflow.log_params({name: str(value) for name, value in params.items()})
    mlflow.log_metrics({name: float(value) for name, value in metrics.items() if value is not None and value == value})
    mlflow.set_tags({name: str(value) for name, value in tags.items()})


def log_run(experiment, run_name, params, metrics, tags, tracking_uri=None, children=None):
    """Logs one run; returns its id, or None when there is no tracking URI or no mlflow module.

    `children`, when given, is called inside the run (so nothing is read when nothing is tracked) and returns the
    child runs, each {name, params, metrics, tags, status}: each is logged as a nested run (MLflow's
    `start_run(nested=True)`, which tags it `mlflow.parentRunId`) and ended with its own status (FINISHED, FAILED,
    KILLED). The parent's `trials` tag counts them, or says why there are none.
    """
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
        _log(mlflow, params, metrics, tags)
        if children is not None:
            try:
                runs = children()
            except ChildRunsUnavailable as error:
                print(f"warning: {run_name}: the trials are not tracked: {error}", file=sys.stderr)
                mlflow.set_tag("trials", f"not tracked: {error}"[:5000])
            else:
                for child in runs:
                    # Not a `with` block: ActiveRun.__exit__ ends the run FINISHED, and a second end_run would end
                    # the parent. end_run(status) ends the child alone and makes the parent active again.
                    mlflow.start_run(run_name=child["name"], nested=True)
                    _log(mlflow, child["params"], child["metrics"], child["tags"])
                    mlflow.end_run(status=child["status"])
                mlflow.set_tag("trials", str(len(runs)))
        return run.info.run_id
