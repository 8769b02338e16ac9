"""Request bodies -> a pandas DataFrame with exactly the model's feature columns, validated against model.json.

Accepted bodies (both routes):
- `text/csv`: rows without a header, values in feature order, RFC 4180 quoting (a field with a comma, quote or
  line break is quoted, quotes doubled). An empty field is a missing value.
- `application/json`: `{"instances": [[...], ...]}`, `{"instances": [{"feature": value, ...}, ...]}` or a bare
  list of such rows (Vertex AI's `parameters` key is accepted and ignored). null or "" is a missing value.

Numeric features become float64 (NaN when missing); categorical features become text (None when missing; a
number given for a category is converted to text: 17 -> "17", as the inference API does). Every rejection is a
RequestError naming the row (1-based) and the feature.
"""
import csv
import io
import json
import math

import numpy as np
import pandas as pd


class RequestError(Exception):
    def __init__(self, status, code, message, row=None, feature=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.row = row
        self.feature = feature

    def body(self):
        error = {"code": self.code, "message": self.message}
        if self.row is not None:
            error["row"] = self.row
        if self.feature is not None:
            error["feature"] = self.feature
        return {"error": error}


def _schema_error(message, row=None, feature=None):
    where = ", ".join(part for part in (f"row {row}" if row is not None else "", f"feature {feature}" if feature else "") if part)
    return RequestError(422, "SchemaMismatch", f"{where}: {message}" if where else message, row, feature)


def _describe(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    text = value if isinstance(value, str) else json.dumps(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _number(value, row, feature):
    if value is None or value == "":
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _schema_error(f"expected a number, got {_describe(value)}", row, feature)
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise _schema_error(f"expected a number, got {_describe(value)}", row, feature) from None
    if not math.isfinite(number):  # "nan", "inf" and 1e999 parse, but no model input is infinite
        raise _schema_error(f"expected a finite number, got {_describe(value)}", row, feature)
    return number


def _category(value, row, feature):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        raise _schema_error(f"expected a category (text or a number), got {_describe(value)}", row, feature)
    # JavaScript's String(17.0) is "17": match the inference API, which sends such codes as text.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Schema:
    """The model's features, compiled once per model."""

    def __init__(self, features):
        self.features = [(f["name"], f["type"]) for f in features]
        self.names = [name for name, _ in self.features]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.expected = ", ".join(self.names)

    def frame(self, rows):
        """rows: lists of raw values in feature order (already of the right length)."""
        columns = {}
        for j, (name, kind) in enumerate(self.features):
            convert = _number if kind == "numeric" else _category
            values = [convert(row[j], i + 1, name) for i, row in enumerate(rows)]
            columns[name] = np.asarray(values, dtype=np.float64) if kind == "numeric" else pd.array(values, dtype=object)
        return pd.DataFrame(columns, columns=self.names)

    def _row_values(self, row, i):
        if isinstance(row, list):
            if len(row) != len(self.names):
                raise _schema_error(f"expected {len(self.names)} values ({self.expected}), got {len(row)}", i + 1)
            return row
        if isinstance(row, dict):
            for key in row:
                if key not in self.index:
                    raise _schema_error(f"unknown feature {key!r}, expected {self.expected}", i + 1, key)
            missing = [name for name in self.names if name not in row]
            if missing:
                raise _schema_error(f"missing feature(s) {', '.join(missing)} (send null for a missing value)", i + 1, missing[0])
            return [row[name] for name in self.names]
        raise _schema_error(f"expected a row (a list of {len(self.names)} values or an object of features), got {_describe(row)}", i + 1)

    def from_json(self, body):
        try:
            doc = json.loads(body)
        except UnicodeDecodeError as err:
            raise RequestError(400, "MalformedJson", f"body is not UTF-8 ({err.reason} at byte {err.start})") from err
        except ValueError as err:
            raise RequestError(400, "MalformedJson", f"body is not valid JSON: {err}") from err
        if isinstance(doc, dict):
            if "instances" not in doc:
                raise RequestError(400, "BadRequest", 'expected {"instances": [...]} or a list of rows')
            extra = [k for k in doc if k not in ("instances", "parameters")]
            if extra:
                raise RequestError(400, "BadRequest", f"unknown key(s) {', '.join(map(repr, extra))}: expected instances (and optionally parameters)")
            instances = doc["instances"]
        else:
            instances = doc
        if not isinstance(instances, list):
            raise RequestError(400, "BadRequest", f"instances: expected a list of rows, got {_describe(instances)}")
        if not instances:
            raise RequestError(400, "BadRequest", "instances: expected at least one row")
        if not isinstance(instances[0], (list, dict)):
            raise _schema_error(
                f"expected a row (a list of {len(self.names)} values or an object of features), got {_describe(instances[0])}; "
                "wrap a single row in a list",
                1,
            )
        return self.frame([self._row_values(row, i) for i, row in enumerate(instances)])

    def from_csv(self, body):
        try:
            text = body.decode("utf-8-sig")  # tolerate a byte order mark
        except UnicodeDecodeError as err:
            raise RequestError(400, "MalformedCsv", f"body is not UTF-8 ({err.reason} at byte {err.start})") from err
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        rows = []
        try:
            for record in reader:
                if not record:
                    continue  # a blank line (such as the trailing newline)
                i = len(rows)
                if len(record) != len(self.names):
                    raise _schema_error(f"expected {len(self.names)} values ({self.expected}), got {len(record)}", i + 1)
                if i == 0 and record == self.names:
                    raise _schema_error("looks like a header: send rows without one", 1)
                rows.append(record)
        except csv.Error as err:
            raise RequestError(400, "MalformedCsv", f"row {len(rows) + 1} (line {reader.line_num}): {err}", len(rows) + 1) from err
        if not rows:
            raise RequestError(400, "BadRequest", "body: expected at least one CSV row")
        return self.frame(rows)
