"""Writes for intake: receiving a referral (from a professional, the public, the API or an import).

Every way in ends in `referral_create`, which takes a referral its schema (`schemas.ReferralIn`) checked,
issues the reference, starts the one-working-day decision clock, records the structured mentions and those found
in the narrative, issues a tracking secret to a public reporter, and audits, all in one transaction.
"""

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from lantern.audit import chain as audit_chain
from lantern.audit import events
from lantern.core.bulk import insert_together
from lantern.core.calendar import add_working_days
from lantern.core.normalise import normalise_phone, normalise_registration
from lantern.core.references import next_number_and_key, referral_reference_for
from lantern.core.vocabulary import Ethnicity, PhoneStatus, PlaceType, RegistrationStatus, Sex
from lantern.intake import hooks
from lantern.intake.models import PublicReportKey, Referral, ReferralSource
from lantern.intake.schemas import ChildIn, PersonIn, PhoneIn, PlaceIn, ReferralIn, ReporterIn, VehicleIn
from lantern.intel.linking.extract import find_phones, find_registrations
from lantern.intel.linking.models import (
    MentionOrigin,
    PersonMention,
    PersonRole,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)

# Sources whose reporters get a tracking secret: people without an account, who cannot see the record.
TRACKED_SOURCES = frozenset({ReferralSource.PUBLIC, ReferralSource.SELF})
# The secret's alphabet leaves out I, O, 0 and 1, which are easily confused when copied by hand.
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - the characters secrets are drawn from
SECRET_GROUPS, SECRET_GROUP_LENGTH = 4, 4  # 16 characters: about 80 bits


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


def _choice(value, default) -> str:
    """A choice as its stored value (an enum member's own value), or `default` when not given."""
    return str(value or default)


# Values that say nothing on their own: a part with only these is an empty row.
_NO_CONTENT = frozenset({None, "", PlaceType.OTHER, Sex.NOT_KNOWN, Ethnicity.NOT_STATED})


def _has_content(part) -> bool:
    return any(value not in _NO_CONTENT for value in vars(part).values())


def _person_row(role: str, part: ChildIn | PersonIn) -> dict[str, Any]:
    return {
        "role": role,
        "name": part.name,
        "nickname": getattr(part, "nickname", ""),
        "date_of_birth": getattr(part, "date_of_birth", None),
        "age": part.age,
        "sex": _choice(part.sex, Sex.NOT_KNOWN),
        "ethnicity": _choice(part.ethnicity, Ethnicity.NOT_STATED),
        "description": part.description,
        "school": getattr(part, "school", ""),
        "address": part.address,
    }


def _vehicle_row(part: VehicleIn) -> dict[str, Any]:
    registration = normalise_registration(part.registration) if part.registration else None
    return {
        "registration": part.registration,
        "registration_normalised": registration.normalised if registration else "",
        "registration_partial": registration.partial if registration else False,
        "registration_status": registration.status if registration else "",
        "make": part.make,
        "model": part.model,
        "colour": part.colour,
        "licence_number": part.licence_number,
    }


def _phone_row(part: PhoneIn) -> dict[str, Any]:
    # Fewer than six digits is kept as written, marked unusable, and never matched (no normalised form).
    phone = normalise_phone(part.number)
    return {"number": part.number, "number_e164": phone.normalised, "number_status": phone.status}


def _place_row(part: PlaceIn) -> dict[str, Any]:
    return {
        "name": part.name,
        "place_type": _choice(part.type, PlaceType.OTHER),
        "address": part.address,
        "postcode": part.postcode.upper(),
    }


def mention_rows(
    *,
    summary: str,
    children: Iterable[ChildIn] = (),
    persons: Iterable[PersonIn] = (),
    vehicles: Iterable[VehicleIn] = (),
    phones: Iterable[PhoneIn] = (),
    places: Iterable[PlaceIn] = (),
) -> dict[str, list[dict[str, Any]]]:
    """The mentions of parts a schema checked, plus marks and numbers found in the summary but not given.

    Plain dicts (keyed by field name) rather than model instances, so that imports can insert them directly.
    """
    people = [
        _person_row(role, part)
        for role, parts in ((PersonRole.CHILD, children), (PersonRole.PERSON_OF_CONCERN, persons))
        for part in parts
        if _has_content(part)
    ]
    cars = [_vehicle_row(part) for part in vehicles if _has_content(part)]
    numbers = [_phone_row(part) for part in phones if _has_content(part)]
    spots = [_place_row(part) for part in places if _has_content(part)]
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
    referral: ReferralIn,
    channel: str,
    received_at: datetime | None = None,
    tracking_secret: str | None = None,
) -> tuple[Referral, str | None]:
    """Receive a concern; returns the referral and, for a public or self-referral, its tracking secret (shown once).

    `referral` is what `ReferralIn` made of the input, so it is already checked: every way in (the API, the
    pages, imports, the demo) checks by that one schema, and nothing here checks it again. A professional
    referral records the actor as the referrer. `received_at` is for replaying history (the demo borough).
    `tracking_secret` gives the secret to use (one issued earlier by `new_tracking_secret`) instead of a fresh one.
    """
    actor = actor if getattr(actor, "is_authenticated", False) else None
    given, source = referral, referral.source
    received_at = received_at or timezone.now()
    mentions = build_mentions(
        summary=given.summary,
        children=given.children,
        persons=given.persons,
        vehicles=given.vehicles,
        phones=given.phones,
        places=given.places,
    )
    reporter = given.reporter or ReporterIn()
    anonymous = given.anonymous
    secret = (tracking_secret or new_tracking_secret()) if source in TRACKED_SOURCES else None
    first_place = next((p for p in mentions["places"] if p.name), None)
    referral = Referral(
        source=str(source),
        channel=str(channel),
        received_at=received_at,
        decision_due_at=add_working_days(received_at, 1),
        summary=given.summary,
        incident_at=given.incident_at,
        incident_location=given.incident_location or (first_place.name if first_place else ""),
        referrer=actor if source == ReferralSource.PROFESSIONAL else None,
        referrer_agency_id=actor.agency_id if actor and source == ReferralSource.PROFESSIONAL else None,
        anonymous=anonymous,
        reporter_name="" if anonymous else reporter.name,
        reporter_contact="" if anonymous else reporter.contact,
        reporter_relationship=reporter.relationship,
        tracking_secret_digest=secret_digest(secret) if secret else "",
        external_reference=given.external_reference,
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


def public_report_send(
    *, key: str, tracking_secret: str, referral: ReferralIn, channel: str
) -> tuple[Referral, bool]:
    """Send a report from the public question pages once per draft; returns the referral and whether it was sent
    before. A second press of "Send" (the same draft `key`) returns the first referral and writes nothing.

    `referral` is the checked report (a public or self-referral, so there is no actor).
    """
    digest = hashlib.sha256(key.encode()).hexdigest()
    earlier = PublicReportKey.objects.select_related("referral").filter(key_digest=digest).first()
    if earlier is not None:
        return earlier.referral, True
    try:
        with transaction.atomic():
            referral, _ = referral_create(
                actor=None, referral=referral, channel=channel, tracking_secret=tracking_secret
            )
            PublicReportKey.objects.create(key_digest=digest, referral=referral)
    except IntegrityError:
        # The same draft was sent at the same moment and its transaction committed first.
        return PublicReportKey.objects.select_related("referral").get(key_digest=digest).referral, True
    return referral, False
