"""Seeded synthetic data with the demo models' input schemas and a plausible signal.

`shifted=True` draws a deliberately different window (other numeric distributions and category mix), the kind
of traffic the drift check must flag. A few values are missing on purpose (NaN for numbers, None for categories):
the model's pipeline imputes them.

    /usr/bin/python3 -m training.data --model churn --rows 400 --seed 11 [--shifted] --out window.csv

writes a CSV with a header: the features in schema order, then the target column.
"""
import argparse

import numpy as np
import pandas as pd

from training.schema import categorical_features, feature_names, spec

CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENTS = ["electronic-check", "mailed-check", "bank-transfer", "credit-card"]
INTERNET = ["fiber", "dsl", "none"]
PROMOS = ["none", "discount", "bundle"]
STORES = [str(i) for i in range(1, 21)]  # store codes: the API also accepts them as numbers and sends them as text


def _with_missing(rng, values, share):
    """Blanks out about `share` of the values (NaN for floats, None for objects)."""
    mask = rng.random(len(values)) < share
    out = values.astype(object) if values.dtype == object else values.astype(float)
    out[mask] = None if values.dtype == object else np.nan
    return out


def churn(rows, rng, shifted=False):
    contract = rng.choice(CONTRACTS, rows, p=[0.8, 0.12, 0.08] if shifted else [0.5, 0.28, 0.22])
    payment = rng.choice(PAYMENTS, rows, p=[0.6, 0.1, 0.15, 0.15] if shifted else [0.3, 0.2, 0.25, 0.25])
    internet = rng.choice(INTERNET, rows, p=[0.7, 0.25, 0.05] if shifted else [0.4, 0.4, 0.2])
    tenure = np.clip(np.round(rng.gamma(1.5 if shifted else 2.0, 6.0 if shifted else 12.0, rows)), 0, 72)
    base_charge = np.select([internet == "fiber", internet == "dsl"], [85.0, 55.0], 25.0) + (15.0 if shifted else 0.0)
    monthly = np.round(np.clip(base_charge + rng.normal(0, 12, rows), 18, 140), 2)
    total = np.round(monthly * tenure * rng.normal(1.0, 0.05, rows), 2)
    logit = (
        -1.2
        + 1.4 * (contract == "month-to-month")
        - 1.0 * (contract == "two-year")
        - 0.05 * tenure
        + 0.02 * (monthly - 65)
        + 0.6 * (payment == "electronic-check")
        + 0.4 * (internet == "fiber")
    )
    # Unhappy customers call support more often, so calls carry signal without being the label itself.
    churn_prone = rng.random(rows) < 1 / (1 + np.exp(-logit))
    support = rng.poisson(np.where(churn_prone, 2.5, 0.8) * (1.6 if shifted else 1.0))
    logit = logit + 0.45 * support - 0.45 * np.where(churn_prone, 2.5, 0.8)
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "total_charges": _with_missing(rng, total, 0.02),
            "support_calls": support.astype(float),
            "contract": contract.astype(object),
            "payment_method": _with_missing(rng, payment.astype(object), 0.01),
            "internet_service": internet.astype(object),
            "churned": churned,
        }
    )


def sales_forecast(rows, rng, shifted=False):
    # Store sizes are fixed (not drawn from the window's rng), so every window sees the same stores.
    store_level = dict(zip(STORES, np.random.default_rng(20240601).uniform(40, 160, len(STORES))))
    store_p = np.ones(len(STORES))
    if shifted:
        store_p[14:] = 6.0  # the newest stores dominate the window
    store = rng.choice(STORES, rows, p=store_p / store_p.sum())
    week = rng.integers(1, 53, rows)
    promo = rng.choice(PROMOS, rows, p=[0.35, 0.4, 0.25] if shifted else [0.7, 0.2, 0.1])
    price = np.round(rng.normal(12.0 if shifted else 10.0, 1.2, rows), 2)
    level = np.array([store_level[s] for s in store]) * (1.25 if shifted else 1.0)

    def season(w):
        return 1 + 0.3 * np.sin(2 * np.pi * (w - 10) / 52)

    lag_52w = level * season(week) * rng.lognormal(0, 0.1, rows)
    lag_1w = level * season(week - 1) * rng.lognormal(0, 0.1, rows)
    lift = np.select([promo == "discount", promo == "bundle"], [1.3, 1.5], 1.0)
    units = 0.5 * lag_52w + 0.5 * lag_1w
    units = units * lift * (price / 10.0) ** -1.5 * rng.lognormal(0, 0.08, rows)
    return pd.DataFrame(
        {
            "store_id": store.astype(object),
            "week_of_year": week.astype(float),
            "promo": _with_missing(rng, promo.astype(object), 0.01),
            "price": price,
            "sales_lag_1w": np.round(lag_1w, 1),
            "sales_lag_52w": _with_missing(rng, np.round(lag_52w, 1), 0.03),
            "units_sold": np.round(units, 1),
        }
    )


GENERATORS = {"churn": churn, "sales-forecast": sales_forecast}


def generate(model, rows, seed, shifted=False):
    """`rows` rows of `model`'s features (schema order) and its target; the same arguments give the same frame."""
    spec(model)
    if rows < 1:
        raise SystemExit(f"--rows: expected a positive number, got {rows}")
    frame = GENERATORS[model](rows, np.random.default_rng(seed), shifted)
    return frame[feature_names(model) + [spec(model)["target"]]]


def write_csv(frame, path):
    """Missing values are empty fields; categories are written as text (quoted where RFC 4180 needs it)."""
    frame.to_csv(path, index=False, na_rep="", lineterminator="\n", float_format="%.10g")


def read_csv(path, model):
    """Reads a CSV written by `write_csv`: categories as text (None when empty), numbers as float64 (NaN)."""
    categorical = categorical_features(model)
    frame = pd.read_csv(path, dtype={name: str for name in categorical}, keep_default_na=False, na_values=[""])
    for name in categorical:
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m training.data", description="write a synthetic data window as CSV")
    parser.add_argument("--model", required=True, help="churn or sales-forecast")
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--shifted", action="store_true", help="draw a deliberately shifted window")
    parser.add_argument("--out", required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    write_csv(generate(args.model, args.rows, args.seed, args.shifted), args.out)


if __name__ == "__main__":
    main()
