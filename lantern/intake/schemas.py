"""A referral and its parts as inputs, described once: the API, the pages' forms and the importer all check by these.

Every rule a referral's content must keep is here, with its message: the lengths of text, the bounds of ages,
the lists of choices, dates neither in the future nor before 1900, and how many of each part. The API takes
`ReferralIn` as its body (so the OpenAPI document states each rule); the pages check each part with its schema
through `core.validation`; the historic importer checks each row with `ReferralImportIn`; `referral_create` takes
the checked model and checks nothing again.

A vehicle's registration mark and a phone number are never refused for their form (partial, foreign, not
allocated): only their length is limited, and the service marks what they are. Only the reporter's own contact
details are theirs to get right.
"""

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

import pydantic
from django.utils import timezone
from ninja import Field
from pydantic import ConfigDict, StrictBool, ValidationInfo, field_validator

from lantern.core.api import IsoDate, IsoDateTime, whole_number
from lantern.core.calendar import LONDON
from lantern.core.validation import worded
from lantern.core.vocabulary import Ethnicity, PlaceType, Sex
from lantern.intake.models import ReferralSource

SUMMARY_MAX = 5000
CHILD_AGE_MAX = 25
PERSON_AGE_MAX = 120
EARLIEST_DATE = date(1900, 1, 1)
MAX_PARTS = 20  # of each kind, per referral
# How far ahead of this server's clock a time may be and still count as "now" (other systems' clocks drift).
CLOCK_TOLERANCE = timedelta(minutes=5)


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


def past(value, what: str):
    """`value` if it is a date that can be right; otherwise ValueError with the reason (for a field validator)."""
    if problem := date_problem(value, what=what):
        raise ValueError(problem)
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def age_in_years(maximum: int):
    """An age in whole years from 0 to `maximum` (a number, 20.0 as 20, never text), with the bounds said
    together."""
    bounds = f"Must be between 0 and {maximum}"
    return Annotated[whole_number(0, maximum), worded(greater_than_equal=bounds, less_than_equal=bounds)]


