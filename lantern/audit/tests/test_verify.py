"""`lantern audit_verify` passes an intact log and names the first bad event after each kind of tampering.

Tampering is done as someone with direct database access would: with the triggers switched off.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lantern.audit.chain import canonical_json, compute_hash
from lantern.audit.checkpoints import checkpoint_dir, checkpoint_write, sign
from lantern.audit.models import AuditEvent, ChainHead
from lantern.audit.tests.conftest import append_events, tamper
from lantern.audit.verify import verify_chain


def head() -> tuple[int, str]:
    """The chain head's sequence number and hash."""
    row = ChainHead.objects.get()
    return row.seq, row.hash


def set_head(seq: int, hash_: str) -> tuple[str, list]:
    """SQL that sets the chain head, to make a tampered chain look consistent."""
    return "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [seq, hash_]


def rehash_from(seq: int) -> None:
    """Recompute every hash from `seq` onwards and move the head, as a careful attacker would."""
    statements = []
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        event.prev_hash = prev
        prev = compute_hash(event, prev)
        statements.append(
            (
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                [event.prev_hash, prev, event.seq],
            )
        )
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    tamper(*statements, set_head(last, prev))


def assert_fails_at(seq: int, words: str) -> None:
    """Verification fails, naming `seq` first and giving a reason containing `words`; so does the command."""
    result = verify_chain(chunk_size=3)
    assert not result.ok
    assert result.first_problem.seq == seq, result.problems
    assert words in result.first_problem.reason
    with pytest.raises(CommandError, match=rf"FAILED at seq {seq}: .*{words}"):
        call_command("audit_verify")


def test_intact_log_verifies_with_its_checkpoints(chain, capsys):
    """An untouched log with a checkpoint verifies, says so in one line, and records the verdict."""
    checkpoint_write()
    events = AuditEvent.objects.count()
    call_command("audit_verify")
    assert capsys.readouterr().out.strip() == f"Verified {events} events; chain intact; 1 checkpoint valid."
    latest = AuditEvent.objects.order_by("-seq").first()
    assert latest.event_type == "audit.verified"
    assert latest.data == {"events": events, "checkpoints_valid": 1}
    call_command("audit_verify", "--no-record")
    assert (
        capsys.readouterr().out.strip() == f"Verified {events + 1} events; chain intact; 1 checkpoint valid."
    )
    assert AuditEvent.objects.count() == events + 1


def test_a_failed_verification_is_recorded(chain):
    """A failed verification appends its own verdict, with the first bad sequence number."""
    tamper("UPDATE audit_auditevent SET reason = 'edited' WHERE seq = 2")
    with pytest.raises(CommandError):
        call_command("audit_verify")
    latest = AuditEvent.objects.order_by("-seq").first()
    assert latest.event_type == "audit.verification_failed"
    assert latest.data["first_bad_seq"] == 2


def test_updated_field_is_caught(chain):
    """Changing one field of one event breaks that event's hash."""
    tamper("UPDATE audit_auditevent SET reason = 'nothing to see' WHERE seq = 5")
    assert_fails_at(5, "was altered")


def test_updated_data_is_caught(chain):
    """Changing the data of an event (here, which records were listed) breaks its hash."""
    tamper(
        ("UPDATE audit_auditevent SET data = %s WHERE seq = %s", [json.dumps({"i": 1, "note": "other"}), 7])
    )
    assert_fails_at(7, "was altered")


def test_updated_event_with_recomputed_hash_breaks_the_next_link(chain):
    """An altered event given a fresh hash no longer matches the link stored in the event after it."""
    event = AuditEvent.objects.get(seq=4)
    event.actor_username = "someone-else"
    new_hash = compute_hash(event, event.prev_hash)
    tamper(
        (
            "UPDATE audit_auditevent SET actor_username = %s, hash = %s WHERE seq = 4",
            [event.actor_username, new_hash],
        )
    )
    assert_fails_at(5, "link to the previous event")


def test_deleted_middle_event_is_caught(chain):
    """Deleting an event leaves a gap in the sequence numbers."""
    tamper("DELETE FROM audit_auditevent WHERE seq = 6")
    assert_fails_at(6, "event 6 is missing")


def test_deleted_run_of_events_is_caught(chain):
    """Deleting several events names the whole gap."""
    tamper("DELETE FROM audit_auditevent WHERE seq BETWEEN 3 AND 5")
    assert_fails_at(3, "events 3 to 5 are missing")


def test_removed_tail_with_a_consistent_head_is_caught_by_the_checkpoint(chain):
    """Deleting the last events and setting the head back looks consistent, but a checkpoint has seen them."""
    checkpoint = checkpoint_write()
    assert checkpoint.seq == 10
    event_8 = AuditEvent.objects.get(seq=8)
    tamper("DELETE FROM audit_auditevent WHERE seq > 8", set_head(8, event_8.hash))
    assert_fails_at(9, "beyond the end of the chain")


def test_removed_tail_without_a_checkpoint_is_caught_by_the_head(chain):
    """Deleting the last events but leaving the head shows the tail was removed."""
    tamper("DELETE FROM audit_auditevent WHERE seq > 7")
    assert_fails_at(8, "tail was removed")


