"""`lantern import referrals FILE.csv`: a good file, a bad file (nothing imported), --skip-invalid and --dry-run."""

import csv
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from lantern.accounts.models import AgencyKind
from lantern.accounts.testing import AgencyFactory
from lantern.audit.models import AuditEvent
from lantern.core.calendar import LONDON, add_working_days
from lantern.intake.importers import decision_due
from lantern.intake.models import Referral
from lantern.intake.tests.conftest import counts
from lantern.intel.models import MentionOrigin

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    {
        "reference": "OLD-1",
        "received_at": "2019-03-01 16:00",
        "source": "professional",
        "referrer_agency": "riverton-police",
        "summary": "Girl seen getting into AB12 CDE outside the takeaway.",
        "child_name": "Child A",
        "child_dob": "27/03/2005",
        "place_name": "Kebab House",
        "place_type": "takeaway",
        "vehicle_registration": "AB12 CDE; XY1? ABC",
        "vehicle_colour": "Silver",
        "phone": "07700 900982",
        "status": "closed",
        "public_outcome": "Support offered.",
    },
    {
        "reference": "OLD-2",
        "received_at": "2020-07-14T09:30:00+01:00",
        "source": "public",
        "summary": "Men hanging around the park after dark; one gave out 07700 900123.",
        "child_age": "13",
        "person_name": "",
        "person_nickname": "Smiler",
        "person_age": "40",
    },
    {"received_at": "15/01/2021", "summary": "Concern passed on by the school.", "child_name": "Child C"},
]
COLUMNS = [
    "reference",
    "received_at",
    "source",
    "referrer_agency",
    "summary",
    "child_name",
    "child_dob",
    "child_age",
    "place_name",
    "place_type",
    "vehicle_registration",
    "vehicle_colour",
    "phone",
    "person_name",
    "person_nickname",
    "person_age",
    "status",
    "public_outcome",
]


def write_csv(path, rows, columns=COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def police(db):
    """The police agency, whose code the file uses."""
    return AgencyFactory(kind=AgencyKind.POLICE)


def test_a_good_file_imports_every_row_with_mentions_and_audit(tmp_path, police):
    """Each row becomes a referral with a Lantern reference, its mentions, and one audit event."""
    out, _ = run("referrals", str(write_csv(tmp_path / "good.csv", GOOD_ROWS)), "--batch-size", "2")
    assert "Imported 3 referrals of 3 rows" in out
    first, second, third = Referral.objects.order_by("received_at")
    assert (first.reference, first.external_reference, first.channel) == (
        "RIV-2019-000001",
        "OLD-1",
        "import",
    )
    assert (
        first.referrer_agency == police and first.status == "closed" and first.closed_at == first.received_at
    )
    assert first.public_outcome == "Support offered."
    assert first.person_mentions.get().date_of_birth.isoformat() == "2005-03-27"
    marks = {
        (v.registration_normalised, v.registration_partial, v.origin) for v in first.vehicle_mentions.all()
    }
    assert marks == {
        ("AB12CDE", False, MentionOrigin.STRUCTURED),
        ("XY1?ABC", True, MentionOrigin.STRUCTURED),
    }
    assert first.phone_mentions.get().number_e164 == "+447700900982"
    assert first.place_mentions.get().place_type == "takeaway"
    assert second.reference == "RIV-2020-000001" and second.source == "public"
    assert second.phone_mentions.get().origin == MentionOrigin.FREE_TEXT
    assert {(p.role, p.nickname, p.age) for p in second.person_mentions.all()} == {
        ("child", "", 13),
        ("person_of_concern", "Smiler", 40),
    }
    assert third.source == "import" and third.reference == "RIV-2021-000001"
    assert third.received_at.isoformat() == "2021-01-15T00:00:00+00:00"
    events = AuditEvent.objects.filter(event_type="referral.imported")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        str(r.pk) for r in (first, second, third)
    )
    assert all(event.actor_username == "import" for event in events)
    # Written in bulk, the events still chain exactly as single appends would.
    from lantern.audit.verify import verify_chain

    assert verify_chain().ok


BAD_ROWS = [
    ({"received_at": "2031-01-01"}, "received_at", "must be in the past"),
    ({"received_at": "31/02/2020"}, "received_at", "Enter a real date"),
    ({"received_at": ""}, "received_at", "Enter the date it was received"),
    ({"summary": ""}, "summary", "Enter what happened"),
    ({"summary": "x" * 5001}, "summary", "5,000 characters or fewer"),
    ({"vehicle_registration": "A" * 21}, "vehicle_registration", "20 characters or fewer"),
    ({"phone": "0" * 41}, "phone", "40 characters or fewer"),
    ({"child_age": "30"}, "child_age", "between 0 and 25"),
    ({"child_age": "ten"}, "child_age", "whole number"),
    ({"child_dob": "1850-01-01"}, "child_dob", "after 1900"),
    ({"place_type": "spaceport"}, "place_type", "Choose one of: park, allotment, takeaway"),
    ({"source": "pigeon"}, "source", "Choose one of: professional, public, self, import"),
    ({"status": "lost"}, "status", "Choose one of: received, open, closed, nfa"),
    ({"referrer_agency": "nobody"}, "referrer_agency", "No agency has this code"),
]


