"""`lantern import intel FILE.csv`: a good file, bad rows reported by row, column and reason, --skip-invalid."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.intel.items.importers import IntelImporter
from lantern.intel.models import IntelligenceItem, IntelligenceSource, ItemStatus, MentionOrigin

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    {
        "submitted_at": "2014-03-01 16:00",
        "agency": "riverton-police",
        "summary": "Adult seen with looked-after girls",
        "content": "Seen with girls from the home in AB12 CDE.",
        "source_name": "Historic Source",
        "source_type": "member of the public",
        "sanitised_text": "An adult was seen.",
        "legacy_source_evaluation": "b",
        "legacy_intelligence_evaluation": "2",
        "legacy_handling_code": "4",
        "person_name": "Adam Example",
        "person_nickname": "Tiny",
        "phone": "07700 900982; 07700 900983",
        "vehicle_registration": "AB12 CDE; XY1? ABC",
        "vehicle_colour": "Silver",
    },
    {
        "submitted_at": "27/07/2021 09:30",
        "agency": "riverton-csc",
        "summary": "Taxi firm collecting girls",
        "content": "Girls collected from school by a Riverside Cars taxi.",
        "sanitised_text": "A taxi collects girls.",
        "source_evaluation": "2",
        "intelligence_assessment": "c",
        "handling_code": "C",
        "handling_conditions": "Strategy discussion only.",
        "graded_by": "police.analyst",
        "organisation_name": "Riverside Cars",
        "organisation_kind": "taxi_firm",
        "organisation_licence": "op123",
        "place_name": "Millbrook Academy",
        "place_type": "school",
    },
    {
        "submitted_at": "2025-01-15",
        "agency": "riverton-health",
        "summary": "Ungraded concern",
        "content": "A nurse heard a girl mention an older boyfriend called Ace.",
    },
]
COLUMNS = [
    "submitted_at",
    "agency",
    "summary",
    "content",
    "source_name",
    "source_type",
    "sanitised_text",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    "graded_by",
    "legacy_source_evaluation",
    "legacy_intelligence_evaluation",
    "legacy_handling_code",
    "person_name",
    "person_nickname",
    "phone",
    "vehicle_registration",
    "vehicle_colour",
    "organisation_name",
    "organisation_kind",
    "organisation_licence",
    "place_name",
    "place_type",
]


@pytest.fixture(autouse=True)
def agencies(db):
    """The agencies the files name, and a police analyst who graded."""
    for kind in (AgencyKind.POLICE, AgencyKind.CSC, AgencyKind.HEALTH):
        AgencyFactory(kind=kind)
    UserFactory(username="police.analyst", agency=AgencyFactory(kind=AgencyKind.POLICE), role=Role.ANALYST)


def write_csv(path, rows, columns=COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*args, progress: bool = False):
    """Run the command (with its progress bars if `progress`: tqdm draws them only on a terminal)."""
    out, err = StringIO(), StringIO()
    call_command("import", *args, *([] if progress else ["--no-progress"]), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_good_file_imports_every_item_with_grades_sources_and_mentions(tmp_path):
    """Three rows: a 5x5x5 historic item, a 3x5x2 C item, an ungraded one; audited one event per item."""
    out, _ = run("intel", str(write_csv(tmp_path / "intel.csv", GOOD_ROWS)), progress=True)
    assert "Imported 3 intel of 3 rows" in out
    historic, conditional, ungraded = IntelligenceItem.objects.order_by("submitted_at")
    assert historic.reference.startswith("INT-2014-") and historic.imported
    assert (
        historic.legacy_source_evaluation,
        historic.legacy_intelligence_evaluation,
        historic.legacy_handling_code,
        historic.handling_code,
    ) == ("B", "2", "4", "")
    assert historic.status == ItemStatus.GRADED and historic.sanitised_text == "An adult was seen."
    assert IntelligenceSource.objects.get(item=historic).name == "Historic Source"
    assert sorted(historic.vehicle_mentions.values_list("registration_normalised", "origin")) == [
        ("AB12CDE", MentionOrigin.STRUCTURED),
        ("XY1?ABC", MentionOrigin.STRUCTURED),
    ]
    assert historic.phone_mentions.count() == 2
    assert historic.person_mentions.get().nickname == "Tiny"
    assert (
        conditional.handling_code,
        conditional.intelligence_assessment,
        conditional.handling_conditions,
    ) == ("C", "C", "Strategy discussion only.")
    assert conditional.graded_by.username == "police.analyst"
    assert conditional.organisation_mentions.get().licence_number == "OP123"
    assert (
        ungraded.status == ItemStatus.SUBMITTED
        and not IntelligenceSource.objects.filter(item=ungraded).exists()
    )
    assert AuditEvent.objects.filter(event_type="intel_item.imported").count() == 3


BAD = [
    ({"submitted_at": ""}, "submitted_at"),
    ({"submitted_at": "31/02/2020"}, "submitted_at"),
    ({"submitted_at": "2099-01-01"}, "submitted_at"),
    ({"agency": "nowhere"}, "agency"),
    ({"summary": ""}, "summary"),
    ({"summary": "x" * 201}, "summary"),
    ({"content": ""}, "content"),
    ({"source_evaluation": "4", "intelligence_assessment": "A", "handling_code": "P"}, "source_evaluation"),
    ({"source_evaluation": "1", "intelligence_assessment": "A", "handling_code": "C"}, "handling_conditions"),
    (
        {
            "source_evaluation": "1",
            "intelligence_assessment": "A",
            "handling_code": "P",
            "sanitised_text": "",
        },
        "sanitised_text",
    ),
    ({"sanitised_text": "Sanitised, but no grade."}, "sanitised_text"),
    ({"handling_conditions": "Conditions without a code."}, "handling_conditions"),
    (
        {
            "legacy_source_evaluation": "F",
            "legacy_intelligence_evaluation": "2",
            "legacy_handling_code": "1",
            "sanitised_text": "S.",
        },
        "legacy_source_evaluation",
    ),
    (
        {
            "legacy_source_evaluation": "A",
            "legacy_intelligence_evaluation": "2",
            "legacy_handling_code": "9",
            "sanitised_text": "S.",
        },
        "legacy_handling_code",
    ),
    ({"graded_by": "nobody"}, "graded_by"),
    ({"vehicle_registration": "A" * 21}, "vehicle_registration"),
    ({"phone": "0" * 41}, "phone"),
    ({"place_type": "moon", "place_name": "X"}, "place_type"),
    ({"organisation_kind": "taxi_firm"}, "organisation_name"),
    ({"organisation_name": "X", "organisation_kind": "bank"}, "organisation_kind"),
]


@pytest.mark.parametrize(("changes", "field"), BAD)
def test_every_bad_row_is_reported_by_row_column_and_reason_and_nothing_is_imported(tmp_path, changes, field):
    """One bad row stops the whole file; the error names its row (the header is row 1), column and reason."""
    rows = [GOOD_ROWS[2], {**GOOD_ROWS[2], **changes}]
    with pytest.raises(CommandError, match="nothing was imported"):
        run("intel", str(write_csv(tmp_path / "bad.csv", rows)))
    assert not IntelligenceItem.objects.exists()
    importer = IntelImporter()
    result = importer.run(write_csv(tmp_path / "again.csv", rows))
    assert {(error.row, error.field) for error in result.errors} >= {(3, field)}, result.errors
    assert all(error.reason for error in result.errors)


def test_the_command_prints_each_bad_row(tmp_path):
    """The operator sees "Row N, column: reason" for every error."""
    rows = [{**GOOD_ROWS[2], "agency": "nowhere", "phone": "0" * 41}]
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import",
            "intel",
            str(write_csv(tmp_path / "bad.csv", rows)),
            "--no-progress",
            stdout=StringIO(),
            stderr=err,
        )
    assert "Row 2, agency: No agency has this code" in err.getvalue()
    assert "Row 2, phone: Must be 40 characters or fewer" in err.getvalue()


def test_skip_invalid_imports_the_good_rows(tmp_path):
    """--skip-invalid imports the good rows and reports the bad ones."""
    rows = [GOOD_ROWS[0], {**GOOD_ROWS[1], "handling_conditions": ""}, GOOD_ROWS[2]]
    out, err = run("intel", str(write_csv(tmp_path / "mixed.csv", rows)), "--skip-invalid")
    assert "Imported 2 intel of 3 rows, skipped 1 with errors" in out
    assert "Row 3, handling_conditions" in err
    assert IntelligenceItem.objects.count() == 2


def test_wrong_columns_refuse_the_file(tmp_path):
    """An unknown or missing column refuses the file before any row is read."""
    path = write_csv(
        tmp_path / "odd.csv",
        [{"submitted_at": "2020-01-01", "summary": "S", "shoe_size": "9"}],
        columns=["submitted_at", "summary", "shoe_size"],
    )
    err = StringIO()
    with pytest.raises(CommandError, match="cannot be imported"):
        call_command("import", "intel", str(path), "--no-progress", stdout=StringIO(), stderr=err)
    assert "Row 1, shoe_size: Unknown column" in err.getvalue()
    assert "Row 1, content: Column missing" in err.getvalue()
