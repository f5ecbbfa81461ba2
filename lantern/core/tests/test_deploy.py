"""Production settings pass Django's deployment checks and refuse to start without their secrets."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    env.update({"DJANGO_SETTINGS_MODULE": "lantern.settings.production", **env_overrides})
    return subprocess.run(
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
            "LANTERN_FIELD_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
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


def _with_secrets(tmp_path, **overrides) -> dict:
    return {
        "LANTERN_SECRET_KEY": secrets.token_urlsafe(50),
        "LANTERN_AUDIT_KEY": secrets.token_urlsafe(32),
        "LANTERN_VAR_DIR": str(tmp_path),
        **overrides,
    }


def test_production_refuses_to_start_without_a_field_key(tmp_path):
    """Without LANTERN_FIELD_KEY production refuses to start, saying so, even when a demo key file exists."""
    (tmp_path / "field.key").write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    result = _manage("check", env_overrides=_with_secrets(tmp_path))
    assert result.returncode != 0
    assert "LANTERN_FIELD_KEY must be set in production" in result.stderr


def test_production_refuses_a_malformed_field_key(tmp_path):
    """A field key that is not 32 bytes of URL-safe base64 is refused at start-up, not at the first write."""
    result = _manage(
        "check", env_overrides=_with_secrets(tmp_path, LANTERN_FIELD_KEY="correct horse battery")
    )
    assert result.returncode != 0
    assert "LANTERN_FIELD_KEY is not a valid field key" in result.stderr
