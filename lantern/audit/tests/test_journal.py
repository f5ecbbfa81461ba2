"""Journal mode: events are written in the caller's transaction, without the head, and chained on commit."""

import itertools
import logging
import threading
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from lantern.audit import chain, events
from lantern.audit.chain import HEAD_PK, append, append_many, chain_pending, compute_hash
from lantern.audit.checkpoints import checkpoint_write
from lantern.audit.models import AuditEvent, AuditPending, ChainHead
from lantern.audit.tests.conftest import append_events, tamper
from lantern.audit.triggers import installed_triggers
from lantern.audit.verify import verify_chain
from lantern.core.scheduler import JOBS

CHAINED_FIELDS = (
    "occurred_at",
    "event_type",
    "actor_id",
    "actor_username",
    "actor_agency",
    "object_type",
    "object_id",
    "ip_address",
    "reason",
    "data",
)


@pytest.fixture
def journal(settings):
    """Journal mode for this test."""
    settings.AUDIT_MODE = "journal"


def head() -> tuple[int, str]:
    """The chain head's sequence number and hash."""
    row = ChainHead.objects.get(pk=HEAD_PK)
    return row.seq, row.hash


def refused(action) -> None:
    """Assert that the database refuses `action`, leaving the rest of the test's transaction usable."""
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        action()


def raw(sql: str, params=None):
    """A raw SQL statement, as a callable."""

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


def test_event_is_written_to_the_journal_in_the_callers_transaction(db, journal, user_factory):
    """Until the transaction commits, the event waits in the journal and the chain head does not move."""
    user = user_factory()
    before = head()
    with transaction.atomic():
        pending = events.record_viewed(actor=user, obj=user, purpose="screening")
    assert isinstance(pending, AuditPending)
    assert head() == before
    assert not AuditEvent.objects.filter(event_type="record.viewed").exists()
    stored = AuditPending.objects.get()
    assert (stored.event_type, stored.actor_id) == ("record.viewed", user.pk)
    assert (stored.actor_agency, stored.object_type) == (user.agency.code, "accounts.user")
    assert (stored.object_id, stored.reason) == (str(user.pk), "screening")


def test_journal_event_is_rolled_back_with_the_change_it_records(
    db, journal, django_capture_on_commit_callbacks
):
    """An event recorded in a transaction that fails disappears with it and nothing is chained."""
    before = head()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        append(event_type="test.doomed")
        raise RuntimeError("the change being recorded failed")
    assert callbacks == []
    assert not AuditPending.objects.exists()
    assert head() == before


def test_journal_events_are_chained_on_commit(db, journal, django_capture_on_commit_callbacks):
    """On commit the transaction's events are chained in order, gap-free, hashed as inline events are."""
    with django_capture_on_commit_callbacks(execute=True):
        append_events(3)
    first_seq = head()[0]
    assert first_seq == 3
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        pending = [append(event_type="test.journal", object_id=n, data={"n": n, "x": 1.5}) for n in range(4)]
        assert AuditPending.objects.count() == 4
    assert not AuditPending.objects.exists()
    chained = list(AuditEvent.objects.filter(event_type="test.journal").order_by("seq"))
    assert [e.seq for e in chained] == list(range(first_seq + 1, first_seq + 5))
    assert [e.journal_id for e in chained] == [p.id for p in pending]
    for event, original in zip(chained, pending, strict=True):
        assert [getattr(event, f) for f in CHAINED_FIELDS] == [getattr(original, f) for f in CHAINED_FIELDS]
        assert compute_hash(event, event.prev_hash) == event.hash
    for earlier, later in itertools.pairwise(AuditEvent.objects.order_by("seq")):
        assert later.prev_hash == earlier.hash
    assert head() == (chained[-1].seq, chained[-1].hash)
    result = verify_chain()
    assert result.ok, result.problems
    assert result.pending == 0


