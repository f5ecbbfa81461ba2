"""Production settings pass Django's deployment checks and refuse to start without their secrets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    env.update({"DJANGO_SETTINGS_MODULE": "lantern.settings.production", **env_overrides})
    return subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    """`manage.py check --deploy` reports nothing under production settings."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "LANTERN_SECRET_KEY": secrets.token_urlsafe(50),
            "LANTERN_AUDIT_KEY": secrets.token_urlsafe(32),
            "LANTERN_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secrets(tmp_path):
    """Without LANTERN_SECRET_KEY and LANTERN_AUDIT_KEY, production settings fail loudly."""
    result = _manage("check", env_overrides={"LANTERN_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "LANTERN_SECRET_KEY must be set" in result.stderr
