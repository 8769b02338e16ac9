"""Training code for the demo models (churn, sales-forecast): seeded synthetic data, training, evaluation and the
model artifact contract (docs/models.md). Run with Debian's Python: `/usr/bin/python3 -m training.train --out DIR`."""