@pytest.mark.django_db(transaction=True)
def test_journal_events_are_chained_when_the_transaction_really_commits(journal):
    """With real commits, an event chains as its transaction commits, whether or not the caller opened one."""
    append(event_type="test.autocommit")
    with transaction.atomic():
        append(event_type="test.in_transaction")
        assert AuditPending.objects.count() == 1
    append_many([{"event_type": "test.imported", "object_id": n} for n in range(3)])
    assert not AuditPending.objects.exists()
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "event_type")) == [
        (1, "test.autocommit"),
        (2, "test.in_transaction"),
        (3, "test.imported"),
        (4, "test.imported"),
        (5, "test.imported"),
    ]
    assert verify_chain().ok


def test_append_many_writes_to_the_journal(db, journal, django_capture_on_commit_callbacks):
    """A bulk import's events go to the journal in one insert and are chained on commit."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        imported = [{"event_type": "test.imported", "object_id": n, "data": {"n": n}} for n in range(5)]
        assert append_many(imported) == 5
        assert AuditPending.objects.count() == 5
        assert head()[0] == 0
    chained = AuditEvent.objects.order_by("seq").values_list("object_id", flat=True)
    assert list(chained) == [str(n) for n in range(5)]
    assert verify_chain().ok


def test_append_many_can_chain_in_the_callers_transaction(db, journal):
    """A batch job may chain its events at once, skipping the journal, even in journal mode."""
    with transaction.atomic():
        assert (
            append_many([{"event_type": "test.imported", "object_id": n} for n in range(4)], chain_now=True)
            == 4
        )
        assert not AuditPending.objects.exists()
        assert head()[0] == 4
    assert verify_chain().ok


def test_pending_event_cannot_be_updated(db, journal):
    """The journal is append-only too: updating a pending event, by the ORM or raw SQL, is refused."""
    pending = append(event_type="test.pending", reason="as it happened")
    refused(lambda: AuditPending.objects.filter(pk=pending.pk).update(reason="rewritten"))
    pending.reason = "rewritten"
    refused(pending.save)
    refused(raw("UPDATE audit_auditpending SET reason = %s", ["rewritten"]))
    assert AuditPending.objects.get().reason == "as it happened"


def test_pending_event_cannot_be_deleted_before_it_is_chained(db, journal):
    """Deleting a pending event that is not on the chain is refused, singly, in bulk and in raw SQL."""
    pending = append(event_type="test.pending")
    refused(AuditPending.objects.get().delete)
    refused(AuditPending.objects.all().delete)
    refused(raw("DELETE FROM audit_auditpending WHERE id = %s", [pending.pk]))
    refused(raw("DELETE FROM audit_auditpending"))
    assert AuditPending.objects.filter(pk=pending.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncating_the_journal_is_refused_on_postgresql(db, journal):
    """TRUNCATE, which skips row triggers, is refused on the journal by its own statement trigger."""
    append(event_type="test.pending")
    refused(raw("TRUNCATE audit_auditpending"))


def test_a_forged_event_does_not_release_a_pending_one(db, journal):
    """An event claiming a pending event's journal id but with other contents does not let it be deleted."""
    pending = append(event_type="test.pending", reason="what happened")
    forged = AuditEvent(
        seq=1,
        journal_id=pending.pk,
        prev_hash="0" * 64,
        **{f: getattr(pending, f) for f in CHAINED_FIELDS if f != "reason"},
        reason="something harmless",
    )
    forged.hash = compute_hash(forged, forged.prev_hash)
    forged.save(force_insert=True)
    refused(raw("DELETE FROM audit_auditpending WHERE id = %s", [pending.pk]))
    assert AuditPending.objects.filter(pk=pending.pk).exists()


def test_a_pending_event_is_chained_only_once(db, journal):
    """Two chain events for one pending event are refused by the unique journal id."""
    pending = append(event_type="test.once")
    chain_pending()
    event = AuditEvent.objects.get(journal_id=pending.pk)
    copy = AuditEvent(
        seq=event.seq + 1,
        journal_id=pending.pk,
        prev_hash=event.hash,
        **{f: getattr(event, f) for f in CHAINED_FIELDS},
    )
    copy.hash = compute_hash(copy, copy.prev_hash)
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save(force_insert=True)


