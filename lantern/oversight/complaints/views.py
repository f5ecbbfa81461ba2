"""Pages for complaints and conduct matters: lists, one record with its timeline of stages, the forms that move it
on, stage escalations, a professional's notices about themselves, and the outcomes by agency.

Every page asks the policy (`lantern.oversight.complaints.rules`): through the selectors for what may be seen (a
record the user may not see is a 404, like one that does not exist) and by name for what may be done (403). Every
read of a complaint or conduct matter, one or a list, is audited.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lantern.audit import events
from lantern.casework.forms import ResolveForm
from lantern.casework.timescales import clock_reading
from lantern.casework.views import error_list
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied, allows, require
from lantern.oversight.complaints import selectors, services
from lantern.oversight.complaints.forms import (
    AssessForm,
    ComplaintFilterForm,
    ComplaintForm,
    ConductFilterForm,
    ConductMatterForm,
    ConductOutcomeForm,
    ExternalAcknowledgedForm,
    ExternalDecisionForm,
    FindingForm,
    HandlerForm,
    LearningActionForm,
    LinkForm,
    NoteForm,
    NotifySubjectForm,
    OutcomesPeriodForm,
    RespondForm,
    StageTwoForm,
)
from lantern.oversight.complaints.models import Complaint, ComplaintStatus, ConductMatter, ConductStatus

PER_PAGE = 50


def _posted(request):
    return request.POST if request.method == "POST" else None


def _require_action(user, rule: str, obj) -> None:
    """The user can see `obj` but may not do this to it: 403."""
    if not allows(user, rule, obj):
        raise PolicyDenied(rule)


def _apply(form, error: Invalid) -> None:
    """Put a service's field messages on the form; messages about no field of the form go to the top."""
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, errors in error.fields.items():
        # A service names a chosen record as the schema does ("investigator_id"); the form names the choice.
        name = name if name in form.fields else name.removesuffix("_id")
        form.add_error(name if name in form.fields else None, errors)


def _page_query(request) -> str:
    base = request.GET.copy()
    base.pop("page", None)
    return base.urlencode()


@dataclass(frozen=True)
class TimelineEntry:
    """One stage or escalation in a record's timeline."""

    at: datetime
    title: str
    byline: str = ""
    text: str = ""
    kind: str = "step"


