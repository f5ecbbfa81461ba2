"""Signed checkpoints: written outside the database, only when the chain has moved, and checkable."""

import hashlib
import hmac
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lantern.audit.chain import canonical_json
from lantern.audit.checkpoints import checkpoint_dir, checkpoint_write, read_checkpoint
from lantern.audit.models import AuditEvent, ChainHead
from lantern.audit.tests.conftest import append_events
from lantern.core.identity import database_id
from lantern.core.scheduler import JOBS


def test_checkpoint_records_the_head_signed_with_the_audit_key(chain, settings):
    """The file holds the head's sequence number and hash and the database's identity, signed with HMAC-SHA256
    under AUDIT_KEY."""
    head = ChainHead.objects.get()
    checkpoint = checkpoint_write()
    body = json.loads(checkpoint.path.read_text())
    assert checkpoint.path.parent == checkpoint_dir()
    assert set(body) == {"version", "database", "seq", "head_hash", "written_at", "hmac"}
    assert (body["version"], body["database"]) == (2, database_id())
    assert (body["seq"], body["head_hash"]) == (head.seq, head.hash)
    signed = ("version", "database", "seq", "head_hash", "written_at")
    message = canonical_json({k: body[k] for k in signed}).encode()
    assert body["hmac"] == hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()
    assert settings.AUDIT_KEY not in checkpoint.path.read_text()
    assert read_checkpoint(checkpoint.path) == checkpoint


def test_writing_a_checkpoint_is_itself_recorded(chain):
    """The audit log records each checkpoint written, with the sequence number and hash it signed."""
    checkpoint = checkpoint_write()
    latest = AuditEvent.objects.order_by("-seq").first()
    assert latest.event_type == "audit.checkpoint_written"
    assert latest.data == {"checkpoint_seq": checkpoint.seq, "head_hash": checkpoint.head_hash}
    assert latest.seq == checkpoint.seq + 1


def test_periodic_job_writes_only_when_the_chain_has_moved(chain):
    """The five-minute job signs the head, skips while only its own record follows, and signs again later."""
    import lantern.audit.jobs  # noqa: F401 - registers the job, as `lantern worker` does

    job = JOBS["audit.checkpoint"]
    assert job.every.total_seconds() == 300
    job.run()
    job.run()
    assert len(list(checkpoint_dir().glob("checkpoint-*.json"))) == 1
    append_events(1)
    job.run()
    assert len(list(checkpoint_dir().glob("checkpoint-*.json"))) == 2


def test_command_writes_a_checkpoint_and_reports_where(chain, capsys):
    """`lantern audit_checkpoint` writes a checkpoint and says where; `--if-moved` then writes nothing."""
    call_command("audit_checkpoint")
    path = next(checkpoint_dir().glob("checkpoint-*.json"))
    assert f"Checkpoint of event 10 written to {path}." in capsys.readouterr().out
    call_command("audit_checkpoint", "--if-moved")
    assert "No checkpoint written" in capsys.readouterr().out
    assert len(list(checkpoint_dir().glob("checkpoint-*.json"))) == 1


def test_command_without_an_audit_key_says_what_to_set(chain, settings):
    """With no AUDIT_KEY there is nothing to sign with, and the command says which setting is missing."""
    settings.AUDIT_KEY = ""
    with pytest.raises(CommandError, match="LANTERN_AUDIT_KEY"):
        call_command("audit_checkpoint")
    assert not checkpoint_dir().exists() or not list(checkpoint_dir().iterdir())
