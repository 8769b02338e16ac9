import pytest
from training_helpers import ROWS, SEED

from training.train import train_model


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """Both demo models, trained once: {model: version folder}."""
    out = tmp_path_factory.mktemp("trained")
    return {model: train_model(model, str(out), version="2", seed=SEED, rows=ROWS) for model in ("churn", "sales-forecast")}
