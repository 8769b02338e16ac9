"""A SageMaker hyper-parameter tuning job's trials, for the Track step: each training job the tuning job launched,
with its tuned hyper-parameters, its final objective metric, its other final metrics and its status.

Read with ListTrainingJobsForHyperParameterTuningJob (paged: at most 100 summaries a page, NextToken for the rest)
and DescribeTrainingJob per trial (SageMaker API Reference), through boto3, which the training image has (the
sagemaker-mlflow plugin's setup.py requires boto3>=1.34, aws/sagemaker-mlflow). The job's credentials are the
pipeline role's, which the processing container gets from SageMaker. The pipeline role may call both on its own jobs
(constructs/aws/training-pipeline.ts, PipelineJobs). `AWS_ENDPOINT_URL_SAGEMAKER` points the calls elsewhere (the
tests' loopback fake; boto3 1.28+ reads it itself, older releases need it passed).
"""
import json
import os

from training.tracking import ChildRunsUnavailable

# TrainingJobStatus (DescribeTrainingJob) -> the MLflow run status its trial run ends with: an early-stopped trial
# is Stopped ("Stop Training Jobs Early", SageMaker Developer Guide), MLflow's KILLED.
MLFLOW_STATUS = {"Completed": "FINISHED", "Failed": "FAILED", "Stopped": "KILLED", "Stopping": "KILLED", "InProgress": "RUNNING"}


class TrialsUnavailable(ChildRunsUnavailable):
    """The trials could not be read (no boto3, no credentials, no permission, no such tuning job)."""


def sagemaker_client():
    try:
        import boto3
    except ImportError as error:
        raise TrialsUnavailable("boto3 is not installed") from error
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SAGEMAKER") or None
    return boto3.client("sagemaker", endpoint_url=endpoint)


def metric_name(name):
    """`validation:rocAuc` (the MetricDefinitions name) as `validation_rocAuc`, the parent run's naming."""
    return name.replace(":", "_")


def parameter_value(value):
    """A tuned value as the training job received it: SageMaker passes categorical values JSON-quoted
    (`"gbtree"`), numeric ones bare."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def trial_run(summary, job):
    """One trial as a child run: {name, params, metrics, tags, status}."""
    objective = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    metrics = {metric_name(m["MetricName"]): m["Value"] for m in job.get("FinalMetricDataList") or []}
    if "MetricName" in objective:
        metrics[metric_name(objective["MetricName"])] = objective["Value"]
    for key, name in (("TrainingTimeInSeconds", "training_seconds"), ("BillableTimeInSeconds", "billable_seconds")):
        if job.get(key) is not None:
            metrics[name] = job[key]
    status = job.get("TrainingJobStatus") or summary.get("TrainingJobStatus")
    tags = {
        "sagemaker_training_job": summary["TrainingJobName"],
        "tuning_job": summary.get("TuningJobName", ""),
        "status": status,
        "objective_status": summary.get("ObjectiveStatus", ""),
    }
    reason = job.get("FailureReason") or summary.get("FailureReason")
    if reason:
        tags["failure_reason"] = reason
    params = {name: parameter_value(value) for name, value in (summary.get("TunedHyperParameters") or {}).items()}
    return {"name": summary["TrainingJobName"], "params": params, "metrics": metrics, "tags": tags, "status": MLFLOW_STATUS.get(status, "FINISHED")}


def read_trials(tuning_job, best=None, client=None):
    """The tuning job's trials as child runs, oldest first; `best` (the best training job's name) is tagged."""
    if client is None:
        client = sagemaker_client()
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError as error:  # a client passed in without botocore installed: nothing to catch
        raise TrialsUnavailable("botocore is not installed") from error
    try:
        summaries, token = [], None
        while True:
            page = client.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=tuning_job, MaxResults=100, **({"NextToken": token} if token else {})
            )
            summaries.extend(page.get("TrainingJobSummaries") or [])
            token = page.get("NextToken")
            if not token:
                break
        summaries.sort(key=lambda s: (s["CreationTime"], s["TrainingJobName"]))  # CreationTime is required
        runs = [trial_run(s, client.describe_training_job(TrainingJobName=s["TrainingJobName"])) for s in summaries]
    except (BotoCoreError, ClientError) as error:
        raise TrialsUnavailable(f"tuning job {tuning_job}: {error}") from error
    for run in runs:
        run["tags"]["best"] = str(run["name"] == best).lower()
    return runs
