"""The front door's pages: the queue with its decision clocks, screening, the decision, sign-off, the tool.

Every page asks the policy (`lantern.frontdoor.rules`, and `can_view_referral` through the intake
selectors, so a referral the user may not see is a 404 like one that does not exist), and every read of a
referral is audited.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from lantern.audit import events
from lantern.casework import routing
from lantern.casework.models import AgencyTask
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied, allows, require
from lantern.frontdoor import services as decisions
from lantern.frontdoor.forms import (
    ROUTED_KINDS,
    DecisionForm,
    QueueFilterForm,
    ScreeningForm,
    ScreeningToolForm,
    SignOffForm,
    decision_agencies,
)
from lantern.frontdoor.screening import ToolConfig, active_tool, screening_tool_publish
from lantern.intake.models import (
    DecisionKind,
    Referral,
    ReferralDecision,
    ReferralStatus,
    Screening,
    ScreeningTool,
    SignOff,
)
from lantern.intake.selectors import referral_get_for_user, referral_list_visible_to
from lantern.intel.models import PersonMention, PersonRole

PER_PAGE = 50
MAX_CLOCK_IDS = 100
# A decision due within this many seconds is shown as urgent.
URGENT_SECONDS = 2 * 3600


# Clocks
def _duration(seconds: float) -> str:
    """A duration in words, to the two largest units: "1 day 3 hours", "4 hours 10 minutes", "25 minutes"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(words[:2])


@dataclass(frozen=True)
class Clock:
    """Time left until a deadline, or how long it is overdue, in words."""

    due_at: datetime
    overdue: bool
    urgent: bool
    text: str


def clock_for(due_at: datetime, now: datetime | None = None) -> Clock:
    """The clock for a deadline as it stands `now`."""
    now = now or timezone.now()
    seconds = (due_at - now).total_seconds()
    if seconds < 0:
        return Clock(due_at, True, True, f"Overdue by {_duration(-seconds)}")
    return Clock(due_at, False, seconds <= URGENT_SECONDS, f"{_duration(seconds)} left")


# Looking records up through the policy
def _referral_for_front_door(request, referral_id: int) -> Referral:
    """The referral, if the user may see it (else 404) and may screen referrals (else 403)."""
    referral = referral_get_for_user(user=request.user, referral_id=referral_id, audit=False)
    require(request.user, "can_screen_referrals")
    return referral


def _decision_for(request, decision_id: int) -> ReferralDecision:
    """A decision on a referral the user may see, else 404."""
    decision = (
        ReferralDecision.objects.select_related("referral", "decided_by", "signed_off_by")
        .filter(pk=decision_id, referral__in=referral_list_visible_to(user=request.user).values("pk"))
        .first()
    )
    if decision is None:
        raise Http404("Not found.")
    return decision


def child_age(referral: Referral) -> int | None:
    """The first child's stated or estimated age, else their age when referred, from the birth date."""
    for child in referral.person_mentions.all():
        if child.role != PersonRole.CHILD:
            continue
        if child.age is not None:
            return child.age
        if child.date_of_birth:
            received = timezone.localdate(referral.received_at)
            born = child.date_of_birth
            return received.year - born.year - ((received.month, received.day) < (born.month, born.day))
    return None


def _apply_service_errors(form, error: Invalid, *, field_for=None) -> None:
    """Put a service's refusal on the form: on the field it names, otherwise at the top."""
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, problems in error.fields.items():
        target = field_for(name) if field_for else name
        target = target if target in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


# The queue
def _tabs(*, view: str, can_screen: bool, awaiting: int, signing: int) -> list[dict]:
    tabs = []
    if can_screen:
        tabs.append(
            {"view": "decisions", "label": f"Awaiting decision ({awaiting})", "current": view == "decisions"}
        )
    tabs.append(
        {"view": "sign-off", "label": f"Awaiting sign-off ({signing})", "current": view == "sign-off"}
    )
    return tabs


