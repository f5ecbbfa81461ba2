"""Signed checkpoints of the audit chain head, kept as files outside the database.

A checkpoint records the head's sequence number and hash, signed with HMAC-SHA256 under `AUDIT_KEY`, which is
never stored in the database. Someone who can rewrite the database can recompute every hash in the chain, but
cannot make it match a checkpoint they cannot sign, nor remove events a checkpoint has already seen.

Since version 2 a checkpoint also signs the identity of the database it was written for (`core.identity`), so
checkpoints left beside a different database (one migrated afresh, say) are reported as another database's,
not as events removed from this one. Version 1 checkpoints (no `version` field) are still read and checked.
"""

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from lantern.audit import events
from lantern.audit.chain import HEAD_PK, canonical_json, chain_pending
from lantern.audit.models import AuditEvent, ChainHead
from lantern.core.identity import database_id

CHECKPOINT_EVENT = "audit.checkpoint_written"
# Seconds a checkpoint, a verification or the backstop job spends chaining pending events before it lets
# committers take over (so it cannot run on for ever under load).
BACKSTOP_BUDGET = 1.0
FILENAME_PATTERN = re.compile(r"^checkpoint-(\d{12,})\.json$")
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
DATABASE_PATTERN = re.compile(r"^[0-9a-f]{32}$")
# Version 2 signs the database's identity as well; version 1 (files without `version`) signed only the head.
VERSION = 2


class CheckpointInvalid(ValueError):
    """A checkpoint file that cannot be read or whose signature is wrong."""

    def __init__(self, path: Path, reason: str, seq: int | None = None):
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason
        self.seq = seq


@dataclass(frozen=True)
class Checkpoint:
    """A signed record that the chain's head was at `seq` with hash `head_hash` at `written_at`."""

    seq: int
    head_hash: str
    written_at: str
    path: Path
    database: str | None = None  # None for a version 1 checkpoint, which did not record it

    @property
    def name(self) -> str:
        """The file name, for messages."""
        return self.path.name


def checkpoint_dir() -> Path:
    """Where checkpoints are kept (`AUDIT_CHECKPOINT_DIR`)."""
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _key() -> bytes:
    key = getattr(settings, "AUDIT_KEY", "")
    if not key:
        raise ImproperlyConfigured("Set LANTERN_AUDIT_KEY (AUDIT_KEY) to sign and check audit checkpoints.")
    return key.encode("utf-8")


def sign(*, seq: int, head_hash: str, written_at: str, database: str | None = None) -> str:
    """The HMAC-SHA256, under `AUDIT_KEY`, of a checkpoint's canonical JSON (version 1 without `database`)."""
    fields = {"seq": seq, "head_hash": head_hash, "written_at": written_at}
    if database is not None:
        fields |= {"version": VERSION, "database": database}
    message = canonical_json(fields)
    return hmac.new(_key(), message.encode("utf-8"), hashlib.sha256).hexdigest()


def checkpoint_files() -> list[Path]:
    """Every checkpoint file in the directory, oldest sequence first."""
    directory = checkpoint_dir()
    if not directory.is_dir():
        return []
    return sorted(directory.glob("checkpoint-*.json"))


