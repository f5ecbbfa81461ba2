"""Appending to and hashing the audit chain."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from lantern.audit.models import AuditEvent, ChainHead
from lantern.core.context import current_request_context

HASHED_FIELDS = (
    "seq", "occurred_at", "event_type", "actor_id", "actor_username", "actor_agency",
    "object_type", "object_id", "ip_address", "reason", "data",
)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: the same value always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The fields of an event that its hash covers."""
    payload = {name: getattr(event, name) for name in HASHED_FIELDS}
    payload["occurred_at"] = _timestamp(event.occurred_at)
    return payload


def compute_hash(event: AuditEvent, prev_hash: str) -> str:
    """SHA-256 over the previous hash and the event's canonical JSON."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_json(event_payload(event)).encode("utf-8"))
    return digest.hexdigest()


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
    SQLite), so concurrent appends are serialised and sequence numbers have no gaps.
    """
    context = current_request_context()
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        real_actor = actor if getattr(actor, "is_authenticated", False) else None
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            event_type=event_type,
            actor_id=real_actor.pk if real_actor else None,
            actor_username=(real_actor.username if real_actor else actor_username)[:150],
            actor_agency=(real_actor.agency.code if real_actor and real_actor.agency_id else "")[:40],
            object_type=object_type[:60],
            object_id=str(object_id)[:64] if object_id is not None else "",
            ip_address=(context.ip_address or "")[:45],
            reason=reason[:500],
            data=data or {},
            prev_hash=head.hash,
        )
        # Round-trip the JSON so the hash covers exactly what the database will give back.
        event.data = json.loads(canonical_json(event.data))
        event.hash = compute_hash(event, head.hash)
        event.save(force_insert=True)
        ChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event