def test_adding_the_journal_kept_the_event_tables_triggers(db):
    """Migration 0004 added `journal_id` in place, so migration 0003's triggers on the event table survive."""
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "audit_auditevent")}
    assert "journal_id" in columns
    event_triggers = {
        "postgresql": {"audit_event_refuse_update_delete", "audit_event_refuse_truncate"},
        "sqlite": {"audit_event_refuse_update", "audit_event_refuse_delete"},
    }[connection.vendor]
    assert event_triggers <= installed_triggers(connection)
    append_events(1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_verification_reports_recent_pending_events_but_passes(db, journal):
    """Events waiting to be chained for moments are counted, and verification still passes."""
    append_events(2)
    result = verify_chain()
    assert result.ok, result.problems
    assert (result.pending, result.events) == (2, 0)
    assert result.summary().endswith("2 events are waiting to be chained.")


def test_verification_fails_when_pending_events_are_left_unchained(db, journal):
    """An event written but still not chained after five minutes means chaining has stopped: a failure."""
    append_events(1)
    AuditPending.objects.create(event_type="test.stranded", occurred_at=timezone.now() - timedelta(minutes=6))
    AuditPending.objects.create(event_type="test.stranded", occurred_at=timezone.now() - timedelta(minutes=9))
    result = verify_chain()
    assert not result.ok
    assert result.pending == 3
    assert "2 audit events were written but not chained since" in result.first_problem.reason
    assert verify_chain(pending_grace=timedelta(minutes=10)).ok


def test_audit_verify_chains_pending_events_first(db, journal, capsys):
    """`lantern audit_verify` chains what is pending, then verifies it."""
    append_events(4)
    call_command("audit_verify", "--no-record")
    assert capsys.readouterr().out.strip() == "Verified 4 events; chain intact; 0 checkpoints valid."
    assert not AuditPending.objects.exists()


def test_audit_verify_fails_on_events_it_cannot_chain(db, journal):
    """If pending events cannot be chained (the head row is gone), verification says so and fails."""
    append_events(2)
    chain_pending()
    tamper("DELETE FROM audit_chainhead")
    AuditPending.objects.create(event_type="test.stranded", occurred_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(CommandError, match="head row is missing"):
        call_command("audit_verify", "--no-record")
    result = verify_chain()
    assert any("1 audit event was written but not chained" in p.reason for p in result.problems)


def test_a_failure_to_chain_does_not_fail_the_committed_transaction(
    db, journal, django_capture_on_commit_callbacks, caplog
):
    """If chaining fails after the commit, the caller hears nothing of it (it is logged)."""
    append_events(2)
    chain_pending()
    tamper("DELETE FROM audit_chainhead")
    with (
        caplog.at_level(logging.ERROR, logger="lantern.audit.chain"),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        append(event_type="test.recorded")
    assert AuditPending.objects.filter(event_type="test.recorded").exists()
    assert "Chaining pending audit events failed" in caplog.text


def test_checkpoint_covers_pending_events(db, journal):
    """A checkpoint chains pending events first, so it signs a head that includes them."""
    append_events(3)
    checkpoint = checkpoint_write()
    assert checkpoint.seq == 3
    assert AuditPending.objects.filter(event_type="audit.checkpoint_written").count() == 1


def test_backstop_job_chains_what_committers_left(db, journal):
    """The worker's job, every five seconds, chains events whose committer did not (a crash, say)."""
    import lantern.audit.jobs  # noqa: F401 - registers the job, as `lantern worker` does

    job = JOBS["audit.chain"]
    assert job.every.total_seconds() == 5
    append_events(3)
    job.run()
    assert not AuditPending.objects.exists()
    assert AuditEvent.objects.count() == 3
    assert verify_chain().ok


def test_a_committer_leaves_its_events_to_the_thread_already_chaining(db, journal):
    """While another thread of this process chains, a committer returns at once and leaves it the events."""
    append_events(2)
    in_process = chain._CHAINERS.setdefault("default", threading.Lock())
    with in_process:
        assert chain_pending() == 0
        assert AuditPending.objects.count() == 2
    assert chain_pending() == 2
    assert not AuditPending.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time anyway")
def test_chaining_gives_up_on_a_head_locked_for_too_long(db, journal, monkeypatch, caplog):
    """If the chain head stays locked elsewhere past the timeout, the events wait for the backstop job."""
    monkeypatch.setattr(chain, "HEAD_LOCK_TIMEOUT", 0.2)
    append_events(2)
    locked, release = threading.Event(), threading.Event()

    def hold_head():
        try:
            with transaction.atomic():
                ChainHead.objects.select_for_update().get(pk=HEAD_PK)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_head)
    holder.start()
    try:
        assert locked.wait(10)
        with caplog.at_level(logging.WARNING, logger="lantern.audit.chain"):
            assert chain_pending() == 0
        assert "stayed locked" in caplog.text
        assert AuditPending.objects.count() == 2
    finally:
        release.set()
        holder.join()
    assert chain_pending() == 2
    assert not AuditPending.objects.exists()


def test_unknown_audit_mode_is_a_clear_error(db, settings):
    """A mistyped AUDIT_MODE fails the system check and refuses appends, naming the valid modes."""
    settings.AUDIT_MODE = "jounral"
    assert [m.id for m in run_checks() if m.id.startswith("lantern.audit")] == ["lantern.audit.E001"]
    with pytest.raises(ImproperlyConfigured, match="must be one of inline, journal"):
        append(event_type="test.misconfigured")


@pytest.mark.django_db(transaction=True)
def test_journal_vacuum_job_runs_outside_a_transaction(journal, caplog):
    """The minute job vacuums the churning journal on PostgreSQL (a no-op on SQLite) without complaint."""
    import lantern.audit.jobs  # noqa: F401 - registers the job, as `lantern worker` does

    job = JOBS["audit.vacuum_journal"]
    assert job.every.total_seconds() == 60
    append_events(3)
    with caplog.at_level(logging.WARNING, logger="lantern.audit.jobs"):
        job.run()
    assert "Could not vacuum" not in caplog.text
    assert AuditEvent.objects.count() == 3 and not AuditPending.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "SQLite keeps inline mode (0005); the tests' in-memory SQLite refuses a read while another thread writes"
    ),
)
def test_a_background_chainer_chains_what_commits_leave_it(transactional_db, journal, settings):
    """With AUDIT_CHAIN_IN_BACKGROUND, a commit only wakes this process's chainer thread, which chains the
    events of several commits moments later, on a connection of its own, as one valid chain."""
    settings.AUDIT_CHAIN_IN_BACKGROUND = True
    chainer = chain.BackgroundChainer(delay=0.05)
    original = chain._BACKGROUND
    chain._BACKGROUND = chainer
    try:
        for _ in range(3):
            with transaction.atomic():
                append_events(2)
        deadline = timezone.now() + timedelta(seconds=20)
        while AuditPending.objects.exists() and timezone.now() < deadline:
            threading.Event().wait(0.05)
        assert not AuditPending.objects.exists()
        assert AuditEvent.objects.count() == 6
        assert chainer._thread is not None and chainer._thread.is_alive()
        assert chainer._thread is not threading.current_thread()
        assert verify_chain().ok
    finally:
        chainer.stop()
        chain._BACKGROUND = original
    assert not chainer._thread.is_alive()


def test_the_background_chainer_flushes_at_exit(transactional_db, journal, settings, monkeypatch):
    """What is still pending when the process exits is chained by `flush`, which `atexit` calls."""
    settings.AUDIT_CHAIN_IN_BACKGROUND = True
    monkeypatch.setattr(chain, "_BACKGROUND", chain.BackgroundChainer())
    monkeypatch.setattr(chain._BACKGROUND, "nudge", lambda: None)  # a thread that never got round to it
    append_events(2)
    assert AuditPending.objects.count() == 2
    chain._BACKGROUND.flush(timeout=5)
    assert not AuditPending.objects.exists()
    assert AuditEvent.objects.count() == 2
