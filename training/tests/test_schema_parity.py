"""training/schema.py must say what infra/config/demo.ts says: the same models, tasks and features in order."""
import json
import os
import subprocess

from training_helpers import REPO_ROOT

from training.schema import MODELS

SCRIPT = (
    "import { demoConfig } from './infra/config/demo';"
    "console.log(JSON.stringify(demoConfig.models.map((m) => ({ name: m.name, task: m.task, framework: m.framework, features: m.inputSchema?.features }))));"
)
FRAMEWORKS = {"churn": "xgboost-1.7", "sales-forecast": "sklearn-1.2"}


def test_training_schema_equals_the_demo_config():
    tsx = os.path.join(REPO_ROOT, "node_modules", ".bin", "tsx")
    result = subprocess.run([tsx, "-e", SCRIPT], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    demo = {m["name"]: m for m in json.loads(result.stdout)}
    assert sorted(demo) == sorted(MODELS)
    for name, spec in MODELS.items():
        assert demo[name]["task"] == spec["task"], name
        assert demo[name]["features"] == spec["features"], f"{name}: training/schema.py differs from infra/config/demo.ts"
        assert demo[name]["framework"] == FRAMEWORKS[name], f"{name}: trained with {FRAMEWORKS[name]}, the demo says {demo[name]['framework']}"
