"""Writes for intelligence items: submission by any partner agency, grading by police, and every disclosure.

* `item_submit` records ungraded information: a summary, the content as received, when it happened, the source's
  identity held apart in `IntelligenceSource`, structured mentions (persons, vehicles, phones, places,
  organisations, taxi licence numbers) and the registration marks and phone numbers found in the text. It issues
  a reference such as INT-2026-000123 and, once committed, hands the item to real-time matching.
* `item_grade` is police grading under 3x5x2: source evaluation 1-3, intelligence assessment A-E, handling code P
  or C, with C needing its conditions written down. Grading needs a sanitised text: what may be shared, with
  nothing that could identify the source. `item_grade_legacy` records a historic item's 5x5x5 grade as it was.
* `item_disclose` (and `item_text_for_disclosure`, which every export must call before writing an item's text)
  records each sharing as a `Disclosure`. Only the sanitised text is ever shared, never the content or the
  source. An item graded C is shared only when the person sharing it acknowledges its conditions, which are
  recorded with the disclosure and travel with the text. A 5x5x5 grade alone does not permit sharing: the item
  must be graded under 3x5x2 first.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from lantern.accounts.models import Agency, AgencyKind, Role
from lantern.audit import events
from lantern.core.calendar import LONDON
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied, allows
from lantern.core.references import next_number
from lantern.core.vocabulary import PlaceType, Sex
from lantern.intake.schemas import PhoneIn, PlaceIn, VehicleIn
from lantern.intake.services import mention_rows as referral_mention_rows
from lantern.intel.items.models import (
    Disclosure,
    HandlingCode,
    IntelligenceAssessment,
    IntelligenceItem,
    IntelligenceSource,
    ItemStatus,
    SourceEvaluation,
)
from lantern.intel.items.schemas import (
    CONDITIONS_MAX,
    PURPOSE_MAX,
    RECIPIENT_MAX,
    SANITISED_MAX,
    IntelItemIn,
    IntelOrganisationIn,
    IntelPersonIn,
    IntelSourceIn,
)
from lantern.intel.linking import realtime
from lantern.intel.linking.models import (
    MentionOrigin,
    OrganisationKind,
    OrganisationMention,
    PersonMention,
    PersonRole,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "INT"
SCHEME_3X5X2, SCHEME_5X5X5 = "3x5x2", "5x5x5"
# The 5x5x5 scheme as historic records hold it: source A-E, intelligence 1-5, handling 1-5.
LEGACY_SOURCE = ("A", "B", "C", "D", "E")
LEGACY_INTELLIGENCE = ("1", "2", "3", "4", "5")
LEGACY_HANDLING = ("1", "2", "3", "4", "5")
CHANNELS = ("page", "api", "export")

SOURCE_FIELDS = ("source_type", "name", "contact", "reference", "notes")
PART_KINDS = ("persons", "vehicles", "phones", "places", "organisations")
MENTION_MODELS = {
    "persons": PersonMention,
    "vehicles": VehicleMention,
    "phones": PhoneMention,
    "places": PlaceMention,
    "organisations": OrganisationMention,
}


def intel_reference_for(year: int, number: int) -> str:
    """The item reference with a given number, e.g. INT-2026-000123 (numbers from `reserve_numbers`)."""
    return f"{REFERENCE_PREFIX}-{year}-{number:06d}"


def counter_name(year: int) -> str:
    """The name of the counter that numbers a year's items."""
    return f"intel-{year}"


def intel_reference(year: int) -> str:
    """The next item reference for `year`."""
    return intel_reference_for(year, next_number(counter_name(year)))


_NO_CONTENT = frozenset(
    {None, "", PlaceType.OTHER, Sex.NOT_KNOWN, OrganisationKind.OTHER, PersonRole.PERSON_OF_CONCERN}
)


def _has_content(part) -> bool:
    return any(value not in _NO_CONTENT for value in vars(part).values())