def _timeline(steps, escalations) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(at=s.at, title=s.title, byline=s.by.display_name if s.by else "", text=s.note)
        for s in steps
    ]
    for e in escalations:
        entries.append(
            TimelineEntry(
                at=e.raised_at,
                kind="escalation",
                text=e.reason,
                title=f"Level {e.level} escalation: "
                f"{services.CLOCK_LABELS.get(e.clock, e.clock).lower()} overdue",
                byline=e.raised_by.display_name if e.raised_by else "Lantern, automatically",
            )
        )
        if e.resolved_at:
            entries.append(
                TimelineEntry(
                    at=e.resolved_at,
                    kind="resolution",
                    text=e.resolution,
                    title=f"Level {e.level} escalation resolved",
                    byline=e.resolved_by.display_name if e.resolved_by else "",
                )
            )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def _action_page(
    request,
    *,
    form,
    run,
    title: str,
    caption: str,
    back: str,
    button: str,
    success: str,
    intro: str = "",
    warning: bool = False,
):
    """Show a form that moves a record on; on a valid POST call `run(cleaned_data)` and go back to the record."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data)
        except Invalid as error:
            _apply(form, error)
            status = 409 if isinstance(error, Conflict) else 200
        else:
            messages.success(request, success)
            return redirect(back)
    return render(
        request,
        "oversight/complaints/action_form.html",
        {
            "form": form,
            "title": title,
            "caption": caption,
            "back": back,
            "button": button,
            "intro": intro,
            "warning": warning,
            "errors": error_list(form),
        },
        status=status,
    )


# Complaints
@never_cache
@require_GET
def complaint_list(request):
    """The complaints I can see, with their clocks; escalations to me; links to conduct matters and outcomes."""
    user, now = request.user, timezone.now()
    require(user, "can_view_complaints")
    filters = ComplaintFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    status = cleaned.get("status") or "open"
    complaints = selectors.complaint_filter(
        selectors.complaint_list_visible_to(user=user),
        status="" if status == "all" else status,
        stage=int(cleaned["stage"]) if cleaned.get("stage") else None,
        overdue={"yes": True, "no": False}.get(cleaned.get("overdue", "")),
        now=now,
    )
    page = Paginator(complaints, PER_PAGE).get_page(request.GET.get("page"))
    events.record_listed(
        actor=user,
        object_type="oversight.complaint",
        ids=[c.pk for c in page.object_list],
        query={"status": status, "stage": cleaned.get("stage", ""), "overdue": cleaned.get("overdue", "")},
    )
    escalations = list(
        selectors.stage_escalation_list_visible_to(user=user)
        .filter(status="open", recipients=user)
        .order_by("-level", "-raised_at")[:10]
    )
    return render(
        request,
        "oversight/complaints/complaint_list.html",
        {
            "filters": filters,
            "page": page,
            "page_query": _page_query(request),
            "rows": [{"complaint": c, "clock": _complaint_reading(c, now)} for c in page.object_list],
            "filtered": bool(
                request.GET.get("status") or request.GET.get("stage") or request.GET.get("overdue")
            ),
            "escalations": escalations,
            "can_record": allows(user, "can_record_complaint"),
            "can_record_conduct": allows(user, "can_record_conduct_matter"),
            "has_notices": bool(selectors.conduct_notices_for(user=user)),
            "can_see_outcomes": allows(user, "can_view_complaint_outcomes"),
            "scale": services.timescales(),
        },
    )


def _complaint_reading(complaint: Complaint, now: datetime):
    clock = services.complaint_clock(complaint)
    if clock is None:
        met = (
            complaint.responded_at
            if complaint.status in (ComplaintStatus.RESPONDED, ComplaintStatus.CLOSED)
            else None
        )
        return replace(clock_reading(complaint.response_due_at, now=now, met_at=met), what="Response")
    name, due = clock
    return replace(clock_reading(due, now=now), what=services.CLOCK_LABELS[name])


def _resolve_references(user, references: list[str], form) -> list:
    if not references:
        return []
    visible = {
        r.reference.upper(): r
        for r in selectors.referrals_linkable(user=user).filter(reference__in=references)
    }
    missing = [r for r in references if r not in visible]
    if missing:
        form.add_error(
            "referral_references", f"No referral you can see has the reference {', '.join(missing)}."
        )
        return []
    return [visible[r] for r in references]


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    """Record a complaint about how a concern was handled."""
    user = request.user
    require(user, "can_record_complaint")
    form = ComplaintForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        referrals = _resolve_references(user, data["referral_references"], form)
        if not form.errors:
            try:
                complaint = services.complaint_record(
                    actor=user,
                    complainant_type=data["complainant_type"],
                    complainant_name=data["complainant_name"],
                    complainant_contact=data["complainant_contact"],
                    account=data["account"],
                    agency=data["agency"],
                    received_at=data["received_at"],
                    referrals=referrals,
                )
            except Invalid as error:
                _apply(form, error)
                status = 409 if isinstance(error, Conflict) else 200
            else:
                messages.success(request, f"Complaint {complaint.reference} is recorded.")
                return redirect("oversight:complaint_detail", complaint_id=complaint.pk)
    return render(
        request,
        "oversight/complaints/complaint_form.html",
        {"form": form, "errors": error_list(form)},
        status=status,
    )


@never_cache
@require_GET
def complaint_detail(request, complaint_id: int):
    """A complaint: who complained and about what, its clock, its timeline of stages, learning actions and
    escalations, and what can be done next."""
    user, now = request.user, timezone.now()
    complaint = selectors.complaint_get_for_user(user=user, complaint_id=complaint_id)
    events.record_viewed(actor=user, obj=complaint)
    can_handle = allows(user, "can_handle_complaint", complaint)
    status = complaint.status
    return render(
        request,
        "oversight/complaints/complaint_detail.html",
        {
            "complaint": complaint,
            "clock": _complaint_reading(complaint, now),
            "ack_clock": clock_reading(complaint.ack_due_at, now=now, met_at=complaint.acknowledged_at),
            "response_clock": clock_reading(
                complaint.response_due_at, now=now, met_at=complaint.responded_at
            ),
            "timeline": _timeline(complaint.step_list, complaint.escalation_list),
            "today": timezone.localdate(now),
            "can_handle": can_handle,
            "can_acknowledge": can_handle and status == ComplaintStatus.RECEIVED,
            "can_investigate": can_handle and status == ComplaintStatus.ACKNOWLEDGED,
            "can_respond": can_handle
            and status in (ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.INVESTIGATING),
            "can_close": can_handle and status == ComplaintStatus.RESPONDED,
            "can_stage_two": can_handle
            and complaint.stage == 1
            and status in (ComplaintStatus.RESPONDED, ComplaintStatus.CLOSED),
            "can_assign": can_handle and status != ComplaintStatus.CLOSED,
            "can_link": can_handle,
            "completable": {
                a.pk
                for a in complaint.action_list
                if a.completed_at is None and allows(user, "can_complete_learning_action", a)
            },
            "visible_referral_ids": set(
                selectors.referrals_linkable(user=user)
                .filter(pk__in=[r.pk for r in complaint.referral_list])
                .values_list("pk", flat=True)
            ),
            "visible_task_ids": {t.pk for t in complaint.task_list if allows(user, "can_view_task", t)},
            "visible_conduct_ids": {
                m.pk for m in complaint.conduct_list if allows(user, "can_view_conduct_matter", m)
            },
        },
    )


def _handled_complaint(request, complaint_id: int) -> Complaint:
    complaint = selectors.complaint_get_for_user(
        user=request.user, complaint_id=complaint_id, with_record=False
    )
    _require_action(request.user, "can_handle_complaint", complaint)
    return complaint


def _back(complaint) -> str:
    return reverse("oversight:complaint_detail", args=[complaint.pk])


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_acknowledge(request, complaint_id: int):
    """Acknowledge a complaint."""
    complaint = _handled_complaint(request, complaint_id)
    return _action_page(
        request,
        form=NoteForm(_posted(request), label="How was it acknowledged? (optional)"),
        run=lambda d: services.complaint_acknowledge(actor=request.user, complaint=complaint, note=d["note"]),
        title="Acknowledge the complaint",
        caption=complaint.reference,
        back=_back(complaint),
        button="Acknowledge complaint",
        success="The complaint is acknowledged.",
        intro=f"Acknowledgement was due by {timezone.localtime(complaint.ack_due_at):%d %B %Y at %H:%M}.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_investigate(request, complaint_id: int):
    """Start investigating a complaint."""
    complaint = _handled_complaint(request, complaint_id)
    return _action_page(
        request,
        form=NoteForm(_posted(request), label="How will it be investigated? (optional)"),
        run=lambda d: services.complaint_start_investigation(
            actor=request.user, complaint=complaint, note=d["note"]
        ),
        title="Start the investigation",
        caption=complaint.reference,
        back=_back(complaint),
        button="Start investigation",
        success="The investigation has started.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_respond(request, complaint_id: int):
    """Record the response and its outcome."""
    complaint = _handled_complaint(request, complaint_id)
    return _action_page(
        request,
        form=RespondForm(_posted(request)),
        run=lambda d: services.complaint_respond(actor=request.user, complaint=complaint, **d),
        title=f"Respond to the stage {complaint.stage} complaint",
        caption=complaint.reference,
        back=_back(complaint),
        button="Record response",
        success="The response is recorded.",
        intro=f"The response is due by {timezone.localtime(complaint.response_due_at):%d %B %Y at %H:%M}.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_close(request, complaint_id: int):
    """Close a complaint after its response."""
    complaint = _handled_complaint(request, complaint_id)
    return _action_page(
        request,
        form=NoteForm(_posted(request), label="Closing note (optional)"),
        run=lambda d: services.complaint_close(actor=request.user, complaint=complaint, note=d["note"]),
        title="Close the complaint",
        caption=complaint.reference,
        back=_back(complaint),
        button="Close complaint",
        success="The complaint is closed.",
        intro="An upheld or partly upheld complaint needs a learning action, or a note of why there is none.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_stage_two(request, complaint_id: int):
    """The complainant is dissatisfied: take the complaint to stage 2, the partnership's review."""
    complaint = _handled_complaint(request, complaint_id)
    days = services.timescales().stage_two_request_working_days
    return _action_page(
        request,
        form=StageTwoForm(_posted(request)),
        run=lambda d: services.complaint_escalate_to_stage_two(
            actor=request.user, complaint=complaint, reason=d["reason"], requested_at=d["requested_at"]
        ),
        title="Take the complaint to stage 2",
        caption=complaint.reference,
        back=_back(complaint),
        button="Take to stage 2",
        success="The complaint has gone to stage 2.",
        warning=True,
        intro=f"Stage 2 is a review by the safeguarding partnership. The complainant may ask for it within {days} "
        "working days of the stage 1 response.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_handler(request, complaint_id: int):
    """Name who handles the complaint."""
    complaint = _handled_complaint(request, complaint_id)
    return _action_page(
        request,
        form=HandlerForm(
            _posted(request),
            users=selectors.handler_choices(complaint),
            initial={"handler": complaint.handler_id},
        ),
        run=lambda d: services.complaint_assign_handler(
            actor=request.user, complaint=complaint, handler=d["handler"]
        ),
        title="Choose who handles the complaint",
        caption=complaint.reference,
        back=_back(complaint),
        button="Save handler",
        success="The handler is saved.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_link(request, complaint_id: int):
    """Link more referrals and tasks to a complaint."""
    user = request.user
    complaint = _handled_complaint(request, complaint_id)
    form = LinkForm(_posted(request), tasks=selectors.tasks_linkable(user=user, complaint=complaint))

    def run(data):
        referrals = _resolve_references(user, data["referral_references"], form)
        if form.errors:
            raise Invalid("The links have errors.", {})
        services.complaint_link(
            actor=user, complaint=complaint, referrals=referrals, tasks=data.get("tasks") or []
        )

    return _action_page(
        request,
        form=form,
        run=run,
        title="Link referrals and tasks",
        caption=complaint.reference,
        back=_back(complaint),
        button="Link",
        success="The records are linked.",
        intro="Tasks on the linked referrals that you can see are listed here.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def learning_action_new(request, complaint_id: int):
    """Agree a learning action on a complaint."""
    complaint = _handled_complaint(request, complaint_id)
    return _action_page(
        request,
        form=LearningActionForm(_posted(request), users=selectors.case_worker_choices()),
        run=lambda d: services.learning_action_add(actor=request.user, complaint=complaint, **d),
        title="Add a learning action",
        caption=complaint.reference,
        back=_back(complaint),
        button="Add action",
        success="The learning action is added.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def learning_action_complete(request, complaint_id: int, action_id: int):
    """Record that a learning action is done."""
    user = request.user
    complaint = selectors.complaint_get_for_user(user=user, complaint_id=complaint_id, with_record=False)
    action = selectors.learning_action_get(complaint=complaint, action_id=action_id)
    _require_action(user, "can_complete_learning_action", action)
    return _action_page(
        request,
        form=NoteForm(_posted(request), label="What was done?", required_message="Say what was done."),
        run=lambda d: services.learning_action_complete(actor=user, action=action, note=d["note"]),
        title="Complete the learning action",
        caption=f"{complaint.reference}: {action.description[:80]}",
        back=_back(complaint),
        button="Complete action",
        success="The learning action is completed.",
    )


# Stage escalations
@never_cache
@require_http_methods(["GET", "POST"])
def stage_escalation_detail(request, escalation_id: int):
    """A stage escalation: why, to whom, and the form to resolve it."""
    user = request.user
    escalation = selectors.stage_escalation_get_for_user(user=user, escalation_id=escalation_id)
    can_resolve = allows(user, "can_resolve_stage_escalation", escalation)
    form = ResolveForm(_posted(request))
    status = 200
    if request.method == "POST":
        _require_action(user, "can_resolve_stage_escalation", escalation)
        if form.is_valid():
            try:
                services.stage_escalation_resolve(
                    actor=user, escalation=escalation, resolution=form.cleaned_data["resolution"]
                )
            except Invalid as error:
                _apply(form, error)
                status = 409 if isinstance(error, Conflict) else 200
            else:
                messages.success(request, "The escalation is resolved.")
                return redirect("oversight:stage_escalation_detail", escalation_id=escalation.pk)
    else:
        events.record_viewed(actor=user, obj=escalation)
    record = escalation.record
    if escalation.complaint_id:
        record_url = (
            reverse("oversight:complaint_detail", args=[record.pk])
            if allows(user, "can_view_complaint", record)
            else ""
        )
    else:
        record_url = (
            reverse("oversight:conduct_detail", args=[record.pk])
            if allows(user, "can_view_conduct_matter", record)
            else ""
        )
    return render(
        request,
        "oversight/complaints/escalation_detail.html",
        {
            "escalation": escalation,
            "form": form,
            "can_resolve": can_resolve,
            "record": record,
            "record_url": record_url,
            "clock_label": services.CLOCK_LABELS.get(escalation.clock, escalation.clock),
            "errors": error_list(form),
        },
        status=status,
    )


# Conduct matters
def _conduct_reading(matter, now: datetime):
    clock = services.conduct_clock(matter)
    if clock is None:
        return clock_reading(None, now=now)
    name, due = clock
    return replace(clock_reading(due, now=now), what=services.CLOCK_LABELS[name])


@never_cache
@require_GET
def conduct_list(request):
    """The conduct matters I can see — never those about me (see my notices)."""
    user, now = request.user, timezone.now()
    require(user, "can_view_complaints")
    filters = ConductFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    status = cleaned.get("status") or "open"
    matters = selectors.conduct_filter(
        selectors.conduct_matter_list_visible_to(user=user),
        status="" if status == "all" else status,
        overdue={"yes": True, "no": False}.get(cleaned.get("overdue", "")),
        now=now,
    )
    page = Paginator(matters, PER_PAGE).get_page(request.GET.get("page"))
    events.record_listed(
        actor=user,
        object_type="oversight.conductmatter",
        ids=[m.pk for m in page.object_list],
        query={"status": status, "overdue": cleaned.get("overdue", "")},
    )
    return render(
        request,
        "oversight/complaints/conduct_list.html",
        {
            "filters": filters,
            "page": page,
            "page_query": _page_query(request),
            "rows": [{"matter": m, "clock": _conduct_reading(m, now)} for m in page.object_list],
            "filtered": bool(request.GET.get("status") or request.GET.get("overdue")),
            "can_record": allows(user, "can_record_conduct_matter"),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conduct_new(request):
    """Record a conduct matter about a named professional."""
    user = request.user
    require(user, "can_record_conduct_matter")
    form = ConductMatterForm(_posted(request), users=selectors.conduct_subject_choices(user=user))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        complaint = None
        if data["complaint_reference"]:
            complaint = (
                selectors.complaint_list_visible_to(user=user)
                .filter(reference=data["complaint_reference"].strip().upper())
                .first()
            )
            if complaint is None:
                form.add_error("complaint_reference", "No complaint you can see has this reference.")
        if not form.errors:
            try:
                matter = services.conduct_matter_record(
                    actor=user, subject=data["subject"], allegation=data["allegation"], complaint=complaint
                )
            except Invalid as error:
                _apply(form, error)
                status = 409 if isinstance(error, Conflict) else 200
            else:
                messages.success(request, f"Conduct matter {matter.reference} is recorded.")
                return redirect("oversight:conduct_detail", matter_id=matter.pk)
    return render(
        request,
        "oversight/complaints/conduct_form.html",
        {"form": form, "errors": error_list(form)},
        status=status,
    )


@never_cache
@require_GET
def conduct_detail(request, matter_id: int):
    """A conduct matter: the allegation, assessment, external referral, investigation, finding and outcome, its
    clock and its timeline. Its subject gets a 404 here (their notice is elsewhere)."""
    user, now = request.user, timezone.now()
    matter = selectors.conduct_matter_get_for_user(user=user, matter_id=matter_id)
    events.record_viewed(actor=user, obj=matter)
    can_handle = allows(user, "can_handle_conduct_matter", matter)
    status = matter.status
    return render(
        request,
        "oversight/complaints/conduct_detail.html",
        {
            "matter": matter,
            "clock": _conduct_reading(matter, now),
            "timeline": _timeline(matter.step_list, matter.escalation_list),
            "can_assess": can_handle and status == ConductStatus.ASSESSMENT,
            "can_external_ack": can_handle
            and status == ConductStatus.REFERRED
            and not matter.external_acknowledged_at,
            "can_external_decision": can_handle and status == ConductStatus.REFERRED,
            "can_finding": can_handle and status == ConductStatus.INVESTIGATING,
            "can_outcome": can_handle and status == ConductStatus.AWAITING_OUTCOME,
            "can_notify": can_handle and matter.subject_notified_at is None,
            "can_view_complaint": matter.complaint_id is not None
            and allows(user, "can_view_complaint", matter.complaint),
        },
    )


def _handled_matter(request, matter_id: int):
    matter = selectors.conduct_matter_get_for_user(user=request.user, matter_id=matter_id, with_record=False)
    _require_action(request.user, "can_handle_conduct_matter", matter)
    return matter


def _matter_back(matter) -> str:
    return reverse("oversight:conduct_detail", args=[matter.pk])


def _investigators(matter):
    return selectors.case_worker_choices().exclude(pk=matter.subject_id)


@never_cache
@require_http_methods(["GET", "POST"])
def conduct_assess(request, matter_id: int):
    """Record the assessment of a conduct allegation."""
    matter = _handled_matter(request, matter_id)
    return _action_page(
        request,
        form=AssessForm(_posted(request), users=_investigators(matter)),
        run=lambda d: services.conduct_matter_assess(actor=request.user, matter=matter, **d),
        title="Assess the allegation",
        caption=matter.reference,
        back=_matter_back(matter),
        button="Record assessment",
        success="The assessment is recorded.",
        intro="Refer it to an external body, investigate it within the agency, or record that there is no case to "
        "answer.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conduct_external_acknowledged(request, matter_id: int):
    """Record when the external body acknowledged the referral."""
    matter = _handled_matter(request, matter_id)
    return _action_page(
        request,
        form=ExternalAcknowledgedForm(_posted(request)),
        run=lambda d: services.conduct_matter_external_acknowledged(actor=request.user, matter=matter, **d),
        title="Record the body's acknowledgement",
        caption=matter.reference,
        back=_matter_back(matter),
        button="Record acknowledgement",
        success="The acknowledgement is recorded.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conduct_external_decision(request, matter_id: int):
    """Record what the external body decided."""
    matter = _handled_matter(request, matter_id)
    return _action_page(
        request,
        form=ExternalDecisionForm(_posted(request), users=_investigators(matter)),
        run=lambda d: services.conduct_matter_external_decided(actor=request.user, matter=matter, **d),
        title="Record the body's decision",
        caption=matter.reference,
        back=_matter_back(matter),
        button="Record decision",
        success="The decision is recorded.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conduct_finding(request, matter_id: int):
    """Record the investigation's finding."""
    matter = _handled_matter(request, matter_id)
    return _action_page(
        request,
        form=FindingForm(_posted(request)),
        run=lambda d: services.conduct_matter_record_finding(actor=request.user, matter=matter, **d),
        title="Record the finding",
        caption=matter.reference,
        back=_matter_back(matter),
        button="Record finding",
        success="The finding is recorded.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conduct_outcome(request, matter_id: int):
    """Record the outcome that concludes the matter."""
    matter = _handled_matter(request, matter_id)
    return _action_page(
        request,
        form=ConductOutcomeForm(_posted(request)),
        run=lambda d: services.conduct_matter_record_outcome(actor=request.user, matter=matter, **d),
        title="Record the outcome",
        caption=matter.reference,
        back=_matter_back(matter),
        button="Record outcome",
        success="The outcome is recorded.",
        intro=f"The finding was: {matter.get_finding_display().lower()}." if matter.finding else "",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conduct_notify(request, matter_id: int):
    """Tell the professional that the matter exists."""
    matter = _handled_matter(request, matter_id)
    return _action_page(
        request,
        form=NotifySubjectForm(_posted(request)),
        run=lambda d: services.conduct_matter_notify_subject(actor=request.user, matter=matter, **d),
        title="Tell the professional about the matter",
        caption=matter.reference,
        back=_matter_back(matter),
        button="Send notice",
        success="The professional has been told.",
        intro="They are told in Lantern and by email. They will see what you write here, the reference and, when the "
        "matter concludes, its outcome. They never see the allegation as recorded, the assessment, the "
        "investigation or its notes.",
    )


# A professional's own notices
@never_cache
@require_GET
def conduct_notice_list(request):
    """The conduct matters about me that I have been told of."""
    notices = selectors.conduct_notices_for(user=request.user)
    if notices:
        events.record_listed(
            actor=request.user,
            object_type="oversight.conductmatter",
            ids=[n.id for n in notices],
            query={"list": "notices_about_me"},
        )
    return render(request, "oversight/complaints/notice_list.html", {"notices": notices})


@never_cache
@require_GET
def conduct_notice(request, matter_id: int):
    """One notice of a conduct matter about me: what I was told and, once concluded, the outcome."""
    notice = selectors.conduct_notice_get_for_user(user=request.user, matter_id=matter_id)
    events.record_viewed(actor=request.user, obj=ConductMatter(pk=notice.id), purpose="subject notice")
    return render(request, "oversight/complaints/notice_detail.html", {"notice": notice})


# Outcomes
def _period(request) -> tuple[OutcomesPeriodForm, date, date]:
    today = timezone.localdate()
    form = OutcomesPeriodForm(request.GET or None)
    start, end = today - timedelta(days=365), today
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    return form, start, end


@never_cache
@require_GET
def complaint_outcomes(request):
    """Complaint and conduct outcomes by agency for a period (the last 12 months unless chosen)."""
    form, start, end = _period(request)
    outcomes = selectors.complaints_outcomes(user=request.user, start=start, end=end)
    return render(
        request,
        "oversight/complaints/outcomes.html",
        {
            "form": form,
            "complaints_outcomes": outcomes,
            "errors": error_list(form) if form.is_bound else [],
        },
    )
