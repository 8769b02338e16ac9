"""A loopback server speaking the SageMaker control plane's wire protocol (AWS JSON 1.1: `POST /` with
`X-Amz-Target: SageMaker.<Operation>`, timestamps as epoch seconds) for ListTrainingJobsForHyperParameterTuningJob
(paged by MaxResults and NextToken) and DescribeTrainingJob, so the tests run the real boto3 client against it."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSageMaker:
    def __init__(self, tuning_job, jobs, page_size=2):
        """`jobs`: DescribeTrainingJob answers (with `TunedHyperParameters` and `ObjectiveStatus` for the summary)."""
        self.tuning_job = tuning_job
        self.jobs = jobs
        self.page_size = page_size
        self.calls = []
        self.failing = {}  # operation -> (status, error type, message)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                operation = self.headers.get("x-amz-target", "").removeprefix("SageMaker.")
                fake.calls.append({"operation": operation, "input": body, "authorization": self.headers.get("authorization", "")})
                status, answer, error = fake.answer(operation, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/x-amz-json-1.1")
                if error:
                    self.send_header("x-amzn-errortype", error)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def summary(self, job):
        keys = ["TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingStartTime", "TrainingEndTime", "TrainingJobStatus", "TunedHyperParameters", "FailureReason", "ObjectiveStatus"]
        summary = {k: job[k] for k in keys if k in job}
        summary["TuningJobName"] = self.tuning_job
        objective = next((m for m in job.get("FinalMetricDataList", []) if m["MetricName"].startswith("validation:")), None)
        if objective:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": objective["MetricName"], "Value": objective["Value"]}
        return summary

    def answer(self, operation, body):
        if operation in self.failing:
            status, error, message = self.failing[operation]
            return status, {"__type": error, "message": message}, error
        if operation == "ListTrainingJobsForHyperParameterTuningJob":
            if body.get("HyperParameterTuningJobName") != self.tuning_job:
                return 400, {"__type": "ResourceNotFound", "message": f"Amazon SageMaker can't find a tuning job with name {body.get('HyperParameterTuningJobName')}"}, "ResourceNotFound"
            # The service lists by name unless told otherwise; pages hold at most MaxResults (here also page_size).
            ordered = sorted(self.jobs, key=lambda j: j["TrainingJobName"])
            start = int(body.get("NextToken") or 0)
            size = min(self.page_size, int(body.get("MaxResults") or 10))
            page = {"TrainingJobSummaries": [self.summary(j) for j in ordered[start:start + size]]}
            if start + size < len(ordered):
                page["NextToken"] = str(start + size)
            return 200, page, None
        if operation == "DescribeTrainingJob":
            job = next((j for j in self.jobs if j["TrainingJobName"] == body.get("TrainingJobName")), None)
            if job is None:
                return 400, {"__type": "ValidationException", "message": "Requested resource not found."}, "ValidationException"
            return 200, {k: v for k, v in job.items() if k not in ("TunedHyperParameters", "ObjectiveStatus")}, None
        return 400, {"__type": "UnknownOperationException", "message": operation}, "UnknownOperationException"