def _structured(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for position, row in enumerate(rows):
        row["origin"], row["position"] = MentionOrigin.STRUCTURED, position
    return rows


def mention_rows(
    *,
    text: str,
    persons: Iterable[IntelPersonIn] = (),
    vehicles: Iterable[VehicleIn] = (),
    phones: Iterable[PhoneIn] = (),
    places: Iterable[PlaceIn] = (),
    organisations: Iterable[IntelOrganisationIn] = (),
) -> dict[str, list[dict[str, Any]]]:
    """Mention field values for parts a schema checked, plus the marks and numbers found in `text` but not given.

    Vehicles, phones, places and what is found in the text are intake's rows, so that a referral and an item
    mention them alike; an item adds persons in any role (with a taxi licence) and organisations. Plain dicts
    keyed by field name, so that imports can insert them directly.
    """
    rows = referral_mention_rows(summary=text, vehicles=vehicles, phones=phones, places=places)
    rows["persons"] = _structured(
        [
            {
                "role": str(part.role or PersonRole.PERSON_OF_CONCERN),
                "name": part.name,
                "nickname": part.nickname,
                "date_of_birth": part.date_of_birth,
                "age": part.age,
                "sex": str(part.sex or Sex.NOT_KNOWN),
                "description": part.description,
                "address": part.address,
                "licence_number": part.licence_number.upper(),
            }
            for part in persons
            if _has_content(part)
        ]
    )
    rows["organisations"] = _structured(
        [
            {
                "name": part.name,
                "name_normalised": " ".join(part.name.lower().split()),
                "org_kind": str(part.kind or OrganisationKind.OTHER),
                "licence_number": part.licence_number.upper(),
                "address": part.address,
            }
            for part in organisations
            if _has_content(part)
        ]
    )
    return rows


def mention_counts(rows: Mapping[str, list[Mapping[str, Any]]]) -> dict[str, int]:
    """How many of each kind, structured and from the text (for the audit log: counts, never values)."""
    counts: dict[str, int] = {}
    for kind, items in rows.items():
        for row in items:
            key = kind if row["origin"] == MentionOrigin.STRUCTURED else f"{kind}_free_text"
            counts[key] = counts.get(key, 0) + 1
    return counts


def source_fields(source: IntelSourceIn | None) -> dict[str, str]:
    """The source's details; empty when nothing was given."""
    values = {key: getattr(source, key) for key in SOURCE_FIELDS} if source is not None else {}
    return values if any(values.values()) else {}


def _aware(value: datetime | None) -> datetime | None:
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _report_received(item: IntelligenceItem) -> None:
    """Hand a committed item to real-time matching (queued for the worker)."""
    try:
        realtime.report_committed(item=item)
    except Exception:
        # The item is committed whatever matching does; batch resolution will take it in if this fails.
        logger.exception("Real-time matching failed for intelligence item %s", item.pk)


def item_submit(*, actor, item: IntelItemIn, submitted_at: datetime | None = None) -> IntelligenceItem:
    """Record ungraded information from a partner agency professional; returns the item with its reference.

    `item` is what `IntelItemIn` made of the input, so it is already checked: the API, the page, the demo and
    the tests all check by that one schema, and nothing here checks it again. `submitted_at` is for replaying
    history (the demo borough); pages and the API never pass it. Raises `PolicyDenied` if the actor may not
    submit intelligence.
    """
    if not allows(actor, "can_submit_intel_item") or actor.agency_id is None:
        raise PolicyDenied("can_submit_intel_item")
    given = item
    summary, content, occurred_at = given.summary, given.content, _aware(given.occurred_at)
    rows = mention_rows(
        text=f"{summary}\n{content}",
        persons=given.persons,
        vehicles=given.vehicles,
        phones=given.phones,
        places=given.places,
        organisations=given.organisations,
    )
    details = source_fields(given.source)
    now = _aware(submitted_at) or timezone.now()
    item = IntelligenceItem(
        status=ItemStatus.SUBMITTED,
        submitted_by=actor,
        agency_id=actor.agency_id,
        submitted_at=now,
        occurred_at=occurred_at,
        summary=summary,
        content=content,
        # A police analyst who records intelligence owns it (and its link alerts) from the start.
        owner=actor if actor.role == Role.ANALYST and actor.agency.kind == AgencyKind.POLICE else None,
    )
    with transaction.atomic():
        item.reference = intel_reference(timezone.localtime(now, LONDON).year)
        item.save(force_insert=True)
        if details:
            IntelligenceSource.objects.create(item=item, **details)
        for kind, kind_rows in rows.items():
            if kind_rows:
                MENTION_MODELS[kind].objects.bulk_create(
                    [MENTION_MODELS[kind](item=item, **row) for row in kind_rows]
                )
        events.intel_item_submitted(
            actor=actor, item=item, mentions=mention_counts(rows), source_recorded=bool(details)
        )
        transaction.on_commit(lambda: _report_received(item))
    return item


def _current_grade(item: IntelligenceItem) -> dict[str, str]:
    return {
        "status": item.status,
        "3x5x2": "".join([item.source_evaluation, item.intelligence_assessment, item.handling_code]),
        "5x5x5": "".join(
            [item.legacy_source_evaluation, item.legacy_intelligence_evaluation, item.legacy_handling_code]
        ),
    }


def _require_grader(actor, item: IntelligenceItem) -> None:
    if not allows(actor, "can_grade_intel_item", item):
        raise PolicyDenied("can_grade_intel_item")


def sanitised_errors(sanitised_text: str, errors: dict[str, list[str]]) -> str:
    """The sanitised text stripped; a problem with it (missing, or too long) is recorded in `errors`."""
    text = (sanitised_text or "").strip() if isinstance(sanitised_text, str) or sanitised_text is None else ""
    if not text:
        errors["sanitised_text"] = [
            "Enter the sanitised text: what may be shared, with nothing that could identify the source"
        ]
    elif len(text) > SANITISED_MAX:
        errors["sanitised_text"] = [f"The sanitised text must be {SANITISED_MAX:,} characters or fewer"]
    return text


def grade_errors(
    *,
    source_evaluation: str,
    intelligence_assessment: str,
    handling_code: str,
    handling_conditions: str,
    sanitised_text: str,
) -> tuple[dict[str, list[str]], str, str]:
    """What is wrong with a 3x5x2 grade, and the cleaned sanitised text and conditions."""
    errors: dict[str, list[str]] = {}
    if source_evaluation not in SourceEvaluation.values:
        errors["source_evaluation"] = ["Choose the source evaluation: 1, 2 or 3"]
    if intelligence_assessment not in IntelligenceAssessment.values:
        errors["intelligence_assessment"] = ["Choose the intelligence assessment: A, B, C, D or E"]
    if handling_code not in HandlingCode.values:
        errors["handling_code"] = ["Choose the handling code: P or C"]
    conditions = (handling_conditions or "").strip() if isinstance(handling_conditions, str) else ""
    if handling_code == HandlingCode.CONDITIONS and not conditions:
        errors["handling_conditions"] = ["Enter the conditions on sharing: handling code C needs them"]
    elif len(conditions) > CONDITIONS_MAX:
        errors["handling_conditions"] = [f"The conditions must be {CONDITIONS_MAX:,} characters or fewer"]
    if handling_code == HandlingCode.PERMITTED:
        conditions = ""  # P has no conditions; any typed in would mislead whoever reads them later
    text = sanitised_errors(sanitised_text, errors)
    return errors, text, conditions


def item_grade(
    *,
    actor,
    item: IntelligenceItem,
    source_evaluation: str,
    intelligence_assessment: str,
    handling_code: str,
    handling_conditions: str = "",
    sanitised_text: str,
) -> IntelligenceItem:
    """Grade (or re-grade) an item under 3x5x2 with its sanitised text; police intelligence roles only.

    Handling code C needs its conditions written down. Raises `Invalid` with field messages, `PolicyDenied` for
    anyone who may not grade.
    """
    _require_grader(actor, item)
    errors, text, conditions = grade_errors(
        source_evaluation=source_evaluation,
        intelligence_assessment=intelligence_assessment,
        handling_code=handling_code,
        handling_conditions=handling_conditions,
        sanitised_text=sanitised_text,
    )
    if errors:
        raise Invalid("The grade has errors; see fields.", errors)
    with transaction.atomic():
        item = IntelligenceItem.objects.select_for_update().get(pk=item.pk)
        previous = _current_grade(item)
        item.source_evaluation, item.intelligence_assessment = source_evaluation, intelligence_assessment
        item.handling_code, item.handling_conditions = handling_code, conditions
        item.sanitised_text = text
        item.status, item.graded_by, item.graded_at = ItemStatus.GRADED, actor, timezone.now()
        item.owner_id = item.owner_id or actor.pk
        item.save(
            update_fields=[
                "source_evaluation",
                "intelligence_assessment",
                "handling_code",
                "handling_conditions",
                "sanitised_text",
                "status",
                "graded_by",
                "graded_at",
                "owner",
                "updated_at",
            ]
        )
        events.intel_item_graded(actor=actor, item=item, scheme=SCHEME_3X5X2, previous=previous)
    return item


def legacy_grade_errors(*, source: str, intelligence: str, handling: str) -> dict[str, list[str]]:
    """What is wrong with a 5x5x5 grade (source A-E, intelligence 1-5, handling 1-5)."""
    errors: dict[str, list[str]] = {}
    if source not in LEGACY_SOURCE:
        errors["legacy_source_evaluation"] = ["The 5x5x5 source evaluation is a letter from A to E"]
    if intelligence not in LEGACY_INTELLIGENCE:
        errors["legacy_intelligence_evaluation"] = [
            "The 5x5x5 intelligence evaluation is a number from 1 to 5"
        ]
    if handling not in LEGACY_HANDLING:
        errors["legacy_handling_code"] = ["The 5x5x5 handling code is a number from 1 to 5"]
    return errors


def item_grade_legacy(
    *,
    actor,
    item: IntelligenceItem,
    source: str,
    intelligence: str,
    handling: str,
    sanitised_text: str,
) -> IntelligenceItem:
    """Record a historic item's 5x5x5 grade as it was recorded; only for items imported from historic files.

    A 5x5x5 grade alone never permits sharing: the item must be graded under 3x5x2 before it is disclosed.
    """
    _require_grader(actor, item)
    source, intelligence, handling = (str(v or "").strip().upper() for v in (source, intelligence, handling))
    errors = legacy_grade_errors(source=source, intelligence=intelligence, handling=handling)
    if not item.imported:
        errors.setdefault("__all__", []).append(
            "Only historic (imported) items may carry a 5x5x5 grade; grade this item under 3x5x2"
        )
    text = sanitised_errors(sanitised_text, errors)
    if errors:
        raise Invalid("The grade has errors; see fields.", errors)
    with transaction.atomic():
        item = IntelligenceItem.objects.select_for_update().get(pk=item.pk)
        previous = _current_grade(item)
        item.legacy_source_evaluation, item.legacy_intelligence_evaluation = source, intelligence
        item.legacy_handling_code, item.sanitised_text = handling, text
        item.status = ItemStatus.GRADED
        item.graded_by, item.graded_at = item.graded_by or actor, item.graded_at or timezone.now()
        item.save(
            update_fields=[
                "legacy_source_evaluation",
                "legacy_intelligence_evaluation",
                "legacy_handling_code",
                "sanitised_text",
                "status",
                "graded_by",
                "graded_at",
                "updated_at",
            ]
        )
        events.intel_item_graded(actor=actor, item=item, scheme=SCHEME_5X5X5, previous=previous)
    return item


@dataclass(frozen=True)
class Disclosed:
    """What a disclosure shares: the sanitised text and, for handling code C, the conditions that go with it."""

    disclosure: Disclosure
    text: str
    handling_code: str
    conditions: str

    def as_text(self) -> str:
        """The text to put in an export: for C, the conditions first, so they cannot be separated from it."""
        if self.handling_code == HandlingCode.CONDITIONS:
            return f"Handling code C. Conditions on sharing: {self.conditions}\n\n{self.text}"
        return self.text


def _disclosure_errors(
    item, *, recipient_agency, recipient: str, purpose: str, channel: str, conditions_acknowledged: bool
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if channel not in CHANNELS:
        errors["channel"] = [f"The channel must be one of: {', '.join(CHANNELS)}"]
    if recipient_agency is None and not recipient:
        errors["recipient"] = ["Choose the agency, or name the person or body, the item is shared with"]
    elif len(recipient) > RECIPIENT_MAX:
        errors["recipient"] = [f"The recipient must be {RECIPIENT_MAX} characters or fewer"]
    if not purpose:
        errors["purpose"] = ["Enter why the item is being shared"]
    elif len(purpose) > PURPOSE_MAX:
        errors["purpose"] = [f"The purpose must be {PURPOSE_MAX:,} characters or fewer"]
    if item.handling_code == HandlingCode.CONDITIONS and conditions_acknowledged is not True:
        errors["conditions_acknowledged"] = [
            "This item is graded C: confirm that the recipient will be told of, and keep to, its conditions"
        ]
    return errors


def item_disclose(
    *,
    actor,
    item: IntelligenceItem,
    purpose: str,
    recipient_agency: Agency | None = None,
    recipient: str = "",
    channel: str = "page",
    conditions_acknowledged: bool = False,
) -> Disclosed:
    """Share an item's sanitised text, recording the disclosure; returns what may be shared.

    Refused (`PolicyDenied`) unless the actor may disclose the item, which needs a 3x5x2 grade and a sanitised
    text. Refused (`Invalid`, nothing shared, the refusal audited) for an item graded C unless the actor
    acknowledges its conditions, and without a recipient or a purpose.
    """
    if not allows(actor, "can_disclose_intel_item", item):
        raise PolicyDenied("can_disclose_intel_item")
    purpose = (purpose or "").strip() if isinstance(purpose, str) else ""
    recipient = (recipient or "").strip() if isinstance(recipient, str) else ""
    errors = _disclosure_errors(
        item,
        recipient_agency=recipient_agency,
        recipient=recipient,
        purpose=purpose,
        channel=channel,
        conditions_acknowledged=conditions_acknowledged,
    )
    if errors:
        if "conditions_acknowledged" in errors:
            events.intel_disclosure_refused(
                actor=actor, item=item, channel=channel, reason="Handling conditions not acknowledged"
            )
        # Conditions left unacknowledged conflict with the grade already recorded (409), not with the form.
        refusal = Conflict if set(errors) == {"conditions_acknowledged"} else Invalid
        raise refusal("The item cannot be shared as asked; see fields.", errors)
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            item=item,
            disclosed_by=actor,
            recipient_agency=recipient_agency,
            recipient=recipient,
            purpose=purpose,
            channel=channel,
            conditions=item.handling_conditions if item.handling_code == HandlingCode.CONDITIONS else "",
            conditions_acknowledged=bool(conditions_acknowledged),
            disclosed_at=timezone.now(),
        )
        events.intel_item_disclosed(actor=actor, disclosure=disclosure)
    return Disclosed(
        disclosure=disclosure,
        text=item.sanitised_text,
        handling_code=item.handling_code,
        conditions=disclosure.conditions,
    )


def item_text_for_disclosure(
    *,
    item: IntelligenceItem,
    actor,
    recipient: Agency | str,
    purpose: str,
    channel: str = "export",
    conditions_acknowledged: bool = False,
) -> str:
    """The only way to put an item's text in an export: records the disclosure and returns the sanitised text.

    For an item graded C the text begins with its conditions, and `conditions_acknowledged` must be True.
    Raises `PolicyDenied` (the actor may not share it, or it is not graded under 3x5x2) or `Invalid` (no
    purpose or recipient, or C conditions not acknowledged); never returns the content or the source.
    """
    agency = recipient if isinstance(recipient, Agency) else None
    name = "" if agency is not None else str(recipient or "")
    return item_disclose(
        actor=actor,
        item=item,
        purpose=purpose,
        recipient_agency=agency,
        recipient=name,
        channel=channel,
        conditions_acknowledged=conditions_acknowledged,
    ).as_text()
