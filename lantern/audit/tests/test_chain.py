"""Appending to the chain: gap-free sequence numbers, hashes that survive the database, one transaction."""

import itertools

import pytest
from django.db import transaction

from lantern.audit.chain import ChainBroken, append, append_many, compute_hash
from lantern.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from lantern.audit.tests.conftest import append_events, tamper
from lantern.audit.verify import verify_chain


def test_many_appends_form_a_gap_free_chain_that_verifies(db):
    """Three hundred appends give consecutive sequence numbers, each linked to the one before, and verify."""
    before = ChainHead.objects.get().seq
    appended = append_events(300)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, before + 301))
    stored = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.hash for e in stored] == [e.hash for e in appended]
    for earlier, later in itertools.pairwise(stored):
        assert later.prev_hash == earlier.hash
    assert ChainHead.objects.get().hash == stored[-1].hash
    result = verify_chain(chunk_size=64)
    assert result.ok, result.problems
    assert result.events == before + 300


def test_first_event_links_to_the_genesis_hash(db):
    """The first event of a chain carries the genesis hash as its previous hash."""
    append_events(1)
    assert AuditEvent.objects.order_by("seq").first().prev_hash == GENESIS_HASH


def test_hash_is_the_same_after_a_round_trip_through_the_database(db, user_factory):
    """Timestamps to the microsecond, Unicode, nesting and awkward numbers hash the same when read back."""
    user = user_factory()
    event = append(
        event_type="test.round_trip",
        actor=user,
        object_type="test.thing",
        object_id=42,
        reason="Ceòl agus ñ",
        data={
            "z": [1.0, 1e16, 0.1, 2**62, -0.0],
            "a": {"nested": "café", "empty": {}},
            "none": None,
            "t": True,
        },
    )
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.occurred_at == event.occurred_at
    assert stored.data == event.data
    assert stored.actor_id == user.pk
    assert stored.actor_agency == user.agency.code
    assert compute_hash(stored, stored.prev_hash) == stored.hash == event.hash


def test_event_is_rolled_back_with_the_change_it_records(db):
    """An event appended in a transaction that fails disappears with it, leaving no gap."""
    head_before = ChainHead.objects.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        append(event_type="test.doomed")
        raise RuntimeError("the change being recorded failed")
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == (head_before.seq, head_before.hash)
    assert not AuditEvent.objects.filter(event_type="test.doomed").exists()
    assert append(event_type="test.next").seq == head_before.seq + 1
    assert verify_chain().ok


def test_head_row_is_recreated_for_an_empty_log(db):
    """After a flush removes the head row from an empty log, the next append starts the chain at 1."""
    tamper("DELETE FROM audit_auditevent", "DELETE FROM audit_chainhead")
    event = append(event_type="test.first")
    assert (event.seq, event.prev_hash) == (1, GENESIS_HASH)
    assert verify_chain().ok


def test_missing_head_row_with_events_refuses_appends(db):
    """If the head row vanishes while events exist, appends fail loudly rather than restart the chain."""
    append_events(2)
    tamper("DELETE FROM audit_chainhead")
    with pytest.raises(ChainBroken, match="head row was missing"):
        append(event_type="test.after_head_lost")
    result = verify_chain()
    assert not result.ok
    assert "head row is missing" in result.first_problem.reason


def test_append_many_chains_a_batch_under_one_lock(db):
    """A batch written at once is chained exactly as single appends are, and the head moves to its end."""
    first = append(event_type="test.before")
    written = append_many(
        [
            {"event_type": "test.batch", "object_type": "test.thing", "object_id": n, "data": {"n": n}}
            for n in range(5)
        ]
    )
    assert written == 5
    batch = list(AuditEvent.objects.filter(seq__gt=first.seq).order_by("seq"))
    assert [e.seq for e in batch] == list(range(first.seq + 1, first.seq + 6))
    assert batch[0].prev_hash == first.hash
    assert ChainHead.objects.get().hash == batch[-1].hash
    assert verify_chain().ok