@require_GET
def queue(request):
    """Referrals awaiting the front door's decision, most urgent first, and decisions awaiting sign-off."""
    user = request.user
    can_screen = allows(user, "can_screen_referrals")
    can_sign = allows(user, "can_sign_off_decision")
    if not (can_screen or can_sign):
        raise PolicyDenied("can_screen_referrals")
    view = request.GET.get("view")
    if view not in ("decisions", "sign-off") or (view == "decisions" and not can_screen):
        view = "decisions" if can_screen else "sign-off"
    now = timezone.now()
    visible = referral_list_visible_to(user=user)
    awaiting = visible.filter(status=ReferralStatus.RECEIVED)
    pending = ReferralDecision.objects.filter(sign_off=SignOff.PENDING, referral__in=visible.values("pk"))
    context = {
        "view": view,
        "can_screen": can_screen,
        "can_sign": can_sign,
        "now": now,
        "tabs": _tabs(view=view, can_screen=can_screen, awaiting=awaiting.count(), signing=pending.count()),
    }
    if view == "decisions":
        filters = QueueFilterForm(request.GET)
        query = {"view": view}
        if filters.is_valid():
            if source := filters.cleaned_data["source"]:
                awaiting = awaiting.filter(source=source)
                query["source"] = source
            if filters.cleaned_data["overdue"]:
                awaiting = awaiting.filter(decision_due_at__lt=now)
                query["overdue"] = True
        children = PersonMention.objects.filter(role=PersonRole.CHILD).order_by("position", "pk")
        awaiting = awaiting.order_by("decision_due_at", "pk").prefetch_related(
            Prefetch("person_mentions", queryset=children, to_attr="children")
        )
        page = Paginator(awaiting, PER_PAGE).get_page(request.GET.get("page"))
        for referral in page.object_list:
            referral.clock = clock_for(referral.decision_due_at, now)
        ids = [r.pk for r in page.object_list]
        events.record_listed(
            actor=user, object_type="intake.referral", ids=ids, query={**query, "page": page.number}
        )
        page_query = urlencode({k: "1" if v is True else v for k, v in query.items()})
        context.update(
            page=page,
            filters=filters,
            filtered=len(query) > 1,
            page_query=page_query,
            clock_ids=",".join(str(i) for i in ids),
        )
    else:
        pending = pending.select_related("referral", "decided_by").order_by("decided_at", "pk")
        page = Paginator(pending, PER_PAGE).get_page(request.GET.get("page"))
        for decision in page.object_list:
            decision.mine = decision.decided_by_id == user.pk
        events.record_listed(
            actor=user,
            object_type="intake.referral",
            ids=[d.referral_id for d in page.object_list],
            query={"view": view, "page": page.number},
        )
        context.update(page=page, page_query="view=sign-off")
    return render(request, "frontdoor/queue.html", context)


@require_GET
def clocks(request):
    """The queue's clocks brought up to date: an htmx partial of out-of-band clocks and nothing else."""
    require(request.user, "can_screen_referrals")
    ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.isdigit()][:MAX_CLOCK_IDS]
    now = timezone.now()
    rows = (
        referral_list_visible_to(user=request.user)
        .filter(pk__in=ids)
        .values_list("pk", "status", "decision_due_at")
    )
    # Only deadlines are sent back, never the records themselves, so this refresh is not a read to audit.
    entries = [
        {"pk": pk, "decided": status != ReferralStatus.RECEIVED, "clock": clock_for(due, now)}
        for pk, status, due in rows
    ]
    return render(request, "frontdoor/_clocks.html", {"entries": entries})


# Screening
@require_http_methods(["GET", "POST"])
def screen(request, referral_id: int):
    """Complete the active screening tool: indicators with their evidence, then professional judgement."""
    referral = _referral_for_front_door(request, referral_id)
    tool = active_tool()
    config = ToolConfig.parse(tool.config)
    if referral.status != ReferralStatus.RECEIVED:
        return _already_decided(request, referral, status=409 if request.method == "POST" else 200)
    if request.method == "POST":
        form = ScreeningForm(request.POST, config=config)
        if form.is_valid():
            if form.cleaned_data["tool_version"] != str(tool.version):
                form.data = form.data.copy()
                form.data["tool_version"] = tool.version
                form.add_error(
                    None,
                    f"The screening tool changed to version {tool.version} while you were filling "
                    "in this form. Check your answers against it and submit again.",
                )
            else:
                try:
                    screening = decisions.screening_record(
                        actor=request.user,
                        referral=referral,
                        indicators=form.indicators(),
                        professional_judgement=form.cleaned_data["professional_judgement"],
                        child_age=form.cleaned_data["child_age"],
                    )
                except Invalid as error:
                    _apply_service_errors(form, error)
                else:
                    return redirect(
                        "frontdoor:screening_result", referral_id=referral.pk, screening_id=screening.pk
                    )
    else:
        form = ScreeningForm(
            config=config, initial={"tool_version": tool.version, "child_age": child_age(referral)}
        )
    events.record_viewed(actor=request.user, obj=referral, purpose="screening")
    return render(
        request,
        "frontdoor/screen.html",
        {
            "referral": referral,
            "form": form,
            "tool": tool,
            "clock": clock_for(referral.decision_due_at),
            "children": [m for m in referral.person_mentions.all() if m.role == PersonRole.CHILD],
        },
    )


