"""Bad requests get a 4xx with {"error": {"code", "message", "row"?, "feature"?}} naming the row (1-based) and the
feature; never a 500, never a trace. Over real HTTP against the churn server (max body 200000 bytes)."""
import http.client
import json

import pytest
from server_helpers import call

GOOD = "3,89.55,263.11,1,month-to-month,electronic-check,fiber"
FEATURES = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "contract", "payment_method", "internet_service"]
GOOD_OBJECT = dict(zip(FEATURES, [3, 89.55, 263.11, 1, "month-to-month", "electronic-check", "fiber"]))


def rejected(server, body, content_type="text/csv", status=422, code="SchemaMismatch", row=None, feature=None, headers=None, path="/invocations"):
    got_status, got_headers, raw = call("POST", server.url + path, body, {"Content-Type": content_type, **(headers or {})} if content_type else headers or {})
    assert got_status == status, raw
    assert got_headers["Content-Type"].startswith("application/json")
    error = json.loads(raw)["error"]
    assert error["code"] == code
    assert error.get("row") == row
    assert error.get("feature") == feature
    assert "Traceback" not in error["message"]
    return error["message"]


def test_csv_row_with_too_few_values_names_the_row_and_the_expected_features(churn_server):
    message = rejected(churn_server, f"{GOOD}\n{GOOD}\n3,89.55,263.11,1,month-to-month,fiber\n", row=3)
    assert message == f"row 3: expected 7 values ({', '.join(FEATURES)}), got 6"


def test_json_row_with_too_many_values(churn_server):
    rows = [GOOD.split(","), GOOD.split(",") + ["extra"]]
    rejected(churn_server, json.dumps({"instances": rows}), "application/json", row=2)


def test_non_numeric_value_for_a_numeric_feature(churn_server):
    message = rejected(churn_server, f"{GOOD}\n3,lots,263.11,1,month-to-month,electronic-check,fiber\n", row=2, feature="monthly_charges")
    assert message == "row 2, feature monthly_charges: expected a number, got 'lots'"
    bad = dict(GOOD_OBJECT, support_calls=True)
    rejected(churn_server, json.dumps({"instances": [bad]}), "application/json", row=1, feature="support_calls")
    bad = dict(GOOD_OBJECT, tenure_months="nan")
    assert "finite" in rejected(churn_server, json.dumps({"instances": [bad]}), "application/json", row=1, feature="tenure_months")


def test_a_list_or_object_for_a_category(churn_server):
    bad = dict(GOOD_OBJECT, contract=["month-to-month"])
    rejected(churn_server, json.dumps({"instances": [GOOD_OBJECT, bad]}), "application/json", row=2, feature="contract")


def test_unknown_and_missing_keys_in_object_instances(churn_server):
    unknown = dict(GOOD_OBJECT, tenure=3)
    assert "unknown feature 'tenure'" in rejected(churn_server, json.dumps({"instances": [unknown]}), "application/json", row=1, feature="tenure")
    missing = {k: v for k, v in GOOD_OBJECT.items() if k != "payment_method"}
    message = rejected(churn_server, json.dumps({"instances": [GOOD_OBJECT, missing]}), "application/json", row=2, feature="payment_method")
    assert "send null for a missing value" in message


def test_null_and_empty_fields_are_missing_values_not_errors(churn_server):
    status, _, body = call("POST", churn_server.url + "/invocations", "3,89.55,,1,month-to-month,,fiber\n", {"Content-Type": "text/csv"})
    assert status == 200, body
    nulls = dict(GOOD_OBJECT, total_charges=None, payment_method=None)
    status, _, body = call("POST", churn_server.url + "/invocations", json.dumps({"instances": [nulls]}), {"Content-Type": "application/json"})
    assert status == 200, body


@pytest.mark.parametrize("body", ["", "\n\n", "   "])
def test_empty_body(churn_server, body):
    rejected(churn_server, body, status=400, code="BadRequest")


def test_empty_instances(churn_server):
    rejected(churn_server, json.dumps({"instances": []}), "application/json", status=400, code="BadRequest")


def test_malformed_csv_names_the_row(churn_server):
    message = rejected(churn_server, f'{GOOD}\n3,89.55,263.11,1,"month"-to-month,electronic-check,fiber\n', status=400, code="MalformedCsv", row=2)
    assert message.startswith("row 2")
    rejected(churn_server, f'{GOOD}\n3,89.55,263.11,1,"month-to-month,electronic-check,fiber\n', status=400, code="MalformedCsv", row=2)


def test_malformed_json(churn_server):
    rejected(churn_server, '{"instances": [[1, 2', "application/json", status=400, code="MalformedJson")


def test_json_shapes_that_are_not_rows(churn_server):
    rejected(churn_server, json.dumps({"rows": [GOOD_OBJECT]}), "application/json", status=400, code="BadRequest")
    rejected(churn_server, json.dumps({"instances": GOOD_OBJECT}), "application/json", status=400, code="BadRequest")
    assert "wrap a single row in a list" in rejected(churn_server, json.dumps(GOOD.split(",")), "application/json", row=1)
    rejected(churn_server, json.dumps({"instances": [GOOD_OBJECT, "x"]}), "application/json", row=2)


def test_a_csv_header_row_is_refused(churn_server):
    assert "header" in rejected(churn_server, ",".join(FEATURES) + "\n" + GOOD + "\n", row=1)


def test_body_that_is_not_utf8(churn_server):
    rejected(churn_server, b"3,89.55,263.11,1,\xff\xfe,electronic-check,fiber\n", status=400, code="MalformedCsv")


def test_unsupported_content_type_is_415(churn_server):
    assert "text/csv or application/json" in rejected(churn_server, GOOD, "application/x-protobuf", status=415, code="UnsupportedMediaType")


def test_unacceptable_accept_is_406(churn_server):
    rejected(churn_server, GOOD, status=406, code="NotAcceptable", headers={"Accept": "application/xml"})


def test_body_over_the_limit_is_413(churn_server):
    body = (GOOD + "\n") * 4000  # ~220 KB > MAX_BODY_BYTES=200000
    assert "200000" in rejected(churn_server, body, status=413, code="PayloadTooLarge")


def test_unknown_route_and_wrong_method_answer_json(churn_server):
    status, _, body = call("GET", churn_server.url + "/nope")
    assert status == 404 and json.loads(body)["error"]["code"] == "NotFound"
    status, _, body = call("GET", churn_server.url + "/invocations")
    assert status == 405 and json.loads(body)["error"]["code"] == "MethodNotAllowed"


def test_vertex_route_rejects_bad_input_the_same_way(vertex_sales_server):
    route = "/v1/endpoints/123/deployedModels/456:predict"
    message = rejected(vertex_sales_server, json.dumps({"instances": [["17", 12, "none", "cheap", 100, 90]]}), "application/json", row=1, feature="price", path=route)
    assert message == "row 1, feature price: expected a number, got 'cheap'"
    # Vertex AI sends JSON; a request without a Content-Type is read as JSON.
    # (http.client: urllib would add a form Content-Type.)
    connection = http.client.HTTPConnection("127.0.0.1", vertex_sales_server.port, timeout=30)
    connection.request("POST", route, body=json.dumps({"instances": [["17", 12, "none", 9.5, 100, None]]}).encode())
    response = connection.getresponse()
    assert response.status == 200, response.read()
    connection.close()


def test_the_server_log_has_no_trace_for_bad_input(churn_server):
    rejected(churn_server, "1,2\n", row=1)
    assert "Traceback" not in churn_server.logs()
