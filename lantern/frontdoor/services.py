"""The front door's writes: screening a referral, deciding what happens to it, and a manager's sign-off."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from lantern.accounts.models import Agency, AgencyKind
from lantern.audit import events
from lantern.casework import routing, timescales
from lantern.casework.models import ClockKind, StrategyDiscussion
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.validation import clean_text
from lantern.frontdoor.screening import ToolConfig, active_tool, score
from lantern.intake.models import (
    DecisionKind,
    Priority,
    Referral,
    ReferralDecision,
    ReferralStatus,
    Screening,
    SignOff,
)

NFA_OUTCOME = (
    "Your report was looked at carefully by the safeguarding team, who decided that no further action was needed. "
    "If you have new information, please report it."
)
ADVICE_OUTCOME = "Your report was looked at by the safeguarding team, who gave advice and information to the people involved."


@transaction.atomic
def screening_record(
    *,
    actor,
    referral: Referral,
    indicators: dict[str, dict],
    professional_judgement: str = "",
    child_age: int | None = None,
) -> Screening:
    """Record the screening tool's evidence for each indicator, apart from the worker's professional judgement.

    `indicators` maps an indicator code to `{"present": bool, "evidence": str}`.
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status not in (ReferralStatus.RECEIVED,):
        raise Conflict("This referral has already been decided; screening is recorded before the decision.")
    errors: dict[str, list[str]] = {}
    if child_age is not None and not 0 <= child_age <= 25:
        errors["child_age"] = ["Enter the child's age from 0 to 25."]
    tool = active_tool()
    config = ToolConfig.parse(tool.config)
    known = {i.code for i in config.indicators}
    clean: dict[str, dict] = {}
    for code, answer in (indicators or {}).items():
        if code not in known:
            errors.setdefault("indicators", []).append(f"Unknown indicator: {code}.")
            continue
        present = bool(answer.get("present"))
        evidence = (answer.get("evidence") or "").strip()
        if present and not evidence:
            errors.setdefault(f"evidence_{code}", []).append("Record the evidence for this indicator.")
        if len(evidence) > 2000:
            errors.setdefault(f"evidence_{code}", []).append("Evidence must be 2,000 characters or fewer.")
        clean[code] = {"present": present, "evidence": evidence}
    judgement = clean_text(professional_judgement, "professional_judgement", errors)
    if errors:
        raise Invalid("The screening has errors.", errors)
    result = score(config, frozenset(c for c, a in clean.items() if a["present"]), child_age)
    screening = Screening.objects.create(
        referral=referral,
        tool=tool,
        child_age=child_age,
        indicators=clean,
        professional_judgement=judgement,
        score=result.score,
        risk_level=result.risk_level,
        recommendation=result.recommendation,
        reasons=list(result.reasons),
        completed_by=actor,
    )
    referral.risk_level = result.risk_level
    referral.save(update_fields=["risk_level"])
    events.screening_recorded(actor=actor, screening=screening)
    return screening