@pytest.mark.parametrize(("change", "column", "reason"), BAD_ROWS, ids=[c for _, c, _ in BAD_ROWS])
def test_a_file_with_a_bad_row_imports_nothing(tmp_path, police, change, column, reason):
    """One bad row: every error is reported with row, column and reason, and nothing at all is written."""
    rows = [GOOD_ROWS[0], {**GOOD_ROWS[1], **change}, GOOD_ROWS[2]]
    path = write_csv(tmp_path / "bad.csv", rows)
    before = counts()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 3 rows have errors; nothing was imported"):
        call_command("import", "referrals", str(path), "--no-progress", stdout=out, stderr=err)
    assert f"Row 3, {column}: " in err.getvalue() and reason in err.getvalue()
    assert counts() == before


def test_skip_invalid_imports_the_good_rows(tmp_path, police):
    """With --skip-invalid the good rows are imported and the bad ones reported."""
    rows = [GOOD_ROWS[0], {**GOOD_ROWS[1], "child_age": "ten"}, GOOD_ROWS[2]]
    out, err = run("referrals", str(write_csv(tmp_path / "mixed.csv", rows)), "--skip-invalid")
    assert "Imported 2 referrals of 3 rows, skipped 1 with errors." in out
    assert "Row 3, child_age:" in err
    assert set(Referral.objects.values_list("external_reference", flat=True)) == {"OLD-1", ""}


def test_identifiers_are_imported_as_written_and_marked(tmp_path, police):
    """A foreign or partial mark and a number not allocated or partial are imported, kept as written and marked."""
    rows = [{**GOOD_ROWS[2], "vehicle_registration": "WOB-ZK 295; AB1?", "phone": "07700 934567; 079111234"}]
    out, _ = run("referrals", str(write_csv(tmp_path / "marks.csv", rows)))
    assert "Imported 1 referral" in out
    referral = Referral.objects.get()
    marks = {(v.registration_normalised, v.registration_status) for v in referral.vehicle_mentions.all()}
    assert marks == {("WOBZK295", "foreign"), ("AB1?", "partial")}
    numbers = {(p.number_e164, p.number_status) for p in referral.phone_mentions.all()}
    assert numbers == {("+447700934567", "not_allocated"), ("079111234", "partial")}


def test_dry_run_checks_and_writes_nothing(tmp_path, police):
    """--dry-run reports what would happen and writes nothing."""
    before = counts()
    out, _ = run("referrals", str(write_csv(tmp_path / "good.csv", GOOD_ROWS)), "--dry-run")
    assert "Checked 3 rows: 3 good, 0 with errors. Nothing was written (dry run)." in out
    assert counts() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "received_at,summary,favourite_colour\n2020-01-01,x,blue\n",
            "Row 1, favourite_colour: Unknown column",
        ),
        ("received_at,child_name\n2020-01-01,x\n", "Row 1, summary: Column missing"),
        ("", "Row 1: The file is empty"),
        ("received_at,summary\n2020-01-01,x,extra\n", "Row 2: Has 3 values for 2 columns"),
    ],
)
def test_files_with_the_wrong_shape_are_refused(tmp_path, content, message):
    """Unknown or missing columns, an empty file, and ragged rows are reported; nothing is written."""
    path = tmp_path / "odd.csv"
    path.write_text(content, encoding="utf-8")
    before = counts()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import", "referrals", str(path), "--no-progress", stdout=out, stderr=err)
    assert message in err.getvalue()
    assert counts() == before


def test_unknown_kind_and_missing_file_are_clear_errors(tmp_path):
    """A kind nobody imports, or a file that is not there, is a clear error."""
    with pytest.raises(CommandError, match="Cannot import 'widgets'"):
        run("widgets", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="There is no file"):
        run("referrals", str(tmp_path / "missing.csv"))


def test_excel_byte_order_mark_and_header_spelling_are_tolerated(tmp_path):
    """A UTF-8 file saved by Excel (with a BOM) and headers like "Received At" are read."""
    path = tmp_path / "excel.csv"
    path.write_text(
        "\ufeffReceived At,Summary,Reference\n01/02/2022 10:15,Seen at the station.,X-9\n", encoding="utf-8"
    )
    out, _ = run("referrals", str(path))
    assert "Imported 1 referrals" in out
    assert Referral.objects.get().external_reference == "X-9"


@given(
    st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(LONDON))
)
def test_the_importers_cached_decision_clock_agrees_with_the_calendar(received_at):
    """The importer's per-day shortcut gives exactly the calendar's one-working-day deadline."""
    assert decision_due(received_at) == add_working_days(received_at, 1)


def test_the_import_can_be_recorded_as_done_by_a_user(tmp_path, police):
    """--as USERNAME makes that user the creator of the referrals and the actor of their audit events."""
    from lantern.accounts.testing import UserFactory

    analyst = UserFactory(username="data-migration", role="analyst", agency=police)
    run("referrals", str(write_csv(tmp_path / "good.csv", GOOD_ROWS[:1])), "--as", "data-migration")
    assert Referral.objects.get().created_by == analyst
    assert AuditEvent.objects.get(event_type="referral.imported").actor_id == analyst.pk
    with pytest.raises(CommandError, match="No active user"):
        run("referrals", str(tmp_path / "good.csv"), "--as", "nobody")
