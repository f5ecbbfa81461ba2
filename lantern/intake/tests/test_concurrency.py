"""Concurrent duplicates with one Idempotency-Key create one referral (threads, real transactions).

On SQLite the requests run in a fresh interpreter against a database file: the test database lives in memory
with a shared cache, whose table locks behave nothing like the file locking Lantern relies on (WAL, IMMEDIATE
transactions, a busy timeout).
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.db import connection

from lantern.accounts.models import ApiToken, Role
from lantern.accounts.testing import UserFactory
from lantern.core.tests.idempotency_support import post_at_once
from lantern.intake.models import IdempotencyKey, Referral
from lantern.intake.tests.conftest import EXAMPLE_BODY
from lantern.intel.models import VehicleMention

THREADS = 6
KEY = "one-and-only"


def send_duplicates(token: str, threads: int = THREADS) -> dict:
    """Post the example body with one key from `threads` threads at once; the answers and what was stored."""
    answers, failures = post_at_once(
        token=token, url="/api/v1/referrals", body=EXAMPLE_BODY, key=KEY, threads=threads
    )
    return {
        "answers": answers,
        "failures": failures,
        "referrals": list(Referral.objects.values_list("pk", "reference")),
        "keys": list(IdempotencyKey.objects.values_list("referral_id", flat=True)),
        "vehicles": VehicleMention.objects.count(),
    }


def _check(outcome: dict) -> None:
    assert outcome["failures"] == []
    [(pk, reference)] = outcome["referrals"]
    assert outcome["keys"] == [pk]
    assert outcome["vehicles"] == 1
    assert [status for status, _ in outcome["answers"]] == [201] * THREADS, outcome["answers"]
    assert {(body["id"], body["reference"]) for _, body in outcome["answers"]} == {(pk, reference)}


def _token_for_new_user() -> str:
    user = UserFactory(username="integrator", role=Role.PRACTITIONER)
    raw = ApiToken.new_secret()
    ApiToken.objects.create(user=user, key_digest=ApiToken.digest(raw), key_hint=raw[:8])
    return raw


SQLITE_SCRIPT = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.apps import apps
    from django.db import connection
    from lantern.intake.tests import test_concurrency as t

    # Tables straight from the models, which is much faster than running every migration.
    with connection.schema_editor() as editor:
        for model in apps.get_models():
            editor.create_model(model)
    outcome = t.send_duplicates(t._token_for_new_user())
    outcome["journal_mode"] = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
    print(json.dumps(outcome))
    """
)


@pytest.mark.xdist_group("intake-concurrency")
def test_concurrent_duplicates_on_sqlite_create_one_referral(tmp_path):
    """Six clients send one request with one key at once to a SQLite file: one referral, six identical 201s."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lantern.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'intake.sqlite3'}",
        "LANTERN_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }
    completed = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["journal_mode"] == "wal"
    _check(outcome)


@pytest.mark.postgres
@pytest.mark.xdist_group("intake-concurrency")
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL to point at PostgreSQL")
def test_concurrent_duplicates_on_postgresql_create_one_referral():
    """Six clients send one request with one key at once: one referral, six identical 201s."""
    _check(send_duplicates(_token_for_new_user()))
