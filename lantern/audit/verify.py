"""Checking the audit log: every hash and link, the chain head, every signed checkpoint, and the journal."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Min
from django.utils import timezone

from lantern.audit.chain import HASHED_FIELDS, HEAD_PK, payload_hash
from lantern.audit.checkpoints import (
    Checkpoint,
    CheckpointInvalid,
    checkpoint_dir,
    checkpoint_files,
    read_checkpoint,
)
from lantern.audit.models import GENESIS_HASH, AuditEvent, AuditPending, ChainHead
from lantern.audit.triggers import missing_triggers
from lantern.core.database import streaming_reads
from lantern.core.identity import database_id

ROW_FIELDS = (*HASHED_FIELDS, "prev_hash", "hash")
# Journal events are chained within moments of their commit, and the worker's backstop within seconds; one
# still pending after this long means chaining has stopped.
PENDING_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Problem:
    """One reason the log cannot be trusted, at the first sequence number it affects (None if none does)."""

    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "chain head"
        return f"{where}: {self.reason}"


@dataclass
class VerificationResult:
    """What `verify_chain` found."""

    events: int = 0
    checkpoints: int = 0
    checkpoints_valid: int = 0
    pending: int = 0
    oldest_pending_at: datetime | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain and every checkpoint check out."""
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        """The problem at the lowest sequence number."""
        if not self.problems:
            return None
        return min(self.problems, key=lambda p: (p.seq is None, p.seq or 0))

    def summary(self) -> str:
        """One line for people: the verdict and the first problem, if any."""
        if self.ok:
            waiting = (
                f" {self.pending} event{' is' if self.pending == 1 else 's are'} waiting to be chained."
                if self.pending
                else ""
            )
            return (
                f"Verified {self.events} events; chain intact; "
                f"{self.checkpoints_valid} checkpoint{'' if self.checkpoints_valid == 1 else 's'} valid."
                + waiting
            )
        first = self.first_problem
        where = f"seq {first.seq}" if first.seq is not None else "the chain head"
        return f"Audit log verification FAILED at {where}: {first.reason}"


@dataclass
class _Walk:
    """Where the walk along the chain has got to."""

    checkpoints: dict[int, list[Checkpoint]]
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    count: int = 0
    checkpoints_matched: int = 0

    def follow(self, rows: Iterable[tuple]) -> Problem | None:
        """Check each row against the one before it; stop at the first problem."""
        for row in rows:
            event = dict(zip(ROW_FIELDS, row, strict=True))
            seq = event["seq"]
            expected = self.last_seq + 1
            if seq != expected:
                missing = (
                    f"events {expected} to {seq - 1} are" if seq - 1 > expected else f"event {expected} is"
                )
                return Problem(expected, f"{missing} missing (deleted)")
            if event["prev_hash"] != self.last_hash:
                before = f"event {seq - 1}'s hash" if seq > 1 else "the genesis hash"
                return Problem(
                    seq,
                    f"its link to the previous event does not match {before} (events altered or reordered)",
                )
            if payload_hash(self.last_hash, event) != event["hash"]:
                return Problem(seq, "its hash does not match its contents (the event was altered)")
            for checkpoint in self.checkpoints.get(seq, ()):
                if checkpoint.head_hash != event["hash"]:
                    return Problem(
                        seq,
                        f"its hash differs from the one signed in checkpoint {checkpoint.name} "
                        "(the chain up to here was rewritten)",
                    )
                self.checkpoints_matched += 1
            self.last_seq, self.last_hash = seq, event["hash"]
            self.count += 1
        return None


def _rows(using: str, chunk_size: int, *, after: int, up_to: int | None = None):
    events = AuditEvent.objects.using(using).filter(seq__gt=after)
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    return events.order_by("seq").values_list(*ROW_FIELDS).iterator(chunk_size=chunk_size)


def _load_checkpoints(result: VerificationResult, using: str) -> dict[int, list[Checkpoint]]:
    """This database's checkpoints by sequence number; another database's are reported, not checked."""
    this_database = database_id(using)
    by_seq: dict[int, list[Checkpoint]] = {}
    others: dict[str, list[Checkpoint]] = {}
    for path in checkpoint_files():
        result.checkpoints += 1
        try:
            checkpoint = read_checkpoint(path)
        except CheckpointInvalid as exc:
            result.problems.append(Problem(exc.seq, f"checkpoint {exc.path.name} {exc.reason}"))
            continue
        if checkpoint.database is not None and checkpoint.database != this_database:
            others.setdefault(checkpoint.database, []).append(checkpoint)
            continue
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    for other, checkpoints in others.items():
        result.problems.append(Problem(None, _belongs_elsewhere(other, this_database, checkpoints)))
    return by_seq


