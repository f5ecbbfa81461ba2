"""`Idempotency-Key` for API writes: a request sent again with the same key is carried out once.

A POST with an `Idempotency-Key` header (at most 200 characters) is done once per user and key. What it created
is recorded in the same transaction, in a table of the app's own (a subclass of `IdempotencyKeyBase` with a
foreign key to the record), so a repeat with the same body gets that record back instead of a second one. The
same key with a different body is refused with 409 Conflict: the key already stands for another request, a state
stored on the server that the new request conflicts with. (The IETF Idempotency-Key draft says such a request
SHOULD be answered 422; decision 0022 says why Lantern answers 409.) Concurrent requests with one key create one record: the unique
constraint on (user, key) lets one transaction commit, and the others roll back and answer from its row.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from pydantic import BaseModel, WithJsonSchema

from lantern.core.canonical import canonical_json
from lantern.core.exceptions import Conflict, Invalid

KEY_MAX = 200
HEADER = "Idempotency-Key"
# The header as the OpenAPI document states it: `key_errors` enforces the same form with its own messages.
Key = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": "^[^\\u0000]*$"}),
]


class IdempotencyKeyBase(models.Model):
    """The first result of an API request sent with an `Idempotency-Key`, so a repeat returns it.

    A subclass adds a foreign key to what the request created, names it in `result_field`, and declares the
    unique constraint on (user, key) under a name of its own.
    """

    result_field: ClassVar[str]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=KEY_MAX)
    request_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.key


class KeyReused(Conflict):
    """The key was used before with a different request: 409, since the request conflicts with the one the key
    already stands for."""

    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Done:
    """What a request did: the record it stands for, and what `create` returned if this request created it."""

    record: models.Model
    created: Any
    replayed: bool


def key_errors(key: str | None) -> dict[str, list[str]]:
    """What is wrong with the header's value, by field; empty if it is absent or fine."""
    if key is not None and not 1 <= len(key) <= KEY_MAX:
        return {HEADER: [f"Must be 1 to {KEY_MAX} characters"]}
    if key is not None and "\x00" in key:
        return {HEADER: ["Must not contain NUL characters (\\u0000)"]}
    return {}


def request_digest(body: BaseModel) -> str:
    """The digest a repeat is compared by: SHA-256 of the canonical JSON of the request's validated body."""
    return hashlib.sha256(canonical_json(body.model_dump(mode="json")).encode()).hexdigest()


def _replay(keys: type[IdempotencyKeyBase], *, user, key: str, digest: str, what: str) -> Done | None:
    existing = keys.objects.select_related(keys.result_field).filter(user=user, key=key).first()
    if existing is None:
        return None
    if existing.request_digest != digest:
        raise KeyReused(
            f"This Idempotency-Key was used with a different request. Use a new key for a new {what}.",
            {HEADER: ["Used before with a different request"]},
        )
    return Done(record=getattr(existing, keys.result_field), created=None, replayed=True)


def run_once(
    *,
    keys: type[IdempotencyKeyBase],
    user,
    key: str | None,
    body: BaseModel,
    create: Callable[[], Any],
    record: Callable[[Any], models.Model] = lambda created: created,
    what: str,
) -> Done:
    """Call `create()` once per user and key; a repeat with the same `body` gets the first record back.

    `record` picks the record out of what `create` returns. Without a key, `create()` is simply called. Raises
    `Invalid` for a malformed key and `KeyReused` for a key used before with another body; whatever `create`
    raises passes through, with nothing recorded. `what` names the record in the refusal ("referral").
    """
    if errors := key_errors(key):
        raise Invalid("The request has errors; see fields.", errors)
    if not key:
        created = create()
        return Done(record=record(created), created=created, replayed=False)
    digest = request_digest(body)
    if done := _replay(keys, user=user, key=key, digest=digest, what=what):
        return done
    try:
        with transaction.atomic():
            created = create()
            keys.objects.create(
                user=user, key=key, request_digest=digest, **{keys.result_field: record(created)}
            )
    except IntegrityError:
        # A concurrent request with the same key won the race; its transaction committed and this one rolled back.
        if done := _replay(keys, user=user, key=key, digest=digest, what=what):
            return done
        raise
    return Done(record=record(created), created=created, replayed=False)
