"""Shared by the training tests (conftest.py is not importable by name when pytest also collects other suites)."""
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

# The session's trained models: rows of synthetic data per model and the seed.
ROWS, SEED = 1600, 3
