"""The inputs of complaints and conduct matters, each described once: the API takes them as its bodies, the
services check what they are given with them (`core.validation.validate`), and so the pages' forms, which call the
services, meet the same rules in the same words. Rules between fields (a link to at least one referral or task; an
investigator when the decision is to investigate) are stated in the JSON Schema too (`core.validation.FieldRules`).
"""

from ninja import Field

from lantern.casework.schemas import StrictIn
from lantern.core.api import Id, IsoDate, IsoDateTime
from lantern.core.validation import GIVEN_CHOICE, AtLeastOne, FieldRules, RequiredWhen
from lantern.oversight.complaints.models import (
    AssessmentDecision,
    ComplainantType,
    ComplaintOutcome,
    ConductFinding,
    ConductOutcome,
    ExternalBody,
    ExternalDecision,
)


class ComplaintIn(StrictIn):
    """A complaint as it was made, about one agency, linked to referrals and tasks the user can see."""

    complainant_type: ComplainantType
    complainant_name: str = Field(..., min_length=1, max_length=200)
    complainant_contact: str = Field("", max_length=300)
    account: str = Field(..., min_length=1, max_length=10000)
    agency: str = Field(
        ..., min_length=1, max_length=40, description="The agency's code, e.g. riverton-police."
    )
    received_at: IsoDateTime | None = Field(None, description="When it was received; now if left out.")
    referral_ids: list[Id] = Field(default_factory=list, max_length=20)
    task_ids: list[Id] = Field(default_factory=list, max_length=20)


class LinksIn(StrictIn, FieldRules):
    """More referrals and tasks the complaint is about: at least one of them."""

    field_rules = (AtLeastOne(("referral_ids", "task_ids"), "Choose at least one referral or task to link."),)

    referral_ids: list[Id] = Field(default_factory=list, max_length=20)
    task_ids: list[Id] = Field(default_factory=list, max_length=20)


class NoteIn(StrictIn):
    """An optional note."""

    note: str = Field("", max_length=5000)


class RequiredNoteIn(StrictIn):
    """A note that must be given."""

    note: str = Field(..., min_length=1, max_length=5000)


class RespondIn(StrictIn):
    """The response sent to the complainant, and its outcome."""

    outcome: ComplaintOutcome
    response: str = Field(..., min_length=1, max_length=10000)


class StageTwoIn(StrictIn):
    """Why the complainant is dissatisfied, and when they asked for stage 2 (now if left out)."""

    reason: str = Field(..., min_length=1, max_length=5000)
    requested_at: IsoDateTime | None = None


class HandlerIn(StrictIn):
    """Who handles the complaint."""

    handler_id: Id = Field(..., ge=1)


class LearningActionIn(StrictIn):
    """A learning action: what will change, who owns it, by when."""

    description: str = Field(..., min_length=1, max_length=2000)
    owner_id: Id = Field(..., ge=1)
    due_date: IsoDate


class StageEscalationResolveIn(StrictIn):
    """How an escalation was resolved."""

    resolution: str = Field(..., min_length=1, max_length=5000)


class ConductMatterIn(StrictIn):
    """An allegation about a named professional."""

    subject_id: Id = Field(..., ge=1)
    allegation: str = Field(..., min_length=1, max_length=10000)
    complaint_id: Id | None = Field(None, ge=1)


class AssessIn(StrictIn, FieldRules):
    """The assessment: refer to an external body (naming it), investigate (naming the investigator), or no case
    to answer."""

    field_rules = (
        RequiredWhen(
            "external_body",
            "decision",
            (AssessmentDecision.REFER_EXTERNAL,),
            "Choose the body the matter was referred to.",
            GIVEN_CHOICE,
        ),
        RequiredWhen(
            "investigator_id", "decision", (AssessmentDecision.INVESTIGATE,), "Choose who will investigate."
        ),
    )

    decision: AssessmentDecision
    assessment: str = Field(..., min_length=1, max_length=10000)
    external_body: ExternalBody | None = None
    external_reference: str = Field("", max_length=100)
    sent_at: IsoDateTime | None = None
    investigator_id: Id | None = Field(None, ge=1)


class ExternalAcknowledgedIn(StrictIn):
    """When the external body acknowledged the referral."""

    acknowledged_at: IsoDateTime
    external_reference: str = Field("", max_length=100)


class ExternalDecisionIn(StrictIn, FieldRules):
    """What the external body decided, and when; an investigation by the agency names its investigator."""

    field_rules = (
        RequiredWhen(
            "investigator_id",
            "decision",
            (ExternalDecision.LOCAL_INVESTIGATION,),
            "Choose who will investigate.",
        ),
    )

    decision: ExternalDecision
    decided_at: IsoDateTime
    investigator_id: Id | None = Field(None, ge=1)
    note: str = Field("", max_length=5000)


class ConductFindingIn(StrictIn):
    """The investigation's finding."""

    finding: ConductFinding
    rationale: str = Field(..., min_length=1, max_length=10000)
    investigation_notes: str = Field("", max_length=20000)


class ConductOutcomeIn(StrictIn):
    """The outcome that concludes the matter."""

    outcome: ConductOutcome
    summary: str = Field(..., min_length=1, max_length=5000)


class NotifySubjectIn(StrictIn):
    """What the professional is told."""

    summary: str = Field(..., min_length=1, max_length=2000)
