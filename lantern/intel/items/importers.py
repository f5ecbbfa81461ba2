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

from lantern.accounts.models import Agency, User
from lantern.audit import events
from lantern.core.calendar import LONDON
from lantern.core.references import reserve_numbers
from lantern.core.validation import validate
from lantern.intake.importers import CsvImporter, RowCheck, RowError, RowShape
from lantern.intel.items import services as items
from lantern.intel.items.models import IntelligenceItem, IntelligenceSource, ItemStatus
from lantern.intel.items.schemas import IntelImportIn

# Where each column goes in `IntelImportIn` (see `RowShape`); the grade's columns are read apart.
COLUMNS: dict[str, tuple[str, ...]] = {
    "submitted_at": ("submitted_at",),
    "agency": ("agency",),
    "summary": ("summary",),
    "content": ("content",),
    "occurred_at": ("occurred_at",),
    "source_type": ("source", "source_type"),
    "source_name": ("source", "name"),
    "source_contact": ("source", "contact"),
    "source_reference": ("source", "reference"),
    "source_notes": ("source", "notes"),
    "person_role": ("persons", "role"),
    "person_name": ("persons", "name"),
    "person_nickname": ("persons", "nickname"),
    "person_dob": ("persons", "date_of_birth"),
    "person_age": ("persons", "age"),
    "person_sex": ("persons", "sex"),
    "person_description": ("persons", "description"),
    "person_licence": ("persons", "licence_number"),
    "vehicle_registration": ("vehicles", "registration"),
    "vehicle_make": ("vehicles", "make"),
    "vehicle_model": ("vehicles", "model"),
    "vehicle_colour": ("vehicles", "colour"),
    "vehicle_licence": ("vehicles", "licence_number"),
    "phone": ("phones", "number"),
    "place_name": ("places", "name"),
    "place_type": ("places", "type"),
    "place_address": ("places", "address"),
    "place_postcode": ("places", "postcode"),
    "organisation_name": ("organisations", "name"),
    "organisation_kind": ("organisations", "kind"),
    "organisation_licence": ("organisations", "licence_number"),
}
ITEM_ROW = RowShape(
    COLUMNS,
    always={"summary": "", "content": "", "agency": "", "submitted_at": None},
    part_always={"organisations": {"name": ""}},
    objects=frozenset({"source"}),
    moments=frozenset({"submitted_at", "occurred_at"}),
    days=frozenset({"person_dob"}),
    numbers=frozenset({"person_age"}),
    choices=frozenset({"person_role", "person_sex", "place_type", "organisation_kind"}),
)
GRADE_3X5X2 = ("source_evaluation", "intelligence_assessment", "handling_code")
GRADE_5X5X5 = ("legacy_source_evaluation", "legacy_intelligence_evaluation", "legacy_handling_code")


@dataclass
class CleanItem:
    """One checked row of an intelligence file: the item its schema made, and its grade's columns."""

    item: IntelImportIn
    fields: dict[str, Any]

    @property
    def submitted_at(self) -> datetime:
        """When the item was submitted on the system it comes from."""
        return self.item.submitted_at


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
        self.references: dict[int, str] = {}

    def clean_row(self, row: dict[str, str], number: int) -> tuple[CleanItem | None, list[RowError]]:
        """Check one row by `IntelImportIn` (the rules every other way in keeps) and its grade by the grading
        service's own rules."""
        check = RowCheck(row, number)
        get, error = check.get, check.error
        item, problems = validate(IntelImportIn, ITEM_ROW.data(check))
        check.schema_problems(problems, ITEM_ROW.column_of)
        agency = get("agency", "")
        if agency and agency not in self.agencies:
            error("agency", "No agency has this code")
        fields: dict[str, Any] = {}
        graded = self._grades(get, error, fields)
        grader = get("graded_by", "")
        if grader and grader not in self.graders:
            error("graded_by", "No active police analyst or practitioner has this username")
        if grader and not graded:
            error("graded_by", "Give the grade as well as who graded it")
        if check.errors:
            return None, check.errors
        fields.update({"agency_id": self.agencies[agency], "graded_by_id": self.graders.get(grader)})
        return CleanItem(item=item, fields=fields), []

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
            if sanitised and not any(
                modern
            ):  # as `item_grade_legacy` checks it (3x5x2's check did otherwise)
                items.sanitised_errors(sanitised, problems)
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
                    summary=clean.item.summary,
                    content=clean.item.content,
                    occurred_at=clean.item.occurred_at,
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
                IntelligenceSource(item=item, **source)
                for item, clean in zip(created, prepared, strict=True)
                if (source := items.source_fields(clean.item.source))
            ]
        )
        rows: dict[str, list] = defaultdict(list)
        for item, clean in zip(created, prepared, strict=True):
            given = clean.item
            for kind, kind_rows in items.mention_rows(
                text=f"{given.summary}\n{given.content}",
                persons=given.persons,
                vehicles=given.vehicles,
                phones=given.phones,
                places=given.places,
                organisations=given.organisations,
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
