"""The front door's API: record a screening, record the decision, and sign a decision off.

`POST /api/v1/referrals/{id}/screening`, `POST /api/v1/referrals/{id}/decision` and
`POST /api/v1/decisions/{id}/sign-off`. Input is strict: unknown fields and wrong types are 422 with a
message per field and nothing is written. A referral the user may not see is 404, exactly like one that does
not exist; a user who may see it but is not the front door is 403; a referral already decided is 409.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, StrictBool, StrictStr

from lantern.accounts.models import Agency
from lantern.casework import routing
from lantern.casework.models import AgencyTask
from lantern.core.api import ApiError, ErrorOut, Id, whole_number
from lantern.core.exceptions import Invalid
from lantern.core.policy import require
from lantern.core.validation import MAX_TEXT
from lantern.frontdoor import services as decisions
from lantern.frontdoor.forms import CHILD_AGE_MAX, EVIDENCE_MAX, ROUTED_KINDS, decision_agencies
from lantern.intake.models import Referral, ReferralDecision
from lantern.intake.selectors import referral_get_for_user, referral_list_visible_to

router = Router(tags=["front door"])

TEXT_MAX = MAX_TEXT
MAX_INDICATORS = 100
MAX_AGENCIES = 20


class StrictIn(Schema):
    """Input that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IndicatorAnswerIn(StrictIn):
    """Whether an indicator is present, and the evidence for it (kept apart from professional judgement)."""

    present: StrictBool
    evidence: StrictStr = Field("", max_length=EVIDENCE_MAX)


class ScreeningIn(StrictIn):
    """The screening tool's answers for a referral."""

    indicators: dict[StrictStr, IndicatorAnswerIn] = Field(
        ...,
        max_length=MAX_INDICATORS,
        description="Indicator code → answer, for the active tool's indicators; evidence if present.",
        examples=[{"cars": {"present": True, "evidence": "Seen getting into cars driven by older men."}}],
    )
    professional_judgement: StrictStr = Field("", max_length=TEXT_MAX)
    child_age: whole_number(0, CHILD_AGE_MAX) | None = Field(
        None,
        description="The child's age in years, 0 to 25. The only input to the score besides the indicators.",
    )


class ScreeningOut(Schema):
    """A recorded screening and what the tool made of it."""

    id: int
    referral_id: int
    tool_version: int
    child_age: int | None
    score: int
    risk_level: str
    recommendation: str
    reasons: list[str]
    recommended_agencies: list[str] = Field(description="Codes of the agencies the screening suggests.")
    completed_at: datetime


class DecisionIn(StrictIn):
    """The front door's decision."""

    kind: Literal["refer", "strategy", "advice", "nfa"] = Field(
        description="refer: refer to agencies; strategy: strategy discussion; "
        "advice: advice and signposting; nfa: no further action (needs a manager's sign-off)."
    )
    rationale: StrictStr = Field(..., max_length=TEXT_MAX)
    priority: Literal["red", "amber", "green"] | None = Field(
        None, description="Required for refer and strategy: the RAG priority of the agencies' tasks."
    )
    agencies: list[StrictStr] = Field(
        [],
        max_length=MAX_AGENCIES,
        description="Agency codes, for refer and strategy. Licensing is added whenever a licensed driver or "
        "vehicle is involved.",
    )
    advice_given: StrictStr = Field("", max_length=TEXT_MAX, description="Required for advice.")


class RoutedTaskOut(Schema):
    """A task the decision gave an agency."""

    id: int
    agency: str
    priority: str
    ack_due_at: datetime
    due_at: datetime


class FrontDoorDecisionOut(Schema):
    """A decision, its sign-off, and the tasks it created."""

    id: int
    referral_id: int
    referral_status: str
    kind: str
    priority: str
    agencies: list[str]
    rationale: str
    decided_at: datetime
    within_timescale: bool
    sign_off: str
    tasks: list[RoutedTaskOut]


class SignOffIn(StrictIn):
    """A manager's sign-off of a decision."""

    approve: StrictBool
    note: StrictStr = Field("", max_length=TEXT_MAX, description="Required when rejecting.")


def _front_door_referral(request, referral_id: Id) -> Referral:
    referral = referral_get_for_user(user=request.auth, referral_id=referral_id, audit=False)
    require(request.auth, "can_screen_referrals")
    return referral


