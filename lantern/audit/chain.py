"""Appending to and hashing the audit chain, directly (inline mode) or through the journal (journal mode).

Inline mode locks the chain head inside the caller's transaction, so every audited transaction in the system
commits one after another. Journal mode writes a pending row inside the caller's transaction without touching
the head, and moves pending rows onto the chain in batches right after the commit, so transactions commit in
parallel (and PostgreSQL flushes their commits together). See docs/decisions/0005-audit-log.md.
"""

import atexit
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.utils import timezone

from lantern.audit.models import GENESIS_HASH, AuditEvent, AuditPending, ChainHead
from lantern.core.bulk import insert_instance, insert_rows
from lantern.core.canonical import canonical_json
from lantern.core.canonical import dumps as _dumps
from lantern.core.canonical import jsonb_numbers as _normalise
from lantern.core.context import current_request_context
from lantern.core.database import limit_lock_wait

logger = logging.getLogger(__name__)

HEAD_PK = 1
INLINE, JOURNAL = "inline", "journal"
AUDIT_MODES = (INLINE, JOURNAL)
# A committer that finds pending events chains them, but after this long hands over to the next committer, so
# no single request pays for everyone else's events under sustained load.
COMMIT_CHAIN_BUDGET = 0.05
# How long a chainer past its budget stands aside, so that another committer can take over.
STEP_BACK = 0.005
# How long a chainer waits for the chain head before leaving pending events to the backstop job.
HEAD_LOCK_TIMEOUT = 2.0
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout expiring
# The lock each process's chainer holds, by database alias.
_CHAINERS: dict[str, threading.Lock] = {}
PENDING_FIELDS = (
    "id",
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

HASHED_FIELDS = (
    "seq",
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


class ChainBroken(RuntimeError):
    """The chain is in a state no append can safely extend; `lantern audit_verify` says why."""


def _timestamp(value: datetime) -> str:
    # Microsecond precision: both SQLite (text) and PostgreSQL (timestamptz) store exactly this much.
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def payload_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of an event's hashed fields."""
    body = {name: payload[name] for name in HASHED_FIELDS}
    body["occurred_at"] = _timestamp(payload["occurred_at"])
    # Only `data` can hold floats; every other field is a string, an integer or null.
    body["data"] = _normalise(body["data"])
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(_dumps(body).encode("utf-8"))
    return digest.hexdigest()


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The fields of an event that its hash covers."""
    payload = {name: getattr(event, name) for name in HASHED_FIELDS}
    payload["occurred_at"] = _timestamp(event.occurred_at)
    return payload


def compute_hash(event: AuditEvent, prev_hash: str) -> str:
    """SHA-256 over the previous hash and the event's canonical JSON."""
    return payload_hash(prev_hash, {name: getattr(event, name) for name in HASHED_FIELDS})


def audit_mode() -> str:
    """`settings.AUDIT_MODE`: "inline" or "journal"."""
    mode = getattr(settings, "AUDIT_MODE", INLINE)
    if mode not in AUDIT_MODES:
        raise ImproperlyConfigured(
            f"AUDIT_MODE (LANTERN_AUDIT_MODE) must be one of {', '.join(AUDIT_MODES)}, not {mode!r}."
        )
    return mode


def _lock_head(*, using: str = DEFAULT_DB_ALIAS) -> ChainHead:
    """The chain head row, locked until the surrounding transaction ends."""
    locked = ChainHead.objects.using(using).select_for_update()
    try:
        return locked.get(pk=HEAD_PK)
    except ChainHead.DoesNotExist:
        pass
    # Migration 0002 creates the row, but a test database flush removes it. Re-creating it with
    # INSERT … ON CONFLICT DO NOTHING is safe when several appends race to do so.
    ChainHead.objects.using(using).bulk_create(
        [ChainHead(pk=HEAD_PK, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True
    )
    head = locked.get(pk=HEAD_PK)
    if head.seq == 0 and AuditEvent.objects.using(using).exists():
        raise ChainBroken(
            "The audit chain head row was missing although events exist. Run `lantern audit_verify`."
        )
    return head


class EventDetails(TypedDict, total=False):
    """What an event may say besides its type and actor; each is empty if not given."""

    object_type: str
    object_id: Any
    reason: str
    data: dict[str, Any] | None
    actor_username: str  # for an event without a signed-in actor ("public", a command's name)


def _event_fields(
    *,
    actor,
    object_type: str = "",
    object_id: Any = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    actor_username: str = "",
) -> dict[str, Any]:
    """The fields of an event that do not depend on its place in the chain, trimmed to their columns."""
    context = current_request_context()
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    return {
        "actor_id": real_actor.pk if real_actor else None,
        "actor_username": (real_actor.username if real_actor else actor_username)[:150],
        "actor_agency": (real_actor.agency.code if real_actor and real_actor.agency_id else "")[:40],
        "object_type": object_type[:60],
        "object_id": str(object_id)[:64] if object_id is not None else "",
        "ip_address": (context.ip_address or "")[:45],
        "reason": reason[:500],
        # Round-trip the JSON so the hash covers exactly what the database will give back.
        "data": json.loads(canonical_json(data or {})),
    }


def journal_entry(*, event_type: str, actor=None, **details: Unpack[EventDetails]) -> AuditPending | None:
    """In journal mode, the unsaved `AuditPending` row that `append` would write; None in inline mode.

    For a hot path that writes the event in the same statement as what it records (a referral received through
    the API): the caller inserts the row with its own rows and then calls `journal_written()`. In inline mode
    it must call `append` instead, in its transaction.
    """
    if audit_mode() != JOURNAL:
        return None
    return AuditPending(
        occurred_at=timezone.now(), event_type=event_type, **_event_fields(actor=actor, **details)
    )


def journal_written() -> None:
    """A caller wrote `journal_entry` rows itself: chain them once its transaction commits, as `append` does."""
    transaction.on_commit(chain_pending_soon)


def append(*, event_type: str, actor=None, **details: Unpack[EventDetails]) -> AuditEvent | AuditPending:
    """Record one event inside the caller's transaction if there is one; it is rolled back with it.

    Inline mode appends the `AuditEvent` at once, locking the chain head (SELECT … FOR UPDATE on PostgreSQL;
    the IMMEDIATE transaction's write lock on SQLite) until the caller's transaction ends, so concurrent
    transactions are serialised. Journal mode writes an `AuditPending` row (`journal_entry`) and returns it; it
    is chained, with its sequence number and hash, as soon as the transaction commits.
    """
    if (pending := journal_entry(event_type=event_type, actor=actor, **details)) is not None:
        # One INSERT is atomic on its own: no savepoint round trips. Outside a transaction it commits at once
        # and `on_commit` runs straight away.
        insert_instance(pending)
        journal_written()
        return pending
    fields = _event_fields(actor=actor, **details)
    with transaction.atomic():
        head = _lock_head()
        event = AuditEvent(
            seq=head.seq + 1, occurred_at=timezone.now(), event_type=event_type, prev_hash=head.hash, **fields
        )
        event.hash = compute_hash(event, head.hash)
        event.save(force_insert=True)
        ChainHead.objects.filter(pk=HEAD_PK).update(seq=event.seq, hash=event.hash)
    return event


def append_many(
    events: list[dict[str, Any]], *, actor=None, actor_username: str = "", chain_now: bool = False
) -> int:
    """Record several events by one actor at once (bulk imports); returns how many were written.

    Each item gives `event_type` and optionally `object_type`, `object_id`, `reason` and `data`. Inline mode
    chains them exactly as `append` would one by one, in one bulk insert and one head update; journal mode
    writes them to the journal in one bulk insert, to be chained after the commit, unless `chain_now` asks for
    them to be chained in the caller's transaction (a batch job, which may hold the head briefly, saves the
    journal's insert-then-delete round trip).
    """
    if not events:
        return 0
    now = timezone.now()
    rows = [
        {
            **_event_fields(
                actor=actor,
                actor_username=actor_username,
                **{key: item[key] for key in ("object_type", "object_id", "reason", "data") if key in item},
            ),
            "occurred_at": now,
            "event_type": item["event_type"],
        }
        for item in events
    ]
    if audit_mode() == JOURNAL and not chain_now:
        with transaction.atomic():
            insert_rows(AuditPending, rows)
            transaction.on_commit(chain_pending_soon)
        return len(rows)
    with transaction.atomic():
        head = _lock_head()
        seq, prev_hash = head.seq, head.hash
        for row in rows:
            seq += 1
            row.update(seq=seq, prev_hash=prev_hash)
            row["hash"] = prev_hash = payload_hash(prev_hash, row)
        insert_rows(AuditEvent, rows)
        ChainHead.objects.filter(pk=HEAD_PK).update(seq=seq, hash=prev_hash)
    return len(rows)


def has_pending(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether any journal event is waiting to be chained."""
    # In id order, so PostgreSQL reads the primary key index rather than every dead row the journal's churn
    # leaves in the table until it is vacuumed.
    first = AuditPending.objects.using(using).order_by("id").values_list("id", flat=True).first()
    return first is not None


def _chain_batch(*, max_batch: int, using: str) -> int:
    """In one transaction, chain up to `max_batch` pending events in id order; returns how many it chained."""
    with transaction.atomic(using=using):
        # An inline-mode transaction may hold the head for as long as it runs: don't wait for ever. The batch
        # need not wait for its own flush to disk: the pending rows were committed durably with what they
        # record, and a crash can lose only the latest batches (the log is written in order), whose rows are
        # then still pending and are chained again. `checkpoint_write` makes the head durable before it signs it.
        limit_lock_wait(HEAD_LOCK_TIMEOUT, durable=False, using=using)
        head = _lock_head(using=using)
        pending = list(
            AuditPending.objects.using(using).order_by("id").values_list(*PENDING_FIELDS)[:max_batch]
        )
        if not pending:
            # Nothing was written, so rolling back spares the commit's flush to disk.
            transaction.set_rollback(True, using=using)
            return 0
        seq, prev_hash = head.seq, head.hash
        rows = []
        for values in pending:
            row = dict(zip(PENDING_FIELDS, values, strict=True))
            seq += 1
            row.update(journal_id=row.pop("id"), seq=seq, prev_hash=prev_hash)
            row["hash"] = prev_hash = payload_hash(prev_hash, row)
            rows.append(row)
        insert_rows(AuditEvent, rows, using=using)
        # The journal's trigger lets each row go only because its event, with the same contents, now exists.
        AuditPending.objects.using(using).filter(id__in=[row["journal_id"] for row in rows]).delete()
        ChainHead.objects.using(using).filter(pk=HEAD_PK).update(seq=seq, hash=prev_hash)
    return len(rows)


def chain_pending(*, max_batch: int = 500, budget: float | None = None, using: str = DEFAULT_DB_ALIAS) -> int:
    """Move committed pending events onto the chain in id order, a batch per transaction; returns how many.

    One thread per process chains at a time; a thread that finds another chaining returns at once, leaving its
    events to that one, which looks for pending events again after it stops chaining and so cannot miss them.
    Across processes, chainers take turns at the locked chain head, a batch each. Past `budget` seconds, the
    chainer stands aside for a moment between batches and returns as soon as another thread has taken over.
    """
    in_process = _CHAINERS.setdefault(using, threading.Lock())
    started = time.monotonic()
    chained = 0
    while in_process.acquire(blocking=False):
        try:
            while True:
                batch = _chain_batch(max_batch=max_batch, using=using)
                chained += batch
                if batch < max_batch or (budget is not None and time.monotonic() - started > budget):
                    break
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            logger.warning("The audit chain head stayed locked; pending events are left to the backstop job.")
            return chained
        finally:
            in_process.release()
        # Events committed by threads that found the lock taken are visible now.
        if not has_pending(using=using):
            break
        if budget is not None and time.monotonic() - started > budget:
            time.sleep(STEP_BACK)
    return chained


def _chain_logged() -> None:
    try:
        chain_pending(budget=COMMIT_CHAIN_BUDGET)
    except Exception:  # noqa: BLE001 - see chain_pending_soon
        logger.exception("Chaining pending audit events failed; the audit backstop job will retry.")


class BackgroundChainer:
    """A thread of this process that chains pending events shortly after commits ask it to.

    A commit only sets an event; the thread wakes, waits `delay` seconds so that the commits of other requests
    join the same batch, and chains everything pending on a database connection of its own. So a request pays
    nothing for chaining and a batch costs the same statements however many events it takes. The thread is
    started by the first commit in each process (after gunicorn forks its workers) and is a daemon: events
    left pending when a process stops are chained by the worker's backstop job.
    """

    def __init__(self, *, delay: float = 0.25):
        self.delay = delay
        self.wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    def nudge(self) -> None:
        """Ask for a chaining soon, starting the thread if this process has none yet."""
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            with self._start_lock:
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self.wake = threading.Event()  # a forked child must not share its parent's
                    self._pid = os.getpid()
                    self._thread = threading.Thread(
                        target=self._run, name="lantern-audit-chainer", daemon=True
                    )
                    self._thread.start()
                    atexit.register(self.flush)
        self.wake.set()

    def flush(self, timeout: float = 5.0) -> None:
        """Chain what is pending before this process exits (a command that audited its work, say)."""
        deadline = time.monotonic() + timeout
        try:
            while chain_pending() == 0 and has_pending() and time.monotonic() < deadline:
                time.sleep(STEP_BACK)  # the thread is chaining them; wait for it rather than leave them
        except Exception:  # noqa: BLE001 - at exit there is no one to tell but the log; the backstop job retries
            logger.exception(
                "Chaining pending audit events at exit failed; the audit backstop job will retry."
            )

    def stop(self, timeout: float = 10.0) -> None:
        """Let the thread finish what it is doing, close its connection and end (tests)."""
        atexit.unregister(self.flush)
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stopping = True
        self.wake.set()
        thread.join(timeout)

    def _run(self) -> None:
        from django.db import close_old_connections

        wake = self.wake
        while not self._stopping:
            wake.wait()
            time.sleep(self.delay)
            wake.clear()  # commits from here on wake the thread again, so none is missed
            close_old_connections()
            _chain_logged()
        connections.close_all()


_BACKGROUND = BackgroundChainer()


def chain_pending_soon() -> None:
    """Chain pending events now that a transaction has committed some (registered with `on_commit`).

    With `AUDIT_CHAIN_IN_BACKGROUND` (the default) this process's chainer thread does it moments later, so the
    request that committed answers at once; otherwise the committing thread chains before it goes on (tests).
    Errors are logged, not raised: the events' own transaction has already committed, the worker's backstop
    job chains whatever is left, and `lantern audit_verify` fails if anything stays pending for long.
    """
    if getattr(settings, "AUDIT_CHAIN_IN_BACKGROUND", True):
        _BACKGROUND.nudge()
    else:
        _chain_logged()
