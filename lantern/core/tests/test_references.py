"""Reference numbers: counters that count up, blocks for imports, and no repeats (nor waiting) under concurrency."""

import threading

import pytest
from django.db import connection, connections, transaction

from lantern.core import references
from lantern.core.models import Counter
from lantern.intake.schemas import ReferralIn


@pytest.mark.django_db
def test_counters_count_up_from_one_each_on_its_own():
    """Each named counter starts at 1 and counts up by one, whatever the others do."""
    assert [references.next_number("test-a") for _ in range(3)] == [1, 2, 3]
    assert references.next_number("test-b") == 1
    assert references.next_number("test-a") == 4


@pytest.mark.django_db
def test_a_reserved_block_is_consecutive_and_the_counter_continues_after_it():
    """`reserve_numbers` gives a block of consecutive numbers that later numbers never fall into."""
    assert references.next_number("test-block") == 1
    first = references.reserve_numbers("test-block", 50)
    assert first == 2
    assert references.next_number("test-block") == 52
    assert references.reserve_numbers("test-fresh", 10) == 1
    assert references.reserve_numbers("test-fresh", 1) == 11
    with pytest.raises(ValueError):
        references.reserve_numbers("test-block", 0)


@pytest.mark.django_db(transaction=True)
def test_a_number_and_a_key_come_together_and_the_key_is_free():
    """`next_number_and_key` counts up like `next_number` and gives a key no row has, nor had: a row written with
    it goes in, and the next call gives another."""
    from django.contrib.contenttypes.models import ContentType

    gone = ContentType.objects.create(app_label="test", model="gone")
    highest = gone.pk
    gone.delete()  # a key once given is not given again, even with its row gone
    with transaction.atomic():
        first, key = references.next_number_and_key("test-keyed", ContentType)
    assert first == 1 and key > highest
    ContentType.objects.create(pk=key, app_label="test", model="keyed")
    with transaction.atomic():
        second, again = references.next_number_and_key("test-keyed", ContentType)
    assert second == 2 and again > key


@pytest.mark.django_db
def test_references_are_formatted_with_the_prefix_year_and_six_digits(settings):
    """RIV-2026-000001, then RIV-2026-000002; cases have their own counter."""
    settings.REFERENCE_PREFIX = "RIV"
    assert references.referral_reference(2026) == "RIV-2026-000001"
    assert references.referral_reference(2026) == "RIV-2026-000002"
    assert references.case_reference() == "RIV-C-000001"
    assert references.referral_reference_for(2026, 1234567) == "RIV-2026-1234567"


def test_sequence_names_are_safe_identifiers_and_distinct():
    """Names that differ only in punctuation still get different sequences, each a valid identifier."""
    first, second = references.sequence_name("referral-2026"), references.sequence_name("referral_2026")
    assert first != second
    for name in (first, second, references.sequence_name("x" * 50)):
        assert name.isidentifier() and len(name) <= 63 and name == name.lower()


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs DATABASE_URL to point at PostgreSQL"
)


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_a_sequence_continues_from_the_counter_row_of_the_old_mechanism():
    """A database whose counters were rows keeps counting from where they were: no reference is issued twice."""
    Counter.objects.create(name="test-upgraded", value=41)
    assert references.next_number("test-upgraded") == 42
    assert references.next_number("test-upgraded") == 43


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db
def test_a_rolled_back_number_leaves_a_gap_and_is_never_issued_again():
    """Numbers are gap-tolerant: one taken by a transaction that rolls back is skipped, not reused."""
    assert references.next_number("test-gap") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert references.next_number("test-gap") == 2
        raise RuntimeError("roll back")
    assert references.next_number("test-gap") == 3


@pytest.mark.postgres
@postgres_only
@pytest.mark.xdist_group("references-concurrency")
@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_references_without_waiting_for_each_other():
    """Referrals created at once by many threads (and an import's block reserved meanwhile) never share a number.

    A number is taken without a row lock: while one transaction holding a number is still open, another takes
    the next one at once instead of waiting for the first to commit (as a locked counter row made it wait).
    """
    from lantern.intake import services
    from lantern.intake.models import Channel, Referral, ReferralSource

    threads, per_thread, block = 6, 8, 40
    barrier = threading.Barrier(threads + 1)
    failures: list[str] = []
    blocks: list[int] = []

    def create() -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    services.referral_create(
                        actor=None,
                        channel=Channel.PUBLIC_FORM,
                        referral=ReferralIn(
                            source=ReferralSource.PUBLIC,
                            summary=f"Concern {i}: a girl seen getting into a grey car at the allotments.",
                        ),
                    )
                    if i == 2:
                        transaction.set_rollback(True)  # a failed creation: its number becomes a gap
        except BaseException as error:  # noqa: BLE001 - reported to the test
            failures.append(repr(error))
        finally:
            connections.close_all()

    def reserve() -> None:
        try:
            barrier.wait()
            blocks.append(references.reserve_numbers(f"referral-{_this_year()}", block))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            failures.append(repr(error))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=create) for _ in range(threads)] + [threading.Thread(target=reserve)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert failures == []
    references_made = Referral.objects.values_list("reference", flat=True)
    numbers = [int(reference.rsplit("-", 1)[1]) for reference in references_made]
    assert len(numbers) == threads * (per_thread - 1)  # one rolled back in each thread
    assert len(set(numbers)) == len(numbers)
    [first] = blocks
    reserved = set(range(first, first + block))
    assert not reserved & set(numbers)

    # No waiting: a second connection takes a number while the first still holds one uncommitted.
    assert references.next_number("test-no-wait") == 1  # the sequence exists (creating it would wait)
    held = threading.Event()
    release = threading.Event()
    taken: list[int] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                taken.append(references.next_number("test-no-wait"))
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(timeout=30)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            taken.append(references.next_number("test-no-wait"))
    finally:
        release.set()
        holder.join(timeout=30)
    assert sorted(taken) == [2, 3]


def _this_year() -> int:
    from django.utils import timezone

    return timezone.localtime().year
