"""Both container contracts end to end over real HTTP against the server process and real trained models: the
served predictions equal the model's own predict_proba(df)[:, 1] / predict(df) on the same rows."""
import csv
import io
import json

import numpy as np
import pytest
from server_helpers import call

from training import artifact, data
from training.schema import spec


def reference(registry, model, frame):
    """The model's own answer, loaded by the training code (not the server's loader)."""
    estimator, meta = artifact.load_model(str(registry / model / "1" / "model.tar.gz"))
    df = artifact.features_frame(frame, spec(model)["features"])
    return estimator.predict_proba(df)[:, 1] if meta["task"] == "classification" else estimator.predict(df)


def window(model, rows=60, shifted=False, seed=99):
    """Rows of the model's features; the first two carry a missing number and a missing category."""
    frame = data.generate(model, rows, seed, shifted)[[f["name"] for f in spec(model)["features"]]].copy()
    numeric = next(f["name"] for f in spec(model)["features"] if f["type"] == "numeric")
    categorical = next(f["name"] for f in spec(model)["features"] if f["type"] == "categorical")
    frame.loc[0, numeric] = np.nan
    if rows > 1:
        frame.loc[1, categorical] = None
    return frame


def csv_body(frame):
    """Rows without a header, RFC 4180 quoting, empty field for a missing value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in frame.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row])
    return out.getvalue()


def json_rows(frame):
    return [[None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row] for row in frame.itertuples(index=False)]


def predictions(status, headers, body):
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    return np.array(json.loads(body)["predictions"], dtype=np.float64)


def test_sagemaker_ping_answers_200_once_the_model_is_loaded(churn_server):
    status, _, body = call("GET", churn_server.url + "/ping")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "model": "churn", "version": "1"}


@pytest.mark.parametrize("shifted", [False, True])
def test_sagemaker_csv_predictions_equal_the_models_own(churn_server, registry, shifted):
    frame = window("churn", shifted=shifted)
    assert frame.isna().any().any(), "the window should carry missing values"
    got = predictions(*call("POST", churn_server.url + "/invocations", csv_body(frame), {"Content-Type": "text/csv"}))
    want = reference(registry, "churn", frame)
    assert len(got) == len(frame)
    np.testing.assert_array_equal(got, want)
    assert ((got > 0) & (got < 1)).all()


def test_sagemaker_json_lists_objects_and_bare_rows_give_the_same_predictions(churn_server, registry):
    frame = window("churn", rows=25)
    want = reference(registry, "churn", frame)
    rows = json_rows(frame)
    objects = [dict(zip(frame.columns, row)) for row in rows]
    for body in ({"instances": rows}, {"instances": objects}, rows):
        got = predictions(*call("POST", churn_server.url + "/invocations", json.dumps(body), {"Content-Type": "application/json"}))
        np.testing.assert_array_equal(got, want)


def test_sagemaker_accept_text_csv_answers_one_prediction_per_line(churn_server, registry):
    frame = window("churn", rows=10)
    status, headers, body = call(
        "POST", churn_server.url + "/invocations", csv_body(frame), {"Content-Type": "text/csv; charset=utf-8", "Accept": "text/csv"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    lines = body.decode().split("\n")
    assert lines[-1] == "" and len(lines) == 11
    np.testing.assert_array_equal([float(x) for x in lines[:-1]], reference(registry, "churn", frame))


def test_the_inference_apis_accept_header_gets_json(churn_server):
    # lambdas/inference/aws/sagemaker.ts sends "Accept: application/json, text/csv".
    status, headers, _ = call(
        "POST", churn_server.url + "/invocations", "3,89.55,263.11,1,month-to-month,electronic-check,fiber\n", {"Content-Type": "text/csv", "Accept": "application/json, text/csv"}
    )
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    status, headers, _ = call(
        "POST", churn_server.url + "/invocations", "3,89.55,263.11,1,month-to-month,electronic-check,fiber\n", {"Content-Type": "text/csv", "Accept": "application/json;q=0.5, text/csv"}
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")


def test_rfc4180_quoted_categories_and_unseen_categories_are_served(churn_server, registry):
    frame = window("churn", rows=3)
    frame.loc[0, "internet_service"] = 'fiber, "gigabit"'  # comma and quotes: quoted, quotes doubled
    frame.loc[1, "payment_method"] = "wire\ntransfer"  # a line break inside a quoted field
    got = predictions(*call("POST", churn_server.url + "/invocations", csv_body(frame), {"Content-Type": "text/csv"}))
    np.testing.assert_array_equal(got, reference(registry, "churn", frame))


def test_a_single_row_and_a_batch_give_the_same_prediction_for_a_row(churn_server):
    frame = window("churn", rows=100)
    batch = predictions(*call("POST", churn_server.url + "/invocations", csv_body(frame), {"Content-Type": "text/csv"}))
    single = predictions(*call("POST", churn_server.url + "/invocations", csv_body(frame.iloc[[37]]), {"Content-Type": "text/csv"}))
    assert single[0] == batch[37]


def test_vertex_health_route_and_predict_route(vertex_sales_server, registry):
    status, _, body = call("GET", vertex_sales_server.url + "/v1/health")
    assert status == 200 and json.loads(body)["model"] == "sales-forecast"
    frame = window("sales-forecast", rows=40, shifted=True)
    route = "/v1/endpoints/123/deployedModels/456:predict"
    got = predictions(*call("POST", vertex_sales_server.url + route, json.dumps({"instances": json_rows(frame), "parameters": {}}), {"Content-Type": "application/json"}))
    np.testing.assert_array_equal(got, reference(registry, "sales-forecast", frame))
    # The same server also answers SageMaker's routes.
    assert call("GET", vertex_sales_server.url + "/ping")[0] == 200


def test_vertex_model_came_from_aip_storage_uri_with_a_metadata_token(vertex_sales_server):
    downloads = [r for r in vertex_sales_server.gcs.requests if r["path"].startswith("/storage/v1/b/vertex-copy/o/")]
    paths = sorted(r["path"] for r in downloads)
    # model.tar.gz first (absent here), then the extracted files; object names URL-encoded.
    assert paths == sorted(
        [
            "/storage/v1/b/vertex-copy/o/models%2Fsales-forecast%2F1%2Fmodel.tar.gz",
            "/storage/v1/b/vertex-copy/o/models%2Fsales-forecast%2F1%2Fmodel.joblib",
            "/storage/v1/b/vertex-copy/o/models%2Fsales-forecast%2F1%2Fmodel.json",
        ]
    )
    assert all(r["headers"].get("Authorization") == "Bearer ya29.test-token" for r in downloads)
    assert any(r["path"].endswith("/service-accounts/default/token") for r in vertex_sales_server.gcs.requests)
    # The download is removed once the model is in memory (it used to stay in the temporary folder forever).
    assert list(vertex_sales_server.scratch.iterdir()) == []


def test_vertex_numbers_for_a_categorical_are_its_text(vertex_sales_server, registry):
    frame = window("sales-forecast", rows=5)
    frame["store_id"] = ["17", "3", "17", "20", "1"]
    rows = json_rows(frame)
    as_numbers = [[int(row[0]), *row[1:]] for row in rows]  # store 17 sent as the number 17
    route = "/v1/endpoints/123/deployedModels/456:predict"
    got = predictions(*call("POST", vertex_sales_server.url + route, json.dumps({"instances": as_numbers}), {"Content-Type": "application/json"}))
    np.testing.assert_array_equal(got, reference(registry, "sales-forecast", frame))


def test_logs_are_json_lines_without_payloads(churn_server):
    marker = "zz-private-value-42"
    call("POST", churn_server.url + "/invocations", f"3,89.55,263.11,1,{marker},electronic-check,fiber\n", {"Content-Type": "text/csv"})
    call("POST", churn_server.url + "/invocations", f"3,89.55,{marker},1,a,b,c\n", {"Content-Type": "text/csv"})
    text = churn_server.logs()
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(e["message"] == "model loaded" for e in entries)
    assert any(e["message"] == "prediction" and e["status"] == 200 for e in entries)
    assert marker not in text
