"""Appending to and hashing the audit chain."""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from lantern.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from lantern.core.context import current_request_context

HEAD_PK = 1

HASHED_FIELDS = (
    "seq", "occurred_at", "event_type", "actor_id", "actor_username", "actor_agency",
    "object_type", "object_id", "ip_address", "reason", "data",
)


class ChainBroken(RuntimeError):
    """The chain is in a state no append can safely extend; `lantern audit_verify` says why."""


def _normalise(value: Any) -> Any:
    # PostgreSQL's jsonb keeps numbers as `numeric`, so a float such as 1e16 comes back as the integer
    # 10000000000000000; writing integral floats as integers makes the hash the same before and after.
    kind = type(value)
    if kind is dict:
        return {key: _normalise(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_normalise(item) for item in value]
    if kind is float and value.is_integer():
        return int(value)
    return value


def _dumps(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
    )


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: the same value always gives the same bytes."""
    return _dumps(_normalise(value))


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


def _lock_head() -> ChainHead:
    """The chain head row, locked until the surrounding transaction ends."""
    locked = ChainHead.objects.select_for_update()
    try:
        return locked.get(pk=HEAD_PK)
    except ChainHead.DoesNotExist:
        pass
    # Migration 0002 creates the row, but a test database flush removes it. Re-creating it with
    # INSERT … ON CONFLICT DO NOTHING is safe when several appends race to do so.
    ChainHead.objects.bulk_create([ChainHead(pk=HEAD_PK, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True)
    head = locked.get(pk=HEAD_PK)
    if head.seq == 0 and AuditEvent.objects.exists():
        raise ChainBroken(
            "The audit chain head row was missing although events exist. Run `lantern audit_verify`."
        )
    return head


def append(
    *,
    event_type: str,
    actor=None,
    object_type: str = "",
    object_id: Any = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one.

    The chain head row is locked (SELECT … FOR UPDATE on PostgreSQL; the IMMEDIATE transaction's write lock on
    SQLite), so concurrent appends are serialised and sequence numbers have no gaps. The lock is held until
    the caller's transaction ends, so services should record their event after their slower work.
    """
    context = current_request_context()
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    actor_agency = (real_actor.agency.code if real_actor and real_actor.agency_id else "")[:40]
    # Round-trip the JSON so the hash covers exactly what the database will give back.
    stored_data = json.loads(canonical_json(data or {}))
    with transaction.atomic():
        head = _lock_head()
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            event_type=event_type,
            actor_id=real_actor.pk if real_actor else None,
            actor_username=(real_actor.username if real_actor else actor_username)[:150],
            actor_agency=actor_agency,
            object_type=object_type[:60],
            object_id=str(object_id)[:64] if object_id is not None else "",
            ip_address=(context.ip_address or "")[:45],
            reason=reason[:500],
            data=stored_data,
            prev_hash=head.hash,
        )
        event.hash = compute_hash(event, head.hash)
        event.save(force_insert=True)
        ChainHead.objects.filter(pk=HEAD_PK).update(seq=event.seq, hash=event.hash)
    return event


def append_many(events: list[dict[str, Any]], *, actor=None, actor_username: str = "") -> int:
    """Append several events by one actor in one locked step (bulk imports); returns how many were written.

    Each item gives `event_type` and optionally `object_type`, `object_id`, `reason` and `data`. The events are
    chained exactly as `append` would chain them one by one, but written in one bulk insert and one head update.
    """
    from lantern.core.bulk import insert_rows

    if not events:
        return 0
    context = current_request_context()
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    common = {
        "actor_id": real_actor.pk if real_actor else None,
        "actor_username": (real_actor.username if real_actor else actor_username)[:150],
        "actor_agency": (real_actor.agency.code if real_actor and real_actor.agency_id else "")[:40],
        "ip_address": (context.ip_address or "")[:45],
    }
    with transaction.atomic():
        head = _lock_head()
        seq, prev_hash, now = head.seq, head.hash, timezone.now()
        rows = []
        for item in events:
            seq += 1
            object_id = item.get("object_id", "")
            row = {
                **common,
                "seq": seq,
                "occurred_at": now,
                "event_type": item["event_type"],
                "object_type": item.get("object_type", "")[:60],
                "object_id": str(object_id)[:64] if object_id is not None else "",
                "reason": item.get("reason", "")[:500],
                "data": json.loads(canonical_json(item.get("data") or {})),
                "prev_hash": prev_hash,
            }
            row["hash"] = prev_hash = payload_hash(prev_hash, row)
            rows.append(row)
        insert_rows(AuditEvent, rows)
        ChainHead.objects.filter(pk=HEAD_PK).update(seq=seq, hash=prev_hash)
    return len(rows)
