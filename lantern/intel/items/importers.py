"""`lantern import intel FILE.csv`: historic intelligence items from another system (docs/import-intel.md).

Every row is checked against the same rules as `item_submit` and `item_grade` before anything is written; a file
with a bad row imports nothing unless `--skip-invalid` is given. A row may carry a 3x5x2 grade, a 5x5x5 grade as
recorded on the historic system, or both; any grade needs the sanitised text, and handling code C its conditions.
Imported items are marked `imported`, are not handed to real-time matching (batch resolution takes them in), and
each gets one audit event.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.utils import timezone

from lantern.accounts.models import Agency, User
from lantern.audit import events
from lantern.core.calendar import LONDON
from lantern.core.references import reserve_numbers
from lantern.core.vocabulary import PlaceType, Sex
from lantern.intake.importers import (
    LIST_SEPARATOR,
    CsvImporter,
    RowCheck,
    RowError,
    parse_date,
    parse_datetime,
)
from lantern.intake.services import date_problem
from lantern.intel.items import services as items
from lantern.intel.items.models import IntelligenceItem, IntelligenceSource, ItemStatus
from lantern.intel.linking.models import OrganisationKind, PersonRole

TEXT_LIMITS = {
    "summary": items.SUMMARY_MAX,
    "content": items.CONTENT_MAX,
    "sanitised_text": items.SANITISED_MAX,
    "handling_conditions": items.CONDITIONS_MAX,
    **{
        f"source_{key}" if key != "source_type" else key: limit
        for key, limit in items.TEXT_LIMITS["source"].items()
    },
    "person_name": 200,
    "person_nickname": 100,
    "person_description": 2000,
    "person_licence": 30,
    "vehicle_make": 50,
    "vehicle_model": 50,
    "vehicle_colour": 30,
    "vehicle_licence": 30,
    "place_name": 200,
    "place_address": 300,
    "place_postcode": 10,
    "organisation_name": 200,
    "organisation_licence": 30,
}
GRADE_3X5X2 = ("source_evaluation", "intelligence_assessment", "handling_code")
GRADE_5X5X5 = ("legacy_source_evaluation", "legacy_intelligence_evaluation", "legacy_handling_code")


@dataclass
class CleanItem:
    """One checked row of an intelligence file."""

    submitted_at: datetime
    fields: dict[str, Any]
    source: dict[str, str]
    parts: dict[str, list[dict[str, Any]]]


class _RowCheck(RowCheck):
    """One intelligence row, with the readers of the intelligence importer's columns."""

    limits = TEXT_LIMITS
    too_long = "Must be {:,} characters or fewer"

    def when(self, column: str, what: str) -> datetime | None:
        """The date and time in `column`; None if it is blank or cannot be right."""
        raw = self.get(column)
        if raw is None:
            return None
        value = parse_datetime(raw)
        if value is None:
            self.error(column, "Enter a real date, like 2019-03-27 or 27/03/2019 14:30")
        elif problem := date_problem(value, what=what, now=self.now):
            self.error(column, problem)
            return None
        return value

    def choice(self, column: str, allowed) -> str:
        """The value in `column` in lower case, which must be one of `allowed` if given."""
        value = (self.get(column) or "").lower()
        if value and value not in allowed:
            self.error(column, f"Must be one of: {', '.join(sorted(allowed))}")
        return value

    def listed(self, column: str) -> list[str]:
        """The non-blank entries of a column that lists several, separated by semicolons."""
        return [entry.strip() for entry in self.get(column, "").split(LIST_SEPARATOR) if entry.strip()]


