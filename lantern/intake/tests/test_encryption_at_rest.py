"""Issue 16's test of done: on a fresh install as `make run` makes it (its key file, its migrations, SQLite in WAL
mode), a referral's summary sent through the API is in neither the database file nor its WAL, and reads back.

It runs in a process of its own under the development settings, against a file in a temporary directory, because
the test database is in memory. A control string sent in an unencrypted column of the same request must be found
in those bytes, so the search is shown to work.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SUMMARY = "Zephyrine Quillfeather, 14, was collected from the lido by a man in a teal van."
CONTROL = "Quillfeather Lido Control Marker 7731"

# Run inside the fresh install: a user with a token sends the referral, reads it back, and then, with the
# connection still open (so the WAL has not been checkpointed away), the files' bytes are searched.
SCRIPT = """
import json, sys
from pathlib import Path

import django

django.setup()
from django.conf import settings
from django.db import connection
from django.test import Client

from lantern.accounts.models import AgencyKind, ApiToken, Role
from lantern.accounts.testing import AgencyFactory, TeamFactory, UserFactory

summary, control = sys.argv[1], sys.argv[2]
agency = AgencyFactory(kind=AgencyKind.POLICE)
user = UserFactory(username="officer", role=Role.PRACTITIONER, agency=agency, team=TeamFactory(agency=agency))
raw = ApiToken.new_secret()
ApiToken.objects.create(user=user, key_digest=ApiToken.digest(raw), key_hint=raw[:8])
client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", SERVER_NAME="localhost")
body = {"source": "professional", "summary": summary, "incident_location": control}
created = client.post("/api/v1/referrals", data=json.dumps(body), content_type="application/json")
assert created.status_code == 201, created.content
read = client.get(f"/api/v1/referrals/{created.json()['id']}").json()
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
database = Path(settings.DATABASES["default"]["NAME"])
wal = Path(str(database) + "-wal")
files = {"db": database.read_bytes(), "wal": wal.read_bytes() if wal.exists() else b""}
found = {
    name: {"summary": summary.encode() in data, "control": control.encode() in data, "size": len(data)}
    for name, data in files.items()
}
print(json.dumps({"mode": mode, "found": found, "summary_read": read["summary"]}))
"""


def _run(*args, env):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_a_fresh_install_keeps_the_summary_out_of_the_database_and_its_wal(tmp_path):
    """The summary's bytes are absent from the SQLite file and its WAL, the control string is present, and the
    API reads the summary back."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_") and k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="lantern.settings.dev", LANTERN_VAR_DIR=str(tmp_path), LANTERN_DEMO="1")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for step in (["field_key", "--create"], ["migrate", "--no-input"]):
        result = _run(*manage, *step, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "field.key").is_file()

    result = _run(sys.executable, "-c", SCRIPT, SUMMARY, CONTROL, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["mode"] == "wal"
    assert report["found"]["wal"]["size"] > 0, (
        "the WAL should hold the new rows, so searching it means something"
    )
    assert report["found"]["db"]["control"] or report["found"]["wal"]["control"]
    assert not report["found"]["db"]["summary"]
    assert not report["found"]["wal"]["summary"]
    assert report["summary_read"] == SUMMARY