def test_event_beyond_the_head_is_caught(chain):
    """An event slipped in after the head, without moving it, is caught."""
    tamper(set_head(9, AuditEvent.objects.get(seq=9).hash))
    assert_fails_at(10, "beyond the chain head")


def test_swapped_sequence_numbers_are_caught(chain):
    """Reordering two events by swapping their sequence numbers breaks the chain at the first of them."""
    tamper(
        "UPDATE audit_auditevent SET seq = -4 WHERE seq = 4",
        "UPDATE audit_auditevent SET seq = 4 WHERE seq = 5",
        "UPDATE audit_auditevent SET seq = 5 WHERE seq = -4",
    )
    assert_fails_at(4, "link to the previous event")


def test_swapped_contents_are_caught(chain):
    """Reordering two events by swapping everything but their sequence numbers breaks the chain too."""
    columns = ["event_type", "object_id", "data", "prev_hash", "hash"]
    a, b = (AuditEvent.objects.filter(seq=s).values(*columns).get() for s in (6, 7))
    assignments = ", ".join(f"{c} = %s" for c in columns)

    def values(row):
        return [canonical_json(row[c]) if c == "data" else row[c] for c in columns]

    tamper(
        ("UPDATE audit_auditevent SET hash = %s WHERE seq = 6", ["moving"]),  # hashes are unique
        (f"UPDATE audit_auditevent SET {assignments} WHERE seq = %s", [*values(a), 7]),  # noqa: S608 - column names from this test
        (f"UPDATE audit_auditevent SET {assignments} WHERE seq = %s", [*values(b), 6]),  # noqa: S608 - column names from this test
    )
    assert_fails_at(6, "link to the previous event")


def test_chain_rewritten_with_recomputed_hashes_is_caught_by_the_checkpoint(chain):
    """Rewriting an event and recomputing later hashes and the head fools the chain, not the checkpoint."""
    checkpoint = checkpoint_write()
    tamper("UPDATE audit_auditevent SET reason = 'rewritten history' WHERE seq = 3")
    rehash_from(3)
    assert_fails_at(10, "signed in checkpoint checkpoint-000000000010.json")
    checkpoint.path.unlink()
    assert verify_chain().ok, "without the checkpoint the rewrite would have gone unnoticed"


def test_forged_checkpoint_is_caught(chain):
    """A checkpoint not signed with AUDIT_KEY is rejected."""
    seq, head_hash = head()
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    body = {"seq": seq, "head_hash": head_hash, "written_at": "2026-01-01T00:00:00.000000Z", "hmac": "0" * 64}
    (directory / f"checkpoint-{seq:012d}.json").write_text(json.dumps(body))
    assert_fails_at(seq, "invalid signature")


def test_checkpoint_signed_with_another_key_is_caught(chain, settings):
    """A checkpoint signed with any key but AUDIT_KEY is rejected."""
    settings.AUDIT_KEY = "a-key-the-attacker-chose"
    checkpoint = checkpoint_write()
    settings.AUDIT_KEY = "test-audit-key"
    assert_fails_at(checkpoint.seq, "invalid signature")


def test_altered_checkpoint_is_caught(chain):
    """Editing a genuine checkpoint to match a rewritten chain breaks its signature."""
    checkpoint = checkpoint_write()
    body = json.loads(checkpoint.path.read_text())
    body["head_hash"] = "f" * 64
    checkpoint.path.write_text(json.dumps(body))
    assert_fails_at(checkpoint.seq, "invalid signature")


def test_checkpoint_renamed_to_another_event_is_caught(chain):
    """A genuine checkpoint renamed to claim a different event is rejected."""
    checkpoint = checkpoint_write()
    checkpoint.path.rename(checkpoint.path.with_name("checkpoint-000000000003.json"))
    assert_fails_at(checkpoint.seq, "named for a different event")


def test_unreadable_checkpoint_is_reported_without_a_sequence_number(chain):
    """A checkpoint file that is not JSON fails verification with a clear reason."""
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoint-000000000004.json").write_text("not json")
    result = verify_chain()
    assert not result.ok
    assert result.first_problem.seq is None
    assert "cannot be read as JSON" in result.first_problem.reason
    with pytest.raises(
        CommandError, match="FAILED at the chain head: checkpoint checkpoint-000000000004.json"
    ):
        call_command("audit_verify")


def test_signature_covers_sequence_hash_and_time():
    """The signature changes when any signed field changes."""
    base = {"seq": 5, "head_hash": "a" * 64, "written_at": "2026-01-01T00:00:00Z"}
    signatures = {
        sign(**base),
        sign(**{**base, "seq": 6}),
        sign(**{**base, "head_hash": "b" * 64}),
        sign(**{**base, "written_at": "2026-01-01T00:00:01Z"}),
    }
    assert len(signatures) == 4


def test_many_events_verify_in_chunks(db):
    """A longer chain read in small chunks verifies, counting every event."""
    append_events(250)
    result = verify_chain(chunk_size=7)
    assert result.ok
    assert result.events == AuditEvent.objects.count()
