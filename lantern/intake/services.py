"""Writes for intake: receiving a referral (from a professional, the public, the API or an import).

Every way in ends in `referral_create`, which checks what it is given, issues the reference, starts the
one-working-day decision clock, records the structured mentions and those found in the narrative, issues a
tracking secret to a public reporter, and audits, all in one transaction.
"""

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from lantern.audit import chain as audit_chain
from lantern.audit import events
from lantern.core.bulk import insert_together
from lantern.core.calendar import LONDON, add_working_days
from lantern.core.normalise import normalise_phone, normalise_registration
from lantern.core.references import next_number_and_key, referral_reference_for
from lantern.core.vocabulary import Ethnicity, PhoneStatus, PlaceType, RegistrationStatus, Sex
from lantern.intake import hooks
from lantern.intake.models import Channel, PublicReportKey, Referral, ReferralSource
from lantern.intel.linking.extract import find_phones, find_registrations
from lantern.intel.linking.models import (
    MentionOrigin,
    PersonMention,
    PersonRole,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)

# Limits shared by the forms, the API schemas and the importer, so every way in accepts the same.
SUMMARY_MAX = 5000
CHILD_AGE_MAX = 25
PERSON_AGE_MAX = 120
EARLIEST_DATE = date(1900, 1, 1)
MAX_PARTS = 20  # of each kind, per referral
# Sources whose reporters get a tracking secret: people without an account, who cannot see the record.
TRACKED_SOURCES = frozenset({ReferralSource.PUBLIC, ReferralSource.SELF})
# The secret's alphabet leaves out I, O, 0 and 1, which are easily confused when copied by hand.
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - the characters secrets are drawn from
SECRET_GROUPS, SECRET_GROUP_LENGTH = 4, 4  # 16 characters: about 80 bits
# How far ahead of this server's clock a time may be and still count as "now" (other systems' clocks drift).
CLOCK_TOLERANCE = timedelta(minutes=5)

TEXT_LIMITS: dict[str, dict[str, int]] = {
    "children": {"name": 200, "school": 200, "address": 300, "description": 2000},
    "persons": {"name": 200, "nickname": 100, "description": 2000, "address": 300},
    "vehicles": {"registration": 20, "make": 50, "model": 50, "colour": 30, "licence_number": 30},
    "phones": {"number": 40},
    "places": {"name": 200, "address": 300, "postcode": 10},
    "reporter": {"name": 200, "contact": 200, "relationship": 200},
}
OTHER_KEYS: dict[str, set[str]] = {
    "children": {"date_of_birth", "age", "sex", "ethnicity"},
    "persons": {"age", "sex", "ethnicity"},
    "vehicles": set(),
    "phones": set(),
    "places": {"type"},
    "reporter": set(),
}


MENTION_MODELS = {
    "persons": PersonMention,
    "vehicles": VehicleMention,
    "phones": PhoneMention,
    "places": PlaceMention,
}


def new_tracking_secret() -> str:
    """A fresh secret for a public reporter, in groups for copying by hand: e.g. KQ7M-3XWD-P9TB-R2HN."""
    chars = [secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_GROUPS * SECRET_GROUP_LENGTH)]
    return "-".join(
        "".join(chars[i : i + SECRET_GROUP_LENGTH]) for i in range(0, len(chars), SECRET_GROUP_LENGTH)
    )


def canonical_secret(text: str) -> str:
    """A secret as typed, made comparable: capitals, without spaces or hyphens."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t")


def secret_digest(secret: str) -> str:
    """The stored digest of a tracking secret, however it was typed."""
    return Referral.digest_secret(canonical_secret(secret))


def date_problem(value: date | datetime | None, *, what: str, now: datetime | None = None) -> str:
    """Why a date cannot be right (in the future, or before 1900), or "" if it can. `now` saves looking it up."""
    if value is None:
        return ""
    now = now or timezone.now()
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if value > now + CLOCK_TOLERANCE:
            return f"{what} must be in the past"
        day = value.astimezone(LONDON).date()
    else:
        if value > now.astimezone(LONDON).date():
            return f"{what} must be in the past"
        day = value
    if day < EARLIEST_DATE:
        return f"{what} must be after 1900"
    return ""


def age_problem(value: Any, *, maximum: int, what: str = "Age") -> str:
    """Why an age cannot be right, or "" if it can."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{what} must be a whole number"
    if not 0 <= value <= maximum:
        return f"{what} must be between 0 and {maximum}"
    return ""


