"""Production settings refuse to start without their secrets, naming the missing variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FULL = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "clinic.example",
    "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
}


def start_production(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in FULL}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", list(FULL))
def test_production_refuses_to_start_without(missing):
    result = start_production({k: v for k, v in FULL.items() if k != missing})
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_starts_with_every_variable_set():
    result = start_production(FULL)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