def _mention_parts(check: _RowCheck) -> dict[str, list[dict[str, Any]]]:
    """The person, vehicles, phones, place and organisation a row mentions, in the form `item_errors` takes."""
    get = check.get
    person = {
        "role": check.choice("person_role", PersonRole.values),
        "name": get("person_name", ""),
        "nickname": get("person_nickname", ""),
        "description": get("person_description", ""),
        "licence_number": get("person_licence", ""),
        "sex": check.choice("person_sex", Sex.values),
    }
    if raw_age := get("person_age"):
        if not raw_age.isdigit() or len(raw_age) > 3 or int(raw_age) > items.PERSON_AGE_MAX:
            check.error("person_age", f"Age must be a whole number from 0 to {items.PERSON_AGE_MAX}")
        else:
            person["age"] = int(raw_age)
    if raw_dob := get("person_dob"):
        dob = parse_date(raw_dob)
        if dob is None:
            check.error("person_dob", "Enter a real date of birth, like 1990-03-27 or 27/03/1990")
        elif problem := date_problem(dob, what="Date of birth", now=check.now):
            check.error("person_dob", problem)
        else:
            person["date_of_birth"] = dob
    marks = check.listed("vehicle_registration")
    first_vehicle = {
        "make": get("vehicle_make", ""),
        "model": get("vehicle_model", ""),
        "colour": get("vehicle_colour", ""),
        "licence_number": get("vehicle_licence", ""),
    }
    vehicles = (
        [{**first_vehicle, "registration": marks[0]}] + [{"registration": m} for m in marks[1:]]
        if marks
        else ([first_vehicle] if any(first_vehicle.values()) else [])
    )
    place = {
        "name": get("place_name", ""),
        "type": check.choice("place_type", PlaceType.values),
        "address": get("place_address", ""),
        "postcode": get("place_postcode", ""),
    }
    organisation = {
        "name": get("organisation_name", ""),
        "kind": check.choice("organisation_kind", OrganisationKind.values),
        "licence_number": get("organisation_licence", ""),
    }
    return {
        "persons": [person] if any(v not in (None, "") for v in person.values()) else [],
        "vehicles": vehicles,
        "phones": [{"number": number} for number in check.listed("phone")],
        "places": [place] if any(place.values()) else [],
        "organisations": [organisation] if any(organisation.values()) else [],
    }


