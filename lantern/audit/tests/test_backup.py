"""`lantern backup` and `lantern restore`: a backup restored into a new database verifies against its checkpoints.

The restore runs as an operator would run it, as `lantern restore` in a process of its own pointed at the new
database, on whichever database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL set).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from lantern.audit.checkpoints import checkpoint_write
from lantern.audit.models import ChainHead
from lantern.audit.tests.conftest import append_events
from lantern.core.identity import database_id


def lantern(*args: str, database_url: str, checkpoints: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run `lantern ARGS` against another database and checkpoint directory, as an operator would."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lantern.settings.dev",
        "DATABASE_URL": database_url,
        "LANTERN_CHECKPOINT_DIR": str(checkpoints),
        "LANTERN_AUDIT_KEY": settings.AUDIT_KEY,
        "LANTERN_VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.run(
        [sys.executable, "-m", "lantern.cli", *args], env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def new_database(tmp_path):
    """The URL of a new, empty database on the same server as the suite's (or a new SQLite file)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    params = connection.settings_dict
    name = f"{params['NAME']}_restored"
    server = {k: params[k.upper()] for k in ("host", "port", "user", "password") if params.get(k.upper())}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    yield f"postgres://{params['USER']}{password}@{params['HOST'] or 'localhost'}:{params['PORT'] or 5432}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_new_database_verifies_against_its_checkpoints(tmp_path, new_database):
    """Every event and checkpoint comes back, under the same database identity, and the chain verifies."""
    append_events(12)
    checkpoint_write()
    append_events(3)
    out = tmp_path / "backup"
    call_command("backup", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    head = ChainHead.objects.get()
    assert (manifest["database"], manifest["head_seq"]) == (database_id(), head.seq)
    assert manifest["checkpoints"] == 2  # the one above and the one the backup wrote of the head

    restored_checkpoints = tmp_path / "restored-checkpoints"
    done = lantern(
        "restore", str(out), database_url=new_database, checkpoints=restored_checkpoints, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert f"Restored database {database_id()} (audit chain to event {head.seq})" in done.stdout
    assert f"Verified {head.seq} events; chain intact; 2 checkpoints valid." in done.stdout
    assert sorted(p.name for p in restored_checkpoints.iterdir()) == sorted(
        p.name for p in (out / "checkpoints").iterdir()
    )

    verified = lantern(
        "audit_verify", database_url=new_database, checkpoints=restored_checkpoints, tmp_path=tmp_path
    )
    assert verified.returncode == 0, verified.stderr


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    """Restoring over a database that already holds tables is refused, and nothing is touched."""
    append_events(2)
    out = tmp_path / "backup"
    call_command("backup", str(out))
    with pytest.raises(CommandError, match="The target database is not empty"):
        call_command("restore", str(out))


@pytest.mark.django_db(transaction=True)
def test_a_new_database_beside_the_old_ones_checkpoints_says_so(tmp_path, new_database):
    """A database migrated afresh and pointed at another's checkpoints is told whose checkpoints they are."""
    append_events(20)
    written = checkpoint_write()
    checkpoints = written.path.parent
    migrated = lantern(
        "migrate", "--no-input", database_url=new_database, checkpoints=checkpoints, tmp_path=tmp_path
    )
    assert migrated.returncode == 0, migrated.stderr
    verified = lantern(
        "audit_verify", "--no-record", database_url=new_database, checkpoints=checkpoints, tmp_path=tmp_path
    )
    assert verified.returncode != 0
    assert f"belongs to database {database_id()}; this is database" in verified.stderr
    assert "events were removed" not in verified.stderr