@transaction.atomic
def referral_decide(
    *,
    actor,
    referral: Referral,
    kind: str,
    rationale: str,
    priority: str = "",
    agencies: list[Agency] | None = None,
    advice_given: str = "",
    now: datetime | None = None,
) -> ReferralDecision:
    """Record the front door's decision and carry it out.

    - No further action: needs a rationale and waits for a team manager's sign-off.
    - Advice: closes the referral with advice recorded.
    - Refer to agencies, or strategy discussion: opens the child's case(s) and gives each agency a task on its
      RAG clocks; a strategy discussion is also scheduled on its timescale. Licensing is always included when a
      licensed driver or vehicle is involved.
    """
    now = now or timezone.now()
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != ReferralStatus.RECEIVED:
        raise Conflict("This referral has already been decided.")
    errors: dict[str, list[str]] = {}
    if kind not in DecisionKind.values:
        errors["kind"] = ["Choose a decision."]
    rationale = clean_text(rationale, "rationale", errors, required="Explain the reasons for the decision.")
    advice_given = clean_text(
        advice_given,
        "advice_given",
        errors,
        required="Record the advice given." if kind == DecisionKind.ADVICE else "",
    )
    agencies = list(agencies or [])
    routed = kind in (DecisionKind.REFER_AGENCIES, DecisionKind.STRATEGY_DISCUSSION)
    if routed:
        if priority not in Priority.values:
            errors["priority"] = ["Choose a priority: red, amber or green."]
        for agency in routing.required_agencies(referral):
            if agency not in agencies:
                agencies.append(agency)
        if not agencies:
            errors["agencies"] = ["Choose at least one agency that must act."]
    if errors:
        raise Invalid("The decision has errors.", errors)

    decision = ReferralDecision.objects.create(
        referral=referral,
        kind=kind,
        rationale=rationale,
        priority=priority if routed else "",
        advice_given=advice_given,
        decided_by=actor,
        decided_at=now,
        within_timescale=now <= referral.decision_due_at,
        sign_off=SignOff.PENDING if kind == DecisionKind.NO_FURTHER_ACTION else SignOff.NOT_REQUIRED,
    )
    if routed:
        decision.agencies.set(agencies)
    referral.decision, referral.decided_at = decision, now
    fields = ["decision", "decided_at", "status"]
    if kind == DecisionKind.NO_FURTHER_ACTION:
        referral.status = ReferralStatus.AWAITING_SIGN_OFF
    elif kind == DecisionKind.ADVICE:
        referral.status, referral.closed_at, referral.public_outcome = (
            ReferralStatus.CLOSED,
            now,
            ADVICE_OUTCOME,
        )
        fields += ["closed_at", "public_outcome"]
    else:
        referral.status, referral.priority = ReferralStatus.OPEN, priority
        fields.append("priority")
    referral.save(update_fields=fields)
    events.referral_decided(actor=actor, decision=decision)
    if kind == DecisionKind.ADVICE:
        events.referral_closed(actor=actor, referral=referral)
    if routed:
        _route(
            actor=actor, referral=referral, decision=decision, agencies=agencies, priority=priority, now=now
        )
    return decision


def _route(*, actor, referral, decision, agencies, priority, now) -> None:
    from lantern.casework import services as casework

    lead = next((a for a in agencies if a.kind == AgencyKind.CSC), agencies[0])
    cases = casework.cases_for_referral(actor=actor, referral=referral, lead_agency=lead, now=now)
    for agency in agencies:
        casework.task_create(
            actor=actor,
            referral=referral,
            agency=agency,
            priority=priority,
            case=cases[0],
            now=now,
            instructions=decision.rationale,
        )
    if decision.kind == DecisionKind.STRATEGY_DISCUSSION:
        for case in cases:
            discussion = StrategyDiscussion.objects.create(
                case=case,
                referral=referral,
                due_at=timescales.strategy_discussion_due(now),
            )
            casework.clock_start(
                kind=ClockKind.STRATEGY_DISCUSSION,
                started_at=now,
                due_at=discussion.due_at,
                case=case,
                referral=referral,
            )
            events.case_updated(
                actor=actor,
                case=case,
                what="strategy_discussion_scheduled",
                data={"discussion_id": discussion.pk},
            )


@transaction.atomic
def referral_decision_sign_off(
    *,
    actor,
    decision: ReferralDecision,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> ReferralDecision:
    """A team manager approves "no further action" (closing the referral) or rejects it (back to the queue)."""
    now = now or timezone.now()
    decision = ReferralDecision.objects.select_for_update().select_related("referral").get(pk=decision.pk)
    if decision.sign_off != SignOff.PENDING:
        raise Conflict("This decision is not awaiting sign-off.")
    if decision.decided_by_id == getattr(actor, "pk", None):
        raise Invalid.field(
            "approve", "A decision must be signed off by a manager other than the person who made it."
        )
    errors: dict[str, list[str]] = {}
    note = clean_text(
        note, "note", errors, required="" if approve else "Explain why the decision is rejected."
    )
    if errors:
        raise Invalid("The sign-off has errors.", errors)
    decision.sign_off = SignOff.APPROVED if approve else SignOff.REJECTED
    decision.signed_off_by, decision.signed_off_at, decision.sign_off_note = actor, now, note
    decision.save(update_fields=["sign_off", "signed_off_by", "signed_off_at", "sign_off_note"])
    referral = Referral.objects.select_for_update().get(pk=decision.referral_id)
    if approve:
        referral.status, referral.closed_at, referral.public_outcome = (
            ReferralStatus.NO_FURTHER_ACTION,
            now,
            NFA_OUTCOME,
        )
        referral.save(update_fields=["status", "closed_at", "public_outcome"])
    else:
        referral.status, referral.decision, referral.decided_at = ReferralStatus.RECEIVED, None, None
        referral.save(update_fields=["status", "decision", "decided_at"])
    events.referral_decision_signed_off(actor=actor, decision=decision)
    if approve:
        events.referral_closed(actor=actor, referral=referral)
    return decision
