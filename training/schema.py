"""The demo models' input schemas, task and target column.

The feature lists mirror `infra/config/demo.ts` (`models[].inputSchema.features`, same order);
training/tests/test_schema_parity.py fails when the two differ. They live here as well because the data
generators below are written per feature, and because the container and `python3 -m training.data` must run
without Node.js.
"""

MODELS = {
    "churn": {
        "task": "classification",
        "target": "churned",
        "features": [
            {"name": "tenure_months", "type": "numeric"},
            {"name": "monthly_charges", "type": "numeric"},
            {"name": "total_charges", "type": "numeric"},
            {"name": "support_calls", "type": "numeric"},
            {"name": "contract", "type": "categorical"},
            {"name": "payment_method", "type": "categorical"},
            {"name": "internet_service", "type": "categorical"},
        ],
    },
    "sales-forecast": {
        "task": "regression",
        "target": "units_sold",
        "features": [
            {"name": "store_id", "type": "categorical"},
            {"name": "week_of_year", "type": "numeric"},
            {"name": "promo", "type": "categorical"},
            {"name": "price", "type": "numeric"},
            {"name": "sales_lag_1w", "type": "numeric"},
            {"name": "sales_lag_52w", "type": "numeric"},
        ],
    },
}


def spec(model):
    """The schema of one demo model; a clear error names the known ones."""
    if model not in MODELS:
        raise SystemExit(f"unknown model {model!r}: expected one of {', '.join(MODELS)}")
    return MODELS[model]


def feature_names(model):
    return [f["name"] for f in spec(model)["features"]]


def categorical_features(model):
    return [f["name"] for f in spec(model)["features"] if f["type"] == "categorical"]


def numeric_features(model):
    return [f["name"] for f in spec(model)["features"] if f["type"] == "numeric"]
