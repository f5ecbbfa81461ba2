"""An intelligence item and its parts as inputs, described once: the API, the submission page and the importer
all check by these.

Every rule an item's content must keep is here, with its message: lengths, the bounds of an age, the lists of
choices, dates neither in the future nor before 1900, and how many of each part. Vehicles, phone numbers and
places are intake's own schemas, so a referral and an item take them alike: a registration mark or a phone
number is never refused for its form. `item_submit` takes the checked model and checks nothing again.
"""

from datetime import datetime
from typing import Annotated

from ninja import Field
from pydantic import StrictBool, field_validator

from lantern.core.api import IsoDate, IsoDateTime
from lantern.core.validation import GIVEN_TEXT, AtLeastOne, FieldRules, RequiredWhen, worded
from lantern.core.vocabulary import Sex
from lantern.intake.schemas import PhoneIn, PlaceIn, StrictIn, VehicleIn, age_in_years, past
from lantern.intel.items.models import HandlingCode, IntelligenceAssessment, SourceEvaluation
from lantern.intel.linking.models import OrganisationKind, PersonRole

SUMMARY_MAX = 200
CONTENT_MAX = 20000
PERSON_AGE_MAX = 120
MAX_PARTS = 20  # of each kind, per item
SANITISED_MAX = 20000
CONDITIONS_MAX = 2000
PURPOSE_MAX = 2000
RECIPIENT_MAX = 200


class IntelPersonIn(StrictIn):
    """A person the information is about: a child, a person of concern, an associate or a witness."""

    role: PersonRole = PersonRole.PERSON_OF_CONCERN
    name: str = Field("", max_length=200)
    nickname: str = Field("", max_length=100)
    date_of_birth: IsoDate | None = None
    age: age_in_years(PERSON_AGE_MAX) | None = Field(
        None, description=f"Stated or estimated age, 0 to {PERSON_AGE_MAX}."
    )
    sex: Sex | None = None
    description: str = Field("", max_length=2000)
    address: str = Field("", max_length=300)
    licence_number: str = Field(
        "", max_length=30, description="Taxi or private hire driver's licence number."
    )

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, value):
        return past(value, "Date of birth")


class IntelOrganisationIn(StrictIn):
    """A business or other organisation: a taxi firm, a takeaway business."""

    name: Annotated[
        str,
        Field(min_length=1, max_length=200),
        worded(string_too_short="Enter the organisation's name"),
    ]
    kind: OrganisationKind = OrganisationKind.OTHER
    licence_number: str = Field("", max_length=30, description="Operator licence, for a taxi firm.")
    address: str = Field("", max_length=300)


class IntelSourceIn(StrictIn):
    """Who the information came from. Held apart from the item and never returned by the API."""

    source_type: str = Field("", max_length=40, examples=["member of the public", "professional", "CHIS"])
    name: str = Field("", max_length=200)
    contact: str = Field("", max_length=300)
    reference: str = Field("", max_length=100, description="The source's own reference, if any.")
    notes: str = Field("", max_length=4000)


class IntelItemIn(StrictIn):
    """New intelligence, ungraded. Only `summary` and `content` are required."""

    summary: Annotated[
        str,
        Field(min_length=1, max_length=SUMMARY_MAX),
        worded(string_too_short="Enter a summary of the information"),
    ]
    content: Annotated[
        str,
        Field(
            min_length=1,
            max_length=CONTENT_MAX,
            description="The information as received. Never disseminated.",
        ),
        worded(string_too_short="Enter the information as it was received"),
    ]
    occurred_at: IsoDateTime | None = Field(
        None, description="When what it describes happened; not in the future."
    )
    source: IntelSourceIn | None = None
    persons: list[IntelPersonIn] = Field(default_factory=list, max_length=MAX_PARTS)
    vehicles: list[VehicleIn] = Field(default_factory=list, max_length=MAX_PARTS)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=MAX_PARTS)
    places: list[PlaceIn] = Field(default_factory=list, max_length=MAX_PARTS)
    organisations: list[IntelOrganisationIn] = Field(default_factory=list, max_length=MAX_PARTS)

    @field_validator("occurred_at")
    @classmethod
    def _occurred_at(cls, value):
        return past(value, "When it happened")


class IntelImportIn(IntelItemIn):
    """One row of a historic intelligence file (`lantern import intel`): an item, with when it was submitted and
    the code of the agency that submitted it. Its grade is checked by the grading service's own rules."""

    submitted_at: Annotated[datetime, worded(datetime_type="Enter the date it was submitted")]
    agency: Annotated[
        str,
        Field(min_length=1, max_length=40),
        worded(string_too_short="Enter the code of the agency that submitted it"),
    ]

    @field_validator("submitted_at")
    @classmethod
    def _submitted_at(cls, value):
        return past(value, "The date submitted")


class IntelGradeIn(StrictIn, FieldRules):
    """A 3x5x2 grade and the sanitised text that may be shared. Handling code C needs its conditions."""

    field_rules = (
        RequiredWhen(
            "handling_conditions",
            "handling_code",
            (HandlingCode.CONDITIONS,),
            "Enter the conditions on sharing: handling code C needs them",
            GIVEN_TEXT,
        ),
    )

    source_evaluation: SourceEvaluation
    intelligence_assessment: IntelligenceAssessment
    handling_code: HandlingCode
    handling_conditions: str = Field("", max_length=CONDITIONS_MAX)
    sanitised_text: str = Field(
        ...,
        min_length=1,
        max_length=SANITISED_MAX,
        description="What may be shared: nothing that could identify the source.",
    )


class IntelDisclosureIn(StrictIn, FieldRules):
    """Share an item: with an agency of the partnership (by code) or a named person or body, and why."""

    field_rules = (
        AtLeastOne(
            ("recipient_agency", "recipient"),
            "Choose the agency, or name the person or body, the item is shared with",
            GIVEN_TEXT,
        ),
    )

    recipient_agency: str | None = Field(None, max_length=40, description="The receiving agency's code.")
    recipient: str = Field("", max_length=RECIPIENT_MAX, description="A person or body outside Lantern.")
    purpose: str = Field(..., min_length=1, max_length=PURPOSE_MAX)
    conditions_acknowledged: StrictBool = Field(
        False, description="Required true for an item graded C: the conditions will be passed on and kept to."
    )