def read_checkpoint(path: Path) -> Checkpoint:
    """Read one checkpoint file and check its signature; raises `CheckpointInvalid`."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointInvalid(path, f"cannot be read as JSON ({exc.__class__.__name__})") from exc
    if not isinstance(body, dict):
        raise CheckpointInvalid(path, "is not a JSON object")
    seq, head_hash, written_at, mac = (body.get(k) for k in ("seq", "head_hash", "written_at", "hmac"))
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise CheckpointInvalid(path, "has no valid sequence number")
    if not isinstance(head_hash, str) or not HASH_PATTERN.match(head_hash):
        raise CheckpointInvalid(path, "has no valid head hash", seq)
    if not isinstance(written_at, str) or not isinstance(mac, str):
        raise CheckpointInvalid(path, "lacks its time or signature", seq)
    database = _database_of(path, body, seq)
    if not hmac.compare_digest(
        mac, sign(seq=seq, head_hash=head_hash, written_at=written_at, database=database)
    ):
        raise CheckpointInvalid(
            path, "has an invalid signature (forged, altered, or signed with another key)", seq
        )
    match = FILENAME_PATTERN.match(path.name)
    if not match or int(match.group(1)) != seq:
        raise CheckpointInvalid(path, f"is named for a different event than the {seq} it records", seq)
    return Checkpoint(seq=seq, head_hash=head_hash, written_at=written_at, path=path, database=database)


def _database_of(path: Path, body: dict, seq: int) -> str | None:
    """The database identity a checkpoint names: None for version 1, else a valid identity."""
    version = body.get("version")
    if version is None:
        return None
    if version != VERSION:
        raise CheckpointInvalid(path, f"has a version ({version!r}) this Lantern does not know", seq)
    database = body.get("database")
    if not isinstance(database, str) or not DATABASE_PATTERN.match(database):
        raise CheckpointInvalid(path, "has no valid database identity", seq)
    return database


def latest_checkpoint_seq() -> int | None:
    """The highest sequence number among the checkpoint file names, or None if there are none."""
    numbers = [int(m.group(1)) for p in checkpoint_files() if (m := FILENAME_PATTERN.match(p.name))]
    return max(numbers, default=None)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    # A reader sees either no file or the whole file, never half of one.
    os.replace(temporary, path)
    try:
        directory = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)


def head_has_moved() -> bool:
    """Whether events other than checkpoint records were appended since the latest checkpoint file."""
    latest = latest_checkpoint_seq()
    head_seq = ChainHead.objects.filter(pk=HEAD_PK).values_list("seq", flat=True).first() or 0
    if latest is None:
        return head_seq > 0
    return AuditEvent.objects.filter(seq__gt=latest).exclude(event_type=CHECKPOINT_EVENT).exists()


def checkpoint_write(*, only_if_moved: bool = False) -> Checkpoint | None:
    """Write a signed checkpoint of the committed chain head and record that it did; None if nothing to do.

    Call it outside any transaction (as `lantern demo` does at its end): a checkpoint of changes that are
    later rolled back would look like a removed tail to `lantern audit_verify`. Pending journal events are
    chained first, so the checkpoint covers them.
    """
    chain_pending(budget=BACKSTOP_BUDGET)
    # Locking the head makes this a transaction whose commit waits for its flush to disk, and so for the flush
    # of every commit before it: the chainer's own commits don't wait, and a checkpoint must never sign a head
    # that a crash could take back.
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None or head.seq == 0:
        return None
    if only_if_moved and not head_has_moved():
        return None
    database = database_id()
    written_at = timezone.now().astimezone(UTC).isoformat().replace("+00:00", "Z")
    body = {
        "version": VERSION,
        "database": database,
        "seq": head.seq,
        "head_hash": head.hash,
        "written_at": written_at,
        "hmac": sign(seq=head.seq, head_hash=head.hash, written_at=written_at, database=database),
    }
    path = checkpoint_dir() / f"checkpoint-{head.seq:012d}.json"
    _refuse_to_overwrite_another_databases(path, database)
    _write_atomically(path, json.dumps(body, indent=2, sort_keys=True) + "\n")
    events.audit_checkpoint_written(seq=head.seq, head_hash=head.hash)
    return Checkpoint(seq=head.seq, head_hash=head.hash, written_at=written_at, path=path, database=database)


def _refuse_to_overwrite_another_databases(path: Path, database: str) -> None:
    """Never write over another database's checkpoint: it is that database's evidence."""
    try:
        existing = read_checkpoint(path)
    except (CheckpointInvalid, FileNotFoundError):
        return
    if existing.database is not None and existing.database != database:
        raise ImproperlyConfigured(
            f"{path} is a checkpoint of database {existing.database}, and this is database {database}. "
            "Give this database a checkpoint directory of its own (LANTERN_CHECKPOINT_DIR)."
        )