class IntelImporter(CsvImporter):
    """Historic intelligence items; the columns are described in docs/import-intel.md."""

    kind = "intel"
    required_columns = ("submitted_at", "agency", "summary", "content")
    optional_columns = (
        "occurred_at",
        "source_type",
        "source_name",
        "source_contact",
        "source_reference",
        "source_notes",
        "sanitised_text",
        *GRADE_3X5X2,
        "handling_conditions",
        *GRADE_5X5X5,
        "graded_by",
        "person_role",
        "person_name",
        "person_nickname",
        "person_dob",
        "person_age",
        "person_sex",
        "person_description",
        "person_licence",
        "vehicle_registration",
        "vehicle_make",
        "vehicle_model",
        "vehicle_colour",
        "vehicle_licence",
        "phone",
        "place_name",
        "place_type",
        "place_address",
        "place_postcode",
        "organisation_name",
        "organisation_kind",
        "organisation_licence",
    )
    aliases: ClassVar[dict[str, str]] = {
        "received_at": "submitted_at",
        "agency_code": "agency",
        "text": "content",
        "registration": "vehicle_registration",
        "phone_number": "phone",
        "person_date_of_birth": "person_dob",
        "sanitised": "sanitised_text",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.agencies = {agency.code: agency.pk for agency in Agency.objects.all()}
        self.graders = {
            user.username: user.pk
            for user in User.objects.filter(
                is_active=True, agency__kind="police", role__in=("analyst", "practitioner")
            )
        }
        self.now = timezone.now()
        self.references: dict[int, str] = {}

    def clean_row(self, row: dict[str, str], number: int) -> tuple[CleanItem | None, list[RowError]]:
        """Check one row against the same rules as every other way in."""
        check = _RowCheck(row, number, now=self.now)
        get, error = check.get, check.error
        submitted_at = check.when("submitted_at", "The date submitted")
        if "submitted_at" not in check.values:
            error("submitted_at", "Enter a date, like 2019-03-27 or 27/03/2019 14:30")
        occurred_at = check.when("occurred_at", "When it happened")
        agency = get("agency", "")
        if not agency:
            error("agency", "Enter the code of the agency that submitted it")
        elif agency not in self.agencies:
            error("agency", "No agency has this code")
        for column, message in (("summary", "Enter a summary"), ("content", "Enter the information")):
            if column not in check.values:
                error(column, message)

        fields: dict[str, Any] = {}
        graded = self._grades(get, error, fields)
        grader = get("graded_by", "")
        if grader and grader not in self.graders:
            error("graded_by", "No active police analyst or practitioner has this username")
        if grader and not graded:
            error("graded_by", "Give the grade as well as who graded it")

        parts = _mention_parts(check)
        self._check_mentions(check, parts)
        if check.errors:
            return None, check.errors
        fields.update(
            {
                "agency_id": self.agencies[agency],
                "summary": check.values["summary"],
                "content": check.values["content"],
                "occurred_at": occurred_at,
                "graded_by_id": self.graders.get(grader),
            }
        )
        source = {
            key: get(key if key == "source_type" else f"source_{key}", "")
            for key in items.TEXT_LIMITS["source"]
        }
        return CleanItem(
            submitted_at=submitted_at, fields=fields, source=items.source_fields(source), parts=parts
        ), []

    def _check_mentions(self, check: _RowCheck, parts: dict[str, list[dict[str, Any]]]) -> None:
        """Run the service's own checks of the mentions (plates, phones, ...), naming this file's columns."""
        columns = {
            "vehicles.registration": "vehicle_registration",
            "phones.number": "phone",
            "organisations.name": "organisation_name",
        }
        suffixes = {"licence_number": "licence", "date_of_birth": "dob"}
        # Summary and content were checked column by column in `clean_row`.
        problems = items.item_errors(summary="-", content="-", parts=parts, now=self.now)
        for key, messages in problems.items():
            kind, _, rest = key.partition(".")
            _, _, name = rest.partition(".")
            column = columns.get(f"{kind}.{name}") or (
                f"{kind.rstrip('s')}_{suffixes.get(name, name)}" if name else kind
            )
            for message in messages:
                check.error(column, message)

    def _grades(self, get, error, fields: dict[str, Any]) -> bool:
        """Check the 3x5x2 and 5x5x5 columns into `fields`; whether the row carries a grade."""
        modern = [(get(column) or "").upper() for column in GRADE_3X5X2]
        legacy = [(get(column) or "").upper() for column in GRADE_5X5X5]
        sanitised = get("sanitised_text", "")
        conditions = get("handling_conditions", "")
        if any(modern):
            problems, _text, conditions = items.grade_errors(
                source_evaluation=modern[0],
                intelligence_assessment=modern[1],
                handling_code=modern[2],
                handling_conditions=conditions,
                sanitised_text=sanitised or "-",
            )
            for column, messages in problems.items():
                for message in messages:
                    error(column, message)
            fields.update(dict(zip(GRADE_3X5X2, modern, strict=True)), handling_conditions=conditions)
        elif conditions:
            error("handling_conditions", "Conditions go with a 3x5x2 handling code C")
        if any(legacy):
            problems = items.legacy_grade_errors(source=legacy[0], intelligence=legacy[1], handling=legacy[2])
            for column, messages in problems.items():
                for message in messages:
                    error(column, message)
            fields.update(dict(zip(GRADE_5X5X5, legacy, strict=True)))
        graded = any(modern) or any(legacy)
        if graded and not sanitised:
            error("sanitised_text", "A graded item needs its sanitised text: what may be shared")
        if sanitised and not graded:
            error("sanitised_text", "Give the grade as well as the sanitised text")
        fields["sanitised_text"] = sanitised
        fields["status"] = ItemStatus.GRADED if graded else ItemStatus.SUBMITTED
        return graded

    def before_writing(self, cleaned: list[CleanItem]) -> None:
        """Reserve every reference at once, a block per year, in order of submission."""
        by_year: dict[int, list[CleanItem]] = defaultdict(list)
        for item in cleaned:
            by_year[item.submitted_at.astimezone(LONDON).year].append(item)
        for year, found in sorted(by_year.items()):
            first = reserve_numbers(items.counter_name(year), len(found))
            for offset, item in enumerate(sorted(found, key=lambda i: i.submitted_at)):
                self.references[id(item)] = items.intel_reference_for(year, first + offset)

    def write_batch(self, prepared: list[CleanItem], *, file_name: str) -> int:
        """Insert a batch: items, their sources and mentions in bulk, and one audit event for each item."""
        actor = self.actor if getattr(self.actor, "is_authenticated", False) else None
        created = IntelligenceItem.objects.bulk_create(
            [
                IntelligenceItem(
                    reference=self.references[id(clean)],
                    submitted_at=clean.submitted_at,
                    imported=True,
                    submitted_by=None,
                    **clean.fields,
                )
                for clean in prepared
            ]
        )
        if any(item.pk is None for item in created):  # a database that does not return new keys
            by_reference = dict(
                IntelligenceItem.objects.filter(
                    reference__in=[item.reference for item in created]
                ).values_list("reference", "pk")
            )
            for item in created:
                item.pk = by_reference[item.reference]
        IntelligenceSource.objects.bulk_create(
            [
                IntelligenceSource(item=item, **clean.source)
                for item, clean in zip(created, prepared, strict=True)
                if clean.source
            ]
        )
        rows: dict[str, list] = defaultdict(list)
        for item, clean in zip(created, prepared, strict=True):
            for kind, kind_rows in items.mention_rows(
                text=f"{clean.fields['summary']}\n{clean.fields['content']}", **clean.parts
            ).items():
                rows[kind] += [items.MENTION_MODELS[kind](item=item, **row) for row in kind_rows]
        for kind, mentions in rows.items():
            items.MENTION_MODELS[kind].objects.bulk_create(mentions, batch_size=500)
        events.intel_items_imported(
            actor=actor,
            items=[{"id": item.pk, "reference": item.reference} for item in created],
            file_name=file_name,
        )
        return len(created)


IMPORTERS = {"intel": IntelImporter}
