"""`run_once`, the Idempotency-Key helper both APIs use (their tests cover replays, reuse and races): what it does
without a key, with keys at the length limits, and with a database error that is not about the key."""

import pytest
from django.db import IntegrityError
from pydantic import BaseModel

from lantern.accounts.testing import UserFactory
from lantern.core import idempotency
from lantern.core.exceptions import Invalid
from lantern.intake.models import IdempotencyKey

pytestmark = pytest.mark.django_db


class Body(BaseModel):
    """A request body."""

    summary: str


def test_without_a_key_every_request_is_carried_out():
    """No key: `create` runs each time and nothing is recorded."""
    made = []

    def create():
        made.append(f"record {len(made) + 1}")
        return made[-1]

    user = UserFactory()
    answers = [
        idempotency.run_once(
            keys=IdempotencyKey, user=user, key=None, body=Body(summary="x"), create=create, what="thing"
        )
        for _ in range(2)
    ]
    assert [(done.record, done.created, done.replayed) for done in answers] == [
        ("record 1", "record 1", False),
        ("record 2", "record 2", False),
    ]
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize(
    ("key", "errors"),
    [
        ("k", {}),
        ("k" * 200, {}),
        (None, {}),
        ("", {"Idempotency-Key": ["Must be 1 to 200 characters"]}),
        ("k" * 201, {"Idempotency-Key": ["Must be 1 to 200 characters"]}),
    ],
)
def test_keys_are_1_to_200_characters(key, errors):
    """The header is optional; given, it has 1 to 200 characters, and a bad one is refused before anything runs."""
    assert idempotency.key_errors(key) == errors
    if errors:
        with pytest.raises(Invalid) as refused:
            idempotency.run_once(
                keys=IdempotencyKey,
                user=UserFactory(),
                key=key,
                body=Body(summary="x"),
                create=pytest.fail,
                what="thing",
            )
        assert refused.value.fields == errors


def test_a_database_error_that_is_not_about_the_key_is_raised():
    """An integrity error from `create` with no earlier request under the key is not mistaken for a race."""

    def create():
        raise IntegrityError("something else")

    with pytest.raises(IntegrityError, match="something else"):
        idempotency.run_once(
            keys=IdempotencyKey,
            user=UserFactory(),
            key="k",
            body=Body(summary="x"),
            create=create,
            what="thing",
        )
    assert not IdempotencyKey.objects.exists()