def _already_decided(request, referral: Referral, *, status: int):
    events.record_viewed(actor=request.user, obj=referral, purpose="front door")
    return render(request, "frontdoor/already_decided.html", {"referral": referral}, status=status)


@require_GET
def screening_result(request, referral_id: int, screening_id: int):
    """A recorded screening: score, risk level, the reasons, the recommendation and the evidence."""
    referral = _referral_for_front_door(request, referral_id)
    screening = (
        Screening.objects.select_related("tool", "completed_by")
        .filter(pk=screening_id, referral=referral)
        .first()
    )
    if screening is None:
        raise Http404("Not found.")
    config = ToolConfig.parse(screening.tool.config)
    answers = [
        {"indicator": i, **screening.indicators.get(i.code, {"present": False, "evidence": ""})}
        for i in config.indicators
    ]
    events.record_viewed(actor=request.user, obj=referral, purpose="screening result")
    return render(
        request,
        "frontdoor/screening_result.html",
        {
            "referral": referral,
            "screening": screening,
            "answers": answers,
            "recommended": routing.recommended_agencies(referral, screening.risk_level),
            "can_decide": referral.status == ReferralStatus.RECEIVED,
        },
    )


# The decision
@require_http_methods(["GET", "POST"])
def decide(request, referral_id: int):
    """Record the decision: no further action, advice, referral to agencies or strategy discussion."""
    referral = _referral_for_front_door(request, referral_id)
    if referral.status != ReferralStatus.RECEIVED:
        return _already_decided(request, referral, status=409 if request.method == "POST" else 200)
    screening = referral.screenings.select_related("tool").first()
    risk = screening.risk_level if screening else referral.risk_level
    required = routing.required_agencies(referral)
    recommended = routing.recommended_agencies(referral, risk)
    form_kwargs = {"agencies": decision_agencies(), "required": required, "recommended": recommended}
    if request.method == "POST":
        form = DecisionForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                decision = decisions.referral_decide(actor=request.user, referral=referral, **form.decision())
            except Invalid as error:
                _apply_service_errors(form, error, field_for=form.field_for)
            else:
                messages.success(request, _decided_message(decision))
                return redirect("frontdoor:decision_detail", decision_id=decision.pk)
    else:
        form = DecisionForm(**form_kwargs)
    events.record_viewed(actor=request.user, obj=referral, purpose="decision")
    licensing_reason = (
        "Taxi licensing must act because a licensed driver or vehicle is involved (a licence number, a "
        "taxi rank, or taxis or private hire in the account)."
        if required
        else ""
    )
    return render(
        request,
        "frontdoor/decide.html",
        {
            "referral": referral,
            "form": form,
            "screening": screening,
            "clock": clock_for(referral.decision_due_at),
            "routed_sets": [
                {
                    "kind": kind,
                    "priority": form[f"{kind}_priority"],
                    "agencies": form[f"{kind}_agencies"],
                    "rows": form.agency_rows(kind),
                }
                for kind in ROUTED_KINDS
            ],
            "required": required,
            "licensing_reason": licensing_reason,
            "children": [m for m in referral.person_mentions.all() if m.role == PersonRole.CHILD],
            "kinds": DecisionKind,
        },
    )


def _decided_message(decision: ReferralDecision) -> str:
    if decision.kind == DecisionKind.NO_FURTHER_ACTION:
        return "Decision recorded. A manager must sign off no further action before the referral closes."
    if decision.kind == DecisionKind.ADVICE:
        return "Decision recorded. The referral is closed with the advice given."
    return "Decision recorded. Each agency has a task."


