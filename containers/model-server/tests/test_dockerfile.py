"""The Dockerfile's promises, checked without a Docker engine: a slim bookworm Python 3.11 base, a non-root user, a
health check, port 8080, an exec-form ENTRYPOINT on an executable launcher, and requirements pinned with == to
the versions these tests run with (so the pickled models load in the image as they do here)."""
import importlib.metadata
import os
import re
import stat
import subprocess

from server_helpers import SERVER_DIR

# Pins that cannot equal Debian's: Debian runs fastapi 0.92.0 with starlette 0.26.1, PyPI's fastapi 0.92.0 needs <0.26.
DELIBERATE = {"starlette": "0.25.0"}


def read(name):
    with open(os.path.join(SERVER_DIR, name), encoding="utf-8") as f:
        return f.read()


def instructions():
    text = re.sub(r"\\\n", " ", read("Dockerfile"))
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_base_image_is_slim_bookworm_python_3_11():
    assert [i for i in instructions() if i.startswith("FROM ")] == ["FROM python:3.11-slim-bookworm"]


def test_runs_as_a_non_root_user():
    users = [i.split()[1] for i in instructions() if i.startswith("USER ")]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_health_check_port_and_exec_form_entrypoint():
    lines = instructions()
    health = [i for i in lines if i.startswith("HEALTHCHECK ")]
    assert health and "healthcheck.py" in health[0]
    assert "EXPOSE 8080" in lines
    entry = [i for i in lines if i.startswith("ENTRYPOINT ")]
    assert entry == ['ENTRYPOINT ["/opt/model-server/serve"]']
    assert not any(i.startswith("CMD ") for i in lines), "SageMaker replaces CMD with `serve`; Vertex AI passes none"
    copied = " ".join(i for i in lines if i.startswith("COPY "))
    for name in ("requirements.txt", "model_server/", "serve", "healthcheck.py"):
        assert name in copied


def test_the_launcher_exists_and_is_executable():
    path = os.path.join(SERVER_DIR, "serve")
    assert os.stat(path).st_mode & stat.S_IXUSR
    # An argument other than SageMaker's `serve` is refused (configuration comes from the environment).
    result = subprocess.run([path, "serve", "--port", "1"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "unexpected argument(s) --port 1" in result.stderr


def test_requirements_are_pinned_to_the_versions_the_tests_run_with():
    pins = {}
    for line in read("requirements.txt").splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep == "==" and version and not re.search(r"[<>~!*,;\s]", version), f"not pinned with ==: {line}"
        pins[name] = version
    for name in ("scikit-learn", "xgboost", "numpy", "scipy", "pandas", "joblib", "fastapi", "uvicorn"):
        assert name in pins, f"{name} is not pinned"
    for name, version in pins.items():
        installed = importlib.metadata.version(name)
        if name in DELIBERATE:
            assert version == DELIBERATE[name]
        else:
            assert version == installed, f"requirements.txt pins {name}=={version}, the tests run with {installed}"


def test_dockerignore_keeps_tests_out_of_the_image():
    ignored = read(".dockerignore").split()
    assert "tests/" in ignored and "**/__pycache__/" in ignored
