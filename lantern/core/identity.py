"""This database's identity: a random id made when the database is first migrated (see `DatabaseIdentity`)."""

import uuid

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

IDENTITY_PK = 1


def new_database_id() -> str:
    """A fresh random identity: 32 hexadecimal digits."""
    return uuid.uuid4().hex


def database_id(using: str = DEFAULT_DB_ALIAS) -> str:
    """This database's identity, made now if the row is missing (a database flushed by the tests, say)."""
    from lantern.core.models import DatabaseIdentity

    identity, _ = DatabaseIdentity.objects.using(using).get_or_create(
        pk=IDENTITY_PK, defaults={"database_id": new_database_id(), "created_at": timezone.now()}
    )
    return identity.database_id
