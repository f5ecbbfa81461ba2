"""`lantern.core.bulk.insert_together` writes what `save()` writes, value for value, on both databases: in one
statement on PostgreSQL, one per model on SQLite."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django_tasks_db.models import DBTaskResult

from lantern.core.bulk import insert_together
from lantern.intake.models import Referral
from lantern.intel.models import PersonMention, PlaceMention

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def _referral(reference: str, **fields) -> Referral:
    return Referral(
        reference=reference,
        source="public",
        channel="web",
        summary='A "quoted" summary,\nwith a newline ✓',
        received_at=datetime(
            2026, 3, 29, 1, 30, 15, 123456, tzinfo=LONDON
        ),  # the night the clocks go forward
        decision_due_at=datetime(2026, 3, 30, 23, 59, 59, 999999, tzinfo=LONDON),
        anonymous=True,
        **fields,
    )


def _stored(obj) -> dict:
    """Every field as read back from the database, but the key and the time of writing."""
    if (
        obj.pk is None
    ):  # inserted together, a database-numbered row does not learn its key: find it by its values
        row = type(obj).objects.get(referral=obj.referral, name=obj.name)
    else:
        row = type(obj).objects.get(pk=obj.pk)
    return {
        f.attname: getattr(row, f.attname)
        for f in obj._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now_add", False)
    }


def _family(referral: Referral) -> list:
    """A referral's mentions holding a date, decimals, empty and null values, and a queued task."""
    return [
        PersonMention(
            referral=referral, role="child", name="Child A", date_of_birth=date(2012, 2, 29), age=None
        ),
        PersonMention(referral=referral, role="person_of_concern", name="Tee", position=1, age=40),
        PlaceMention(
            referral=referral,
            name="Kebab House",
            place_type="takeaway",
            latitude=Decimal("53.430712"),
            longitude=Decimal("-1.357123"),
        ),
        DBTaskResult(
            id=uuid.uuid4(),
            args_kwargs={"args": [], "kwargs": {"nested": {"x": None, "n": [1, 2.5]}}},
            task_path="lantern.intel.linking.tasks.match_report",
            queue_name="default",
            backend_name="default",
            run_after=datetime(9999, 1, 1, tzinfo=ZoneInfo("UTC")),
        ),
    ]


def test_rows_read_back_as_save_writes_them():
    """The same objects, saved one by one and inserted together, read back equal in every field."""
    first = _referral("T-1")
    first.save()
    saved = _family(first)
    for obj in saved:
        obj.save(force_insert=True)
    second = _referral("T-2")
    second.pk = first.pk + 1000  # keys are set beforehand where rows point at each other
    together = [second, *_family(second)]
    insert_together(together)
    assert all(not o._state.adding and o._state.db == "default" for o in together)
    ours, theirs = [_stored(o) for o in together], [_stored(o) for o in [first, *saved]]
    assert ours[0].pop("reference") == "T-2" and theirs[0].pop("reference") == "T-1"
    for row in ours[1:4]:
        assert row.pop("referral_id") == second.pk
    for row in theirs[1:4]:
        assert row.pop("referral_id") == first.pk
    assert ours == theirs
    assert ours[0]["received_at"].microsecond == 123456  # full precision, and the offset kept
    assert ours[4]["return_value"] is None
    assert DBTaskResult.objects.filter(pk=together[4].pk, return_value__isnull=True).exists()  # SQL NULL


def test_a_failed_row_leaves_nothing_written_in_the_transaction():
    """A row that cannot be written (a reference already taken) leaves the other models' rows unwritten too."""
    taken = _referral("T-3")
    taken.save()
    again = _referral("T-3")
    again.pk = taken.pk + 1000
    mention = PersonMention(referral=again, role="child", name="Nobody")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([mention, again])  # the mention's CTE comes first
    assert not PersonMention.objects.filter(name="Nobody").exists()
    assert Referral.objects.filter(reference="T-3").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one statement is PostgreSQL's")
def test_the_statement_text_does_not_depend_on_how_many_rows():
    """One row or five of each model: the same text, so the driver and the server keep it prepared."""
    from django.test.utils import CaptureQueriesContext

    texts = []
    for count in (1, 5):
        referral = _referral(f"T-{count}0")
        referral.pk = 2 * 10**9 + count
        with CaptureQueriesContext(connection) as captured:
            insert_together(
                [
                    referral,
                    *(
                        PersonMention(referral=referral, role="child", name=f"C{n}", position=n)
                        for n in range(count)
                    ),
                ]
            )
        texts.append(captured.captured_queries[0]["sql"].split("json_populate_recordset")[0])
    assert texts[0] == texts[1] and texts[0].startswith("WITH i0 AS (INSERT INTO")
    assert PersonMention.objects.filter(referral_id=2 * 10**9 + 5).count() == 5