def _decision_out(decision: ReferralDecision) -> dict:
    tasks = (
        AgencyTask.objects.filter(referral_id=decision.referral_id)
        .select_related("agency")
        .order_by("agency__code")
        if decision.kind in ROUTED_KINDS
        else []
    )
    return {
        "id": decision.pk,
        "referral_id": decision.referral_id,
        "referral_status": decision.referral.status,
        "kind": decision.kind,
        "priority": decision.priority,
        "agencies": sorted(a.code for a in decision.agencies.all()),
        "rationale": decision.rationale,
        "decided_at": decision.decided_at,
        "within_timescale": decision.within_timescale,
        "sign_off": decision.sign_off,
        "tasks": [
            {
                "id": t.pk,
                "agency": t.agency.code,
                "priority": t.priority,
                "ack_due_at": t.ack_due_at,
                "due_at": t.due_at,
            }
            for t in tasks
        ],
    }


@router.post(
    "/referrals/{int:referral_id}/screening",
    response={201: ScreeningOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Record a screening",
    operation_id="referral_screening_record",
)
def record_screening(request, referral_id: Id, payload: ScreeningIn):
    """Score the referral with the active tool. Only the indicators present and the child's age count."""
    referral = _front_door_referral(request, referral_id)
    screening = decisions.screening_record(
        actor=request.auth,
        referral=referral,
        indicators={code: answer.model_dump() for code, answer in payload.indicators.items()},
        professional_judgement=payload.professional_judgement,
        child_age=payload.child_age,
    )
    return Status(
        201,
        {
            "id": screening.pk,
            "referral_id": referral.pk,
            "tool_version": screening.tool.version,
            "child_age": screening.child_age,
            "score": screening.score,
            "risk_level": screening.risk_level,
            "recommendation": screening.recommendation,
            "reasons": screening.reasons,
            "recommended_agencies": [
                a.code for a in routing.recommended_agencies(referral, screening.risk_level)
            ],
            "completed_at": screening.completed_at,
        },
    )


@router.post(
    "/referrals/{int:referral_id}/decision",
    response={
        201: FrontDoorDecisionOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Record the front door's decision",
    operation_id="referral_decide",
)
def record_decision(request, referral_id: Id, payload: DecisionIn):
    """Decide what happens to a referral. Refer and strategy give each agency a task on its RAG clocks."""
    referral = _front_door_referral(request, referral_id)
    routed = payload.kind in ROUTED_KINDS
    agencies: list[Agency] = []
    if payload.agencies and not routed:
        raise Invalid.field(
            "agencies",
            "Agencies are chosen only when referring to agencies or holding a strategy discussion.",
        )
    if routed:
        codes = list(dict.fromkeys(payload.agencies))
        found = {a.code: a for a in decision_agencies().filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise Invalid.field("agencies", f"Unknown agency code: {', '.join(unknown)}.")
        agencies = [found[code] for code in codes]
    decision = decisions.referral_decide(
        actor=request.auth,
        referral=referral,
        kind=payload.kind,
        rationale=payload.rationale,
        priority=payload.priority or "",
        agencies=agencies,
        advice_given=payload.advice_given,
    )
    decision.referral.refresh_from_db(fields=["status"])
    return Status(201, _decision_out(decision))


@router.post(
    "/decisions/{int:decision_id}/sign-off",
    response={
        200: FrontDoorDecisionOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Approve or reject a decision awaiting sign-off",
    operation_id="referral_decision_sign_off",
)
def sign_off_decision(request, decision_id: Id, payload: SignOffIn):
    """A manager other than the decision-maker approves "no further action" (closing the referral) or not."""
    user = request.auth
    decision = (
        ReferralDecision.objects.select_related("referral")
        .filter(pk=decision_id, referral__in=referral_list_visible_to(user=user).values("pk"))
        .first()
    )
    if decision is None:
        raise ApiError(404, "not_found", "Not found.")
    require(user, "can_sign_off_decision")
    if decision.decided_by_id == user.pk:
        raise ApiError(
            403, "forbidden", "A decision must be signed off by a manager other than the person who made it."
        )
    require(user, "can_sign_off_decision", decision)
    decision = decisions.referral_decision_sign_off(
        actor=user, decision=decision, approve=payload.approve, note=payload.note
    )
    decision.referral.refresh_from_db(fields=["status"])
    return Status(200, _decision_out(decision))