def _text(part: Mapping[str, Any], key: str) -> str:
    value = part.get(key)
    if isinstance(value, str):
        return value.strip()
    return "" if value is None else str(value).strip()


# The values each choice may take (an enum's `.values` builds a new list on every use); unset is allowed in parts.
_SEXES = frozenset({None, "", *Sex.values})
_ETHNICITIES = frozenset({None, "", *Ethnicity.values})
_PLACE_TYPES = frozenset({None, "", *PlaceType.values})
_SOURCES = frozenset(ReferralSource.values)
_CHANNELS = frozenset(Channel.values)


def _one_of(value: Any, allowed: frozenset) -> bool:
    try:
        return value in allowed
    except TypeError:  # a list or a dict is not one of the choices
        return False


def _check_part(kind: str, index: int | None, part: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Record what is wrong with one structured part under keys such as "vehicles.0.registration"."""
    prefix = kind if index is None else f"{kind}.{index}"
    unknown = set(part) - set(TEXT_LIMITS[kind]) - OTHER_KEYS[kind]
    if unknown:
        errors.setdefault(prefix, []).append(f"Unknown fields: {', '.join(sorted(unknown))}")
    for key, limit in TEXT_LIMITS[kind].items():
        if len(_text(part, key)) > limit:
            errors.setdefault(f"{prefix}.{key}", []).append(f"Must be {limit} characters or fewer")
    if kind == "children":
        if problem := date_problem(part.get("date_of_birth"), what="Date of birth"):
            errors.setdefault(f"{prefix}.date_of_birth", []).append(problem)
        if problem := age_problem(part.get("age"), maximum=CHILD_AGE_MAX):
            errors.setdefault(f"{prefix}.age", []).append(problem)
    if kind == "persons" and (problem := age_problem(part.get("age"), maximum=PERSON_AGE_MAX)):
        errors.setdefault(f"{prefix}.age", []).append(problem)
    if kind in ("children", "persons"):
        if not _one_of(part.get("sex"), _SEXES):
            errors.setdefault(f"{prefix}.sex", []).append("Choose a value from the list")
        if not _one_of(part.get("ethnicity"), _ETHNICITIES):
            errors.setdefault(f"{prefix}.ethnicity", []).append("Choose a value from the list")
    # A registration mark or a phone number is never refused for its form: `mention_rows` marks it instead.
    if kind == "places" and not _one_of(part.get("type"), _PLACE_TYPES):
        errors.setdefault(f"{prefix}.type", []).append("Choose a type of place from the list")


# Values that say nothing on their own: a part with only these is an empty row.
_NO_CONTENT = frozenset({None, "", PlaceType.OTHER, Sex.NOT_KNOWN, Ethnicity.NOT_STATED})


def _has_content(part: Mapping[str, Any]) -> bool:
    return any(value not in _NO_CONTENT for value in part.values())


def referral_errors(
    *,
    source: str,
    channel: str,
    summary: str,
    parts: Mapping[str, list[Mapping[str, Any]]],
    reporter: Mapping[str, Any] | None = None,
    incident_at: datetime | None = None,
    received_at: datetime | None = None,
) -> dict[str, list[str]]:
    """Everything wrong with a referral's content, by field ("summary", "children.0.age", ...); empty if none."""
    errors: dict[str, list[str]] = {}
    if not _one_of(source, _SOURCES):
        errors["source"] = ["Choose who raised the concern"]
    if not _one_of(channel, _CHANNELS):
        errors["channel"] = ["Choose how the concern was received"]
    text = (summary or "").strip()
    if not text:
        errors["summary"] = ["Enter what happened"]
    elif len(text) > SUMMARY_MAX:
        errors["summary"] = [f"What happened must be {SUMMARY_MAX} characters or fewer"]
    for kind, items in parts.items():
        if len(items) > MAX_PARTS:
            errors.setdefault(kind, []).append(f"Give at most {MAX_PARTS}")
            continue
        for index, part in enumerate(items):
            _check_part(kind, index, part, errors)
    if reporter:
        _check_part("reporter", None, reporter, errors)
    if problem := date_problem(incident_at, what="The date it happened"):
        errors["incident_at"] = [problem]
    if problem := date_problem(received_at, what="The date received"):
        errors["received_at"] = [problem]
    return errors


def mention_rows(
    *,
    summary: str,
    children: Iterable[Mapping[str, Any]] = (),
    persons: Iterable[Mapping[str, Any]] = (),
    vehicles: Iterable[Mapping[str, Any]] = (),
    phones: Iterable[Mapping[str, Any]] = (),
    places: Iterable[Mapping[str, Any]] = (),
) -> dict[str, list[dict[str, Any]]]:
    """The mentions of checked parts as field values, plus marks and numbers found in the summary but not given.

    Plain dicts (keyed by field name) rather than model instances, so that imports can insert them directly.
    """
    people = [
        {
            "role": role,
            "name": _text(part, "name"),
            "nickname": _text(part, "nickname"),
            "date_of_birth": part.get("date_of_birth"),
            "age": part.get("age"),
            "sex": part.get("sex") or Sex.NOT_KNOWN,
            "ethnicity": part.get("ethnicity") or Ethnicity.NOT_STATED,
            "description": _text(part, "description"),
            "school": _text(part, "school"),
            "address": _text(part, "address"),
        }
        for role, items in ((PersonRole.CHILD, children), (PersonRole.PERSON_OF_CONCERN, persons))
        for part in items
        if _has_content(part)
    ]
    cars = []
    for part in filter(_has_content, vehicles):
        raw = _text(part, "registration")
        registration = normalise_registration(raw) if raw else None
        cars.append(
            {
                "registration": raw,
                "registration_normalised": registration.normalised if registration else "",
                "registration_partial": registration.partial if registration else False,
                "registration_status": registration.status if registration else "",
                "make": _text(part, "make"),
                "model": _text(part, "model"),
                "colour": _text(part, "colour"),
                "licence_number": _text(part, "licence_number"),
            }
        )
    numbers = []
    for part in filter(_has_content, phones):
        # Fewer than six digits is kept as written, marked unusable, and never matched (no normalised form).
        phone = normalise_phone(_text(part, "number"))
        numbers.append(
            {"number": _text(part, "number"), "number_e164": phone.normalised, "number_status": phone.status}
        )
    spots = [
        {
            "name": _text(part, "name"),
            "place_type": part.get("type") or PlaceType.OTHER,
            "address": _text(part, "address"),
            "postcode": _text(part, "postcode").upper(),
        }
        for part in places
        if _has_content(part)
    ]
    for row in (*people, *cars, *numbers, *spots):
        row["origin"] = MentionOrigin.STRUCTURED
    given_marks = {car["registration_normalised"] for car in cars}
    cars += [
        {
            "origin": MentionOrigin.FREE_TEXT,
            "registration": found.raw[:20],
            "registration_normalised": found.normalised,
            "registration_status": RegistrationStatus.VALID,
        }
        for found in find_registrations(summary)
        if found.normalised not in given_marks
    ]
    given_numbers = {number["number_e164"] for number in numbers if number["number_e164"]}
    numbers += [
        {
            "origin": MentionOrigin.FREE_TEXT,
            "number": found.raw[:40],
            "number_e164": found.normalised,
            "number_status": PhoneStatus.VALID,
        }
        for found in find_phones(summary)
        if found.normalised not in given_numbers
    ]
    for group in (people, cars, numbers, spots):
        for position, row in enumerate(group):
            row["position"] = position
    return {"persons": people, "vehicles": cars, "phones": numbers, "places": spots}


def build_mentions(**parts) -> dict[str, list]:
    """Unsaved mention instances for `mention_rows(**parts)`."""
    return {
        kind: [MENTION_MODELS[kind](**row) for row in rows] for kind, rows in mention_rows(**parts).items()
    }


def mention_counts(mentions: Mapping[str, list]) -> dict[str, int]:
    """How many of each kind, structured and from the narrative (for the audit log: counts, never values)."""
    counts: dict[str, int] = {}
    for kind, items in mentions.items():
        for mention in items:
            key = kind if mention.origin == MentionOrigin.STRUCTURED else f"{kind}_free_text"
            counts[key] = counts.get(key, 0) + 1
    return counts


def referral_create(
    *,
    actor,
    source: str,
    channel: str,
    summary: str,
    children: Iterable[Mapping[str, Any]] = (),
    persons: Iterable[Mapping[str, Any]] = (),
    vehicles: Iterable[Mapping[str, Any]] = (),
    phones: Iterable[Mapping[str, Any]] = (),
    places: Iterable[Mapping[str, Any]] = (),
    reporter: Mapping[str, Any] | None = None,
    anonymous: bool = False,
    incident_at: datetime | None = None,
    incident_location: str = "",
    received_at: datetime | None = None,
    external_reference: str = "",
    tracking_secret: str | None = None,
) -> tuple[Referral, str | None]:
    """Receive a concern; returns the referral and, for a public or self-referral, its tracking secret (shown once).

    Raises ValidationError with messages keyed by field ("summary", "vehicles.0.registration") and writes
    nothing if any part is wrong. A professional referral records the actor as the referrer. `tracking_secret`
    gives the secret to use (one issued earlier by `new_tracking_secret`) instead of a fresh one.
    """
    actor = actor if getattr(actor, "is_authenticated", False) else None
    parts = {
        "children": list(children),
        "persons": list(persons),
        "vehicles": list(vehicles),
        "phones": list(phones),
        "places": list(places),
    }
    if incident_at is not None and timezone.is_naive(incident_at):
        incident_at = timezone.make_aware(incident_at)
    errors = referral_errors(
        source=source,
        channel=channel,
        summary=summary,
        parts=parts,
        reporter=reporter,
        incident_at=incident_at,
        received_at=received_at,
    )
    if len(incident_location) > 300:
        errors["incident_location"] = ["Where it happened must be 300 characters or fewer"]
    if len(external_reference) > 100:
        errors["external_reference"] = ["The other system's reference must be 100 characters or fewer"]
    if errors:
        raise ValidationError(errors)

    summary = summary.strip()
    received_at = received_at or timezone.now()
    mentions = build_mentions(summary=summary, **parts)
    reporter = reporter or {}
    secret = (tracking_secret or new_tracking_secret()) if source in TRACKED_SOURCES else None
    first_place = next((p for p in mentions["places"] if p.name), None)
    referral = Referral(
        source=source,
        channel=channel,
        received_at=received_at,
        decision_due_at=add_working_days(received_at, 1),
        summary=summary,
        incident_at=incident_at,
        incident_location=incident_location.strip() or (first_place.name if first_place else ""),
        referrer=actor if source == ReferralSource.PROFESSIONAL else None,
        referrer_agency_id=actor.agency_id if actor and source == ReferralSource.PROFESSIONAL else None,
        anonymous=anonymous,
        reporter_name="" if anonymous else _text(reporter, "name"),
        reporter_contact="" if anonymous else _text(reporter, "contact"),
        reporter_relationship=_text(reporter, "relationship"),
        tracking_secret_digest=secret_digest(secret) if secret else "",
        external_reference=external_reference.strip(),
        created_by=actor,
    )
    year = timezone.localtime(received_at).year
    with transaction.atomic():
        number, referral.pk = next_number_and_key(f"referral-{year}", Referral)
        referral.reference = referral_reference_for(year, number)
        for items in mentions.values():
            for mention in items:
                mention.referral = referral
        # In the audit journal's mode its row, and with the database queue the referral's real-time matching, are
        # written in the referral's own statement (one round trip on PostgreSQL); otherwise each is done apart.
        entry = events.referral_created_entry(
            actor=actor, referral=referral, mentions=mention_counts(mentions)
        )
        queued = hooks.rows_with(referral)
        insert_together(
            [referral, *(m for items in mentions.values() for m in items), *filter(None, [entry]), *queued]
        )
        if entry is None:
            events.referral_created(actor=actor, referral=referral, mentions=mention_counts(mentions))
        else:
            audit_chain.journal_written()
        if not queued:
            transaction.on_commit(lambda: hooks.referral_received(referral))
    return referral, secret


def public_report_send(*, key: str, tracking_secret: str, **fields) -> tuple[Referral, bool]:
    """Send a report from the public question pages once per draft; returns the referral and whether it was sent
    before. A second press of "Send" (the same draft `key`) returns the first referral and writes nothing.

    `fields` are `referral_create`'s (a public or self-referral, so no actor); its errors are raised as they are.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()
    earlier = PublicReportKey.objects.select_related("referral").filter(key_digest=digest).first()
    if earlier is not None:
        return earlier.referral, True
    try:
        with transaction.atomic():
            referral, _ = referral_create(actor=None, tracking_secret=tracking_secret, **fields)
            PublicReportKey.objects.create(key_digest=digest, referral=referral)
    except IntegrityError:
        # The same draft was sent at the same moment and its transaction committed first.
        return PublicReportKey.objects.select_related("referral").get(key_digest=digest).referral, True
    return referral, False
