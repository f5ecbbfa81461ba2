"""Checkpoints are bound to the database they sign: another database's say so, and version 1 still verifies."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from lantern.audit.checkpoints import checkpoint_write, sign
from lantern.audit.tests.conftest import append_events
from lantern.audit.verify import verify_chain
from lantern.core.identity import database_id
from lantern.core.models import DatabaseIdentity


def become_another_database() -> str:
    """Give this database a new identity, as a database migrated afresh would have; returns the old one."""
    old = database_id()
    DatabaseIdentity.objects.update(database_id="f" * 32)
    return old


def test_every_database_has_one_identity(db):
    """The identity is made once and then stays the same."""
    first = database_id()
    assert len(first) == 32
    assert database_id() == first
    assert DatabaseIdentity.objects.count() == 1


def test_another_databases_checkpoints_are_named_as_such_not_as_removed_events(chain):
    """A shorter chain beside another database's checkpoints is reported as a mismatch of databases."""
    append_events(20)
    checkpoint_write()
    old = become_another_database()
    result = verify_chain()
    assert not result.ok
    [problem] = result.problems
    assert f"belongs to database {old}; this is database {'f' * 32}" in problem.reason
    assert "removed" not in problem.reason
    with pytest.raises(CommandError, match=f"to database {old}; this is database f{{32}}"):
        call_command("audit_verify", "--no-record")


def test_a_checkpoint_of_another_database_is_never_overwritten(chain):
    """Writing a checkpoint where another database's file of the same number lies is refused."""
    from lantern.audit.checkpoints import checkpoint_dir
    from lantern.audit.models import ChainHead

    head = ChainHead.objects.get()
    other, written_at = "e" * 32, "2026-12-01T00:00:00Z"
    body = {
        "version": 2,
        "database": other,
        "seq": head.seq,
        "head_hash": head.hash,
        "written_at": written_at,
        "hmac": sign(seq=head.seq, head_hash=head.hash, written_at=written_at, database=other),
    }
    path = checkpoint_dir() / f"checkpoint-{head.seq:012d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body))
    with pytest.raises(ImproperlyConfigured, match=f"checkpoint of database {other}, and this is database"):
        checkpoint_write()
    assert json.loads(path.read_text()) == body


def test_version_1_checkpoints_still_verify(chain, settings):
    """A checkpoint written before databases had identities (no version field) is checked as before."""
    from lantern.audit.checkpoints import checkpoint_dir
    from lantern.audit.models import ChainHead

    head = ChainHead.objects.get()
    written_at = "2026-12-01T00:00:00Z"
    body = {
        "seq": head.seq,
        "head_hash": head.hash,
        "written_at": written_at,
        "hmac": sign(seq=head.seq, head_hash=head.hash, written_at=written_at),
    }
    checkpoint_dir().mkdir(parents=True, exist_ok=True)
    (checkpoint_dir() / f"checkpoint-{head.seq:012d}.json").write_text(json.dumps(body))
    result = verify_chain()
    assert result.ok, result.problems
    assert result.checkpoints_valid == 1