class StrictIn(pydantic.BaseModel):
    """Input that refuses fields it does not know, with the spaces around its text taken off.

    A plain pydantic model rather than ninja's `Schema`, whose validator for reading Django objects (every
    field looked up through a wrapper) made checking an import row several times slower; ninja takes either as
    a body, and the document is the same.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChildIn(StrictIn):
    """A child the concern is about."""

    name: str = Field("", max_length=200)
    date_of_birth: IsoDate | None = None
    age: age_in_years(CHILD_AGE_MAX) | None = Field(
        None, description=f"Stated or estimated age, 0 to {CHILD_AGE_MAX}."
    )
    sex: Sex | None = None
    ethnicity: Ethnicity | None = Field(
        None, description="ONS 2021 category; used only in aggregate monitoring."
    )
    school: str = Field("", max_length=200)
    address: str = Field("", max_length=300)
    description: str = Field("", max_length=2000)

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, value):
        return past(value, "Date of birth")


class PersonIn(StrictIn):
    """A person of concern."""

    name: str = Field("", max_length=200)
    nickname: str = Field("", max_length=100)
    description: str = Field("", max_length=2000)
    age: age_in_years(PERSON_AGE_MAX) | None = Field(
        None, description=f"Stated or estimated age, 0 to {PERSON_AGE_MAX}."
    )
    sex: Sex | None = None
    ethnicity: Ethnicity | None = None
    address: str = Field("", max_length=300)


REGISTRATION_HELP = (
    "The registration mark as seen: all of it or part, with ? for a character not seen. Any form is accepted and "
    "marked: a full UK mark is `valid`; with unseen characters, or too short for a whole mark, `partial`; in a "
    "known foreign format (such as WOB-ZK 295, 1-ABC-123, AB-123-CD), `foreign`; in no known format, "
    "`non_standard`; with no letter or digit, or more than ten, `unusable` (kept as written, never matched)."
)
PHONE_HELP = (
    "The number as written: UK, or with + or 00 and a country code. Any form is accepted and marked: an "
    "allocated number is `valid`; a whole number no operator has (such as 07700 934567) is `not_allocated`; too "
    "few digits for a whole number, or one that cannot be read as one (such as 079111234), is `partial`; fewer "
    "than six digits is `unusable` (kept as written, never matched)."
)


class VehicleIn(StrictIn):
    """A vehicle: registration mark (all or part, ? for unseen characters; any form, marked), make, model, colour."""

    registration: str = Field("", max_length=20, examples=["AB12 CDE"], description=REGISTRATION_HELP)
    make: str = Field("", max_length=50)
    model: str = Field("", max_length=50)
    colour: str = Field("", max_length=30)
    licence_number: str = Field("", max_length=30, description="Taxi or private hire licence number.")


class PhoneIn(StrictIn):
    """A phone number, UK or with a country code, as written: any form is accepted and marked."""

    number: str = Field(..., min_length=1, max_length=40, examples=["07700 900982"], description=PHONE_HELP)


class PlaceIn(StrictIn):
    """A place: name, type and address."""

    name: str = Field("", max_length=200)
    type: PlaceType = PlaceType.OTHER
    address: str = Field("", max_length=300)
    postcode: str = Field("", max_length=10)


class ReporterIn(StrictIn):
    """Who reported the concern, when it is not the authenticated professional."""

    name: str = Field("", max_length=200)
    contact: str = Field("", max_length=200)
    relationship: str = Field("", max_length=200)


class WhatHappenedIn(StrictIn):
    """What happened, in the reporter's words: the one answer every referral needs."""

    summary: Annotated[
        str,
        Field(min_length=1, max_length=SUMMARY_MAX),
        worded(string_too_short="Enter what happened", string_type="Enter what happened"),
    ]


class WhenWhereIn(StrictIn):
    """When and where it happened, both optional."""

    incident_at: IsoDateTime | None = Field(None, description="When it happened; not in the future.")
    incident_location: str = Field("", max_length=300)

    @field_validator("incident_at")
    @classmethod
    def _incident_at(cls, value):
        return past(value, "The date it happened")


class ReferralIn(WhatHappenedIn, WhenWhereIn):
    """A new referral. Only `source` and `summary` are required."""

    source: ReferralSource
    external_reference: str = Field("", max_length=100, description="The sending system's own reference.")
    anonymous: StrictBool = False
    reporter: ReporterIn | None = None
    children: list[ChildIn] = Field(default_factory=list, max_length=MAX_PARTS)
    persons: list[PersonIn] = Field(default_factory=list, max_length=MAX_PARTS)
    vehicles: list[VehicleIn] = Field(default_factory=list, max_length=MAX_PARTS)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=MAX_PARTS)
    places: list[PlaceIn] = Field(default_factory=list, max_length=MAX_PARTS)


ImportStatus = Literal["received", "open", "closed", "nfa"]


class ReferralImportIn(ReferralIn):
    """One row of a historic referrals file (`lantern import referrals`): a referral, with when it was received
    and how it ended on the system it comes from."""

    source: ReferralSource = ReferralSource.IMPORT
    received_at: Annotated[datetime, worded(datetime_type="Enter the date it was received")]
    status: ImportStatus = "received"
    closed_at: datetime | None = None
    public_outcome: str = Field("", max_length=5000)
    referrer_agency: str = Field("", max_length=40, description="The code of the referring agency.")

    @field_validator("received_at")
    @classmethod
    def _received_at(cls, value):
        return past(value, "The date received")

    @field_validator("closed_at")
    @classmethod
    def _closed_at(cls, value, info: ValidationInfo):
        value = past(value, "The date closed")
        received = info.data.get("received_at")
        if value is not None and received is not None and value < received:
            raise ValueError("Must be after when it was received")
        return value
