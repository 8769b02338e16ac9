"""The pipeline's tracking step: logs the execution's candidate to MLflow as one run (run name: the execution id),
with its hyper-parameters, its validation metrics (from training), its held-out metrics and the gate's decision
(from the evaluation), and writes the run's id for the registration.

    python3 -m training.track --model churn --execution EXECUTION_ID --candidate model.tar.gz \
        --evaluation DIR [--experiment NAME] [--tuning-job NAME [--best-trial NAME]] --out DIR

With --tuning-job (the pipeline's Tune step), each of the tuning job's trials becomes a nested run of the
execution's run (training/trials.py: its tuned hyper-parameters, final objective metric and status); the
execution's run is tagged with the number of trials, or why they could not be read.

writes DIR/mlflow.json, the property file the Register step reads (`run_id`: the run's id, or "none" when nothing
was tracked: no MLFLOW_TRACKING_URI, or no mlflow package).
"""
import argparse
import functools
import json
import os

from training import tracking, trials
from training.evaluate import training_record
from training.train import write_json

NOT_TRACKED = "none"


def run_contents(model, execution, record, evaluation):
    """(params, metrics, tags) of the run: what a candidate is, how it did, and what became of it."""
    params = {**record.get("parameters", {}), "seed": record.get("seed"), "estimator": record.get("estimator")}
    params = {name: value for name, value in params.items() if value is not None}
    metrics = {f"test_{name}": value for name, value in (evaluation.get("candidate") or {}).items()}
    for split, values in (record.get("metrics") or {}).items():
        metrics.update({f"{split}_{name}": value for name, value in values.items()})
    metrics["improvement"] = (evaluation.get("comparison") or {}).get("improvement")
    current = evaluation.get("current") or {}
    decision = evaluation.get("decision") or {}
    tags = {
        "model": model,
        "execution": execution,
        "objective": evaluation.get("metric"),
        "registered": str(bool(decision.get("register"))).lower(),
        "decision": decision.get("reason", ""),
        "compared_with": current.get("version") or "none",
    }
    return params, metrics, tags


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m training.track", description="log the candidate to MLflow")
    parser.add_argument("--model", required=True)
    parser.add_argument("--execution", required=True, help="the pipeline execution id: the run's name")
    parser.add_argument("--candidate", required=True, help="the candidate's model.tar.gz (its training.json)")
    parser.add_argument("--evaluation", required=True, help="the evaluation step's output folder (evaluation.json)")
    parser.add_argument("--experiment", help="the MLflow experiment (default: MLFLOW_EXPERIMENT_NAME, else the model)")
    parser.add_argument("--tuning-job", help="the SageMaker tuning job whose trials become nested runs")
    parser.add_argument("--best-trial", help="the tuning job's best training job (the candidate), tagged best=true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    with open(os.path.join(args.evaluation, "evaluation.json"), encoding="utf-8") as f:
        evaluation = json.load(f)
    params, metrics, tags = run_contents(args.model, args.execution, training_record(args.candidate), evaluation)
    experiment = args.experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME") or args.model
    children = None
    if args.tuning_job:
        tags["tuning_job"] = args.tuning_job
        children = functools.partial(trials.read_trials, args.tuning_job, best=args.best_trial)
    run_id = tracking.log_run(experiment, args.execution, params, metrics, tags, children=children)
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "mlflow.json"), {"run_id": run_id or NOT_TRACKED, "experiment": experiment, "tracking_uri": os.environ.get("MLFLOW_TRACKING_URI") or None})
    print(f"{args.model}: {'run ' + run_id if run_id else 'not tracked'} ({len(params)} parameters, {len(metrics)} metrics)")


if __name__ == "__main__":
    main()