def _belongs_elsewhere(other: str, this_database: str, checkpoints: list[Checkpoint]) -> str:
    """The plain statement that checkpoints in the directory were written for another database."""
    count = len(checkpoints)
    names = sorted(c.name for c in checkpoints)
    which = names[0] if count == 1 else f"{names[0]} to {names[-1]}"
    return (
        f"{count} checkpoint{'' if count == 1 else 's'} in {checkpoint_dir()} ({which}) "
        f"belong{'s' if count == 1 else ''} to database {other}; this is database {this_database}. "
        "They were not checked against this database's events: point LANTERN_CHECKPOINT_DIR at this "
        "database's own checkpoints, or move the other database's away"
    )


def _check_journal(result: VerificationResult, using: str, grace: timedelta) -> None:
    """Count journal events not yet chained; fail if any has waited longer than `grace`."""
    pending = AuditPending.objects.using(using)
    summary = pending.aggregate(count=Count("id"), oldest=Min("occurred_at"))
    result.pending, result.oldest_pending_at = summary["count"], summary["oldest"]
    stale = pending.filter(occurred_at__lt=timezone.now() - grace).count()
    if stale:
        since = result.oldest_pending_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        result.problems.append(
            Problem(
                None,
                f"{stale} audit event{' was' if stale == 1 else 's were'} written but not chained "
                f"since {since} (is `lantern worker` running?)",
            )
        )


def _check_head(walk: _Walk, using: str, chunk_size: int) -> Problem | None:
    head = ChainHead.objects.using(using).filter(pk=HEAD_PK).values_list("seq", "hash").first()
    if head is None:
        return Problem(None, "the chain head row is missing") if walk.last_seq else None
    head_seq, head_hash = head
    if head_seq < walk.last_seq:
        return Problem(
            head_seq + 1, f"events from {head_seq + 1} lie beyond the chain head at {head_seq} (inserted)"
        )
    if head_seq > walk.last_seq:
        # Events appended while the walk ran, or a removed tail: follow the chain as far as the head says.
        problem = walk.follow(_rows(using, chunk_size, after=walk.last_seq, up_to=head_seq))
        if problem:
            return problem
        if walk.last_seq < head_seq:
            return Problem(
                walk.last_seq + 1,
                f"the chain head records event {head_seq} but the events end at {walk.last_seq} "
                "(the tail was removed)",
            )
    if head_hash != walk.last_hash:
        return Problem(head_seq, f"the chain head's hash does not match event {head_seq}'s hash")
    return None


def verify_chain(
    *, chunk_size: int = 5000, using: str = DEFAULT_DB_ALIAS, pending_grace: timedelta = PENDING_GRACE
) -> VerificationResult:
    """Stream the chain in sequence order in constant memory, recomputing every hash; report what is wrong.

    Checkpoints are read first, so one written while the walk runs cannot be mistaken for a removed tail.
    Events appended during the walk are checked up to the head read at its end. Journal events not yet chained
    are counted, and fail the check once one has waited longer than `pending_grace`.
    """
    result = VerificationResult()
    connection = connections[using]
    checkpoints = _load_checkpoints(result, using)
    if missing := missing_triggers(connection):
        result.warnings.append(
            "The triggers that keep the audit log append-only are missing or disabled: "
            + ", ".join(sorted(missing))
        )
    walk = _Walk(checkpoints=checkpoints)
    with streaming_reads(using):
        problem = walk.follow(_rows(using, chunk_size, after=0)) or _check_head(walk, using, chunk_size)
    result.events = walk.count
    if problem:
        result.problems.append(problem)
    else:
        for seq in sorted(s for s in checkpoints if s > walk.last_seq):
            for checkpoint in checkpoints[seq]:
                result.problems.append(
                    Problem(
                        walk.last_seq + 1,
                        f"checkpoint {checkpoint.name} records event {seq}, beyond the end of the chain at "
                        f"{walk.last_seq} (events were removed)",
                    )
                )
    result.checkpoints_valid = walk.checkpoints_matched
    _check_journal(result, using, pending_grace)
    return result
