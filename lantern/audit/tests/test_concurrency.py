"""Many writers at once, in either audit mode: sequence numbers stay gap-free and the chain still verifies."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from django.db import connection

from lantern.audit.loadtest import LOAD_EVENT, run_writers
from lantern.audit.models import AuditEvent, AuditPending, ChainHead
from lantern.audit.verify import verify_chain

# Runs in a fresh interpreter against a SQLite file: the test database is in memory with a shared cache, whose
# table locks behave nothing like the file locking Lantern relies on (WAL, IMMEDIATE transactions, a busy
# timeout).
SQLITE_WRITERS = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.conf import settings
    from django.db import connection
    from lantern.audit.loadtest import run_writers
    from lantern.audit.models import AuditEvent, AuditPending, ChainHead
    from lantern.audit.verify import verify_chain
    from lantern.core.models import DatabaseIdentity

    settings.AUDIT_MODE = sys.argv[3]
    with connection.schema_editor() as editor:
        editor.create_model(DatabaseIdentity)  # what checkpoints sign (verification reads it)
        editor.create_model(ChainHead)
        editor.create_model(AuditEvent)
        editor.create_model(AuditPending)
    ChainHead.objects.create(pk=1)
    result = run_writers(writers=int(sys.argv[1]), events_per_writer=int(sys.argv[2]))
    pending = AuditPending.objects.count()
    verification = verify_chain()
    print(json.dumps({
        "errors": [repr(e) for e in result.errors],
        "pending": pending,
        "seqs": list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)),
        "ok": verification.ok,
        "problems": [str(p) for p in verification.problems],
        "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
    }))
    """
)


@pytest.mark.xdist_group("audit-concurrency")
@pytest.mark.parametrize("mode", ["inline", "journal"])
def test_concurrent_writers_on_sqlite_queue_instead_of_failing(tmp_path, mode):
    """Six threads appending to a SQLite file wait their turn: no "database is locked", no gaps, intact."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lantern.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "LANTERN_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }
    completed = subprocess.run(
        [sys.executable, "-c", SQLITE_WRITERS, "6", "40", mode],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["journal_mode"] == "wal"
    assert outcome["errors"] == []
    assert outcome["pending"] == 0
    assert outcome["seqs"] == list(range(1, 241))
    assert outcome["ok"], outcome["problems"]


def _wait_for_free_connections(needed: int, timeout: float = 30.0) -> None:
    """Wait until PostgreSQL has room for `needed` more clients.

    A backend exits a moment after its client disconnects, so the previous run's fifty writers (or another
    test worker's threads) may still count against max_connections when this test starts.
    """
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
                " - count(*) FROM pg_stat_activity"
            )
            if cursor.fetchone()[0] >= needed + 5 or time.monotonic() > deadline:
                return
            time.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.xdist_group("audit-concurrency")
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL to point at PostgreSQL")
@pytest.mark.parametrize("mode", ["inline", "journal"])
def test_fifty_concurrent_writers_on_postgresql(settings, mode):
    """Fifty threads, each with its own connection, append at once: every event lands, gap-free, verified.

    In journal mode nothing is left pending once the last writer returns: each committer either chained or
    left its events to the chainer holding the head, which looks again before it stops.
    """
    settings.AUDIT_MODE = mode
    start = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    _wait_for_free_connections(50)
    result = run_writers(writers=50, events_per_writer=20)
    assert result.errors == []
    assert result.events == 1000
    assert not AuditPending.objects.exists()
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, start + 1001))
    assert AuditEvent.objects.filter(event_type=LOAD_EVENT).count() == 1000
    per_writer = AuditEvent.objects.filter(event_type=LOAD_EVENT).values_list("object_id", flat=True)
    assert sorted({int(w) for w in per_writer}) == list(range(50))
    # One writer's events reach the chain in the order it committed them.
    order: dict[int, list[int]] = {}
    chained = AuditEvent.objects.filter(event_type=LOAD_EVENT).order_by("seq")
    for data in chained.values_list("data", flat=True):
        order.setdefault(data["writer"], []).append(data["index"])
    assert all(indexes == list(range(20)) for indexes in order.values())
    verification = verify_chain()
    assert verification.ok, verification.problems
    assert verification.events == start + 1000
    if mode == "journal":
        chained = AuditEvent.objects.filter(event_type=LOAD_EVENT)
        assert chained.filter(journal_id__isnull=False).count() == 1000