@require_GET
def decision_detail(request, decision_id: int):
    """A decision, its sign-off and the tasks it created."""
    decision = _decision_for(request, decision_id)
    tasks = (
        AgencyTask.objects.filter(referral_id=decision.referral_id)
        .select_related("agency")
        .order_by("agency__name")
        if decision.kind in ROUTED_KINDS
        else AgencyTask.objects.none()
    )
    events.record_viewed(actor=request.user, obj=decision.referral, purpose="decision")
    return render(
        request,
        "frontdoor/decision_detail.html",
        {
            "decision": decision,
            "referral": decision.referral,
            "agencies": list(decision.agencies.all()),
            "tasks": list(tasks),
            "can_sign": allows(request.user, "can_sign_off_decision", decision)
            and decision.sign_off == SignOff.PENDING,
        },
    )


@require_http_methods(["GET", "POST"])
def sign_off(request, decision_id: int):
    """A manager other than the decision-maker approves or rejects "no further action"."""
    decision = _decision_for(request, decision_id)
    require(request.user, "can_sign_off_decision")
    context = {
        "decision": decision,
        "referral": decision.referral,
        "pending": decision.sign_off == SignOff.PENDING,
    }
    if decision.decided_by_id == request.user.pk:
        events.record_viewed(actor=request.user, obj=decision.referral, purpose="sign-off")
        return render(request, "frontdoor/sign_off.html", {**context, "mine": True}, status=403)
    require(request.user, "can_sign_off_decision", decision)
    form = SignOffForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not context["pending"]:
            form.add_error(None, "This decision is no longer awaiting sign-off.")
            status = 409
        elif form.is_valid():
            try:
                decisions.referral_decision_sign_off(
                    actor=request.user,
                    decision=decision,
                    approve=form.approve(),
                    note=form.cleaned_data["note"],
                )
            except Conflict as error:
                form.add_error(None, error.detail)
                status = 409
            except Invalid as error:
                _apply_service_errors(
                    form, error, field_for=lambda name: "outcome" if name == "approve" else name
                )
            else:
                messages.success(
                    request,
                    f"Decision on {decision.referral.reference} approved: the referral is "
                    "closed with no further action."
                    if form.approve()
                    else f"Decision on {decision.referral.reference} rejected: the referral is back in "
                    "the queue for a new decision.",
                )
                return redirect(f"{reverse('frontdoor:queue')}?view=sign-off")
    events.record_viewed(actor=request.user, obj=decision.referral, purpose="sign-off")
    return render(request, "frontdoor/sign_off.html", {**context, "form": form}, status=status)


# The screening tool
@require_http_methods(["GET", "POST"])
def screening_tool(request):
    """The screening tool's versions and active configuration; the partnership lead publishes new versions."""
    require(request.user, "can_view_screening_tool")
    can_manage = allows(request.user, "can_manage_screening_tool")
    tool = active_tool()
    config = ToolConfig.parse(tool.config)
    form = None
    if request.method == "POST":
        require(request.user, "can_manage_screening_tool")
        form = ScreeningToolForm(request.POST, config=config)
        if request.POST.get("based_on") != str(tool.version):
            form.is_valid()
            form.add_error(
                None,
                f"Version {tool.version} was published while you were editing. Your changes have "
                "not been saved: check them against the new version and publish again.",
            )
        elif form.is_valid():
            try:
                published = screening_tool_publish(
                    actor=request.user, config=form.to_config(), name=tool.name
                )
            except Invalid as error:
                for problem in error.fields.get("config", []) or [error.detail]:
                    form.add_error(None, problem)
            else:
                messages.success(
                    request,
                    f"Version {published.version} of the screening tool is now in use. "
                    "Screenings already recorded keep the version they used.",
                )
                return redirect("frontdoor:screening_tool")
    elif can_manage:
        form = ScreeningToolForm(config=config)
    versions = (
        ScreeningTool.objects.annotate(used=Count("screenings"))
        .select_related("created_by")
        .order_by("-version")
    )
    return render(
        request,
        "frontdoor/screening_tool.html",
        {
            "tool": tool,
            "config": config,
            "versions": versions,
            "form": form,
            "can_manage": can_manage,
        },
    )
