"""Pages for tasks, escalations, notifications and cases, and the forms that add to a case's record.

Every page asks the policy (`lantern.casework.rules`), through the selectors for what may be seen (a record the
user may not see is a 404, like one that does not exist) and by name for what may be done (403). Every read of a
task or case, one or a list, is audited. Every action works without JavaScript; with htmx, acknowledging a task
and its clocks update in place.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.casework import breakglass, family, selectors, services
from lantern.casework.chronology import chronology_for_case
from lantern.casework.forms import (
    ActionFormSet,
    AssignForm,
    AttendeeFormSet,
    BreakGlassForm,
    BreakGlassSignOffForm,
    CompleteForm,
    ConfirmForm,
    ConflictDecisionForm,
    EscalationFilterForm,
    FlagChangeForm,
    FlagDecisionForm,
    InformationShareForm,
    InvolvementForm,
    MissingEpisodeForm,
    MissingReturnForm,
    NetworkMemberForm,
    NoteForm,
    NRMDecisionForm,
    NRMReferralForm,
    ReasonForm,
    ResolveForm,
    ReturnInterviewForm,
    StrategyDiscussionForm,
    TaskFilterForm,
)
from lantern.casework.models import ConflictStatus, FlagChangeStatus, TaskStatus
from lantern.casework.timescales import clock_reading, task_clock
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import PolicyDenied, allows, require
from lantern.intake.selectors import referral_list_visible_to

PER_PAGE = 50

TASK_COLUMNS = [
    ("referral", "Referral"),
    ("agency", "Agency"),
    ("priority", "Priority"),
    ("status", "Status"),
    ("due", "Clock"),
    ("created", "Received"),
]


def _posted(request):
    """The submitted form data on a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _require_action(user, rule: str, obj) -> None:
    """The user can see `obj` but may not do this to it: 403 (seeing it was already decided by the selector)."""
    if not allows(user, rule, obj):
        raise PolicyDenied(rule)


def _apply(form, error: Invalid) -> None:
    """Put a service's field messages on the form; messages about no field of the form go to the top."""
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, errors in error.fields.items():
        form.add_error(name if name in form.fields else None, errors)


def _anchor(field) -> str:
    grouped = field.widget_type in ("radioselect", "checkboxselectmultiple", "datetime")
    return f"#{field.auto_id}{'_0' if grouped else ''}"


def error_list(form, *formsets) -> list[tuple[str, str]]:
    """Every error on a form and its formsets as (anchor, message), for the GOV.UK error summary."""
    errors: list[tuple[str, str]] = []
    if form is None:
        return errors
    first = next(iter(form.visible_fields()), None)
    top = _anchor(first) if first is not None else "#main-content"
    errors += [(top, message) for message in form.non_field_errors()]
    errors += [(_anchor(field), message) for field in form.visible_fields() for message in field.errors]
    for formset in formsets:
        rows = formset.forms
        row_top = _anchor(next(iter(rows[0].visible_fields()))) if rows else top
        errors += [(row_top, message) for message in formset.non_form_errors()]
        for row in rows:
            errors += [
                (_anchor(field), message) for field in row.visible_fields() for message in field.errors
            ]
    return errors


def _form_page(request, template: str, context: dict, *, status: int = 200, formsets=()):
    """Render a page with a form, its error summary built from the form and any formsets."""
    return render(
        request, template, {**context, "errors": error_list(context.get("form"), *formsets)}, status=status
    )


def _status_for(error: Invalid) -> int:
    return 409 if isinstance(error, Conflict) else 200


def _sort_columns(request, sort: str, descending: bool) -> list[dict]:
    base = request.GET.copy()
    base.pop("page", None)
    columns = []
    for key, label in TASK_COLUMNS:
        query = base.copy()
        query["sort"] = key
        query["dir"] = "asc" if (key != sort or descending) else "desc"
        aria = ("descending" if descending else "ascending") if key == sort else "none"
        columns.append({"key": key, "label": label, "url": f"?{query.urlencode()}", "aria_sort": aria})
    return columns


def _page_query(request) -> str:
    base = request.GET.copy()
    base.pop("page", None)
    return base.urlencode()


# Task lists
def _task_list(request, *, mine: bool):
    user, now = request.user, timezone.now()
    require(user, "can_view_case_content")
    agencies = selectors.agencies_for_filter(user=user)
    filters = TaskFilterForm(request.GET or None, agencies=agencies)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    status = cleaned.get("status") or "open"
    overdue = {"yes": True, "no": False}.get(cleaned.get("overdue", ""))
    tasks = selectors.task_list_mine(user=user) if mine else selectors.task_list_team(user=user)
    tasks = selectors.task_filter(
        tasks,
        agency=cleaned.get("agency"),
        status="" if status == "all" else status,
        overdue=overdue,
        now=now,
    )
    sort = request.GET.get("sort", "due")
    sort = sort if sort in selectors.TASK_SORTS else "due"
    descending = request.GET.get("dir") == "desc"
    page = Paginator(selectors.task_sort(tasks, sort=sort, descending=descending), PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [{"task": t, "clock": task_clock(t, now=now)} for t in page.object_list]
    events.record_listed(
        actor=user,
        object_type="casework.agencytask",
        ids=[t.pk for t in page.object_list],
        query={
            "list": "mine" if mine else "team",
            "status": status,
            "overdue": cleaned.get("overdue", ""),
            "sort": sort,
        },
    )
    return render(
        request,
        "casework/task_list.html",
        {
            "mine": mine,
            "filters": filters,
            "page": page,
            "rows": rows,
            "page_query": _page_query(request),
            "columns": _sort_columns(request, sort, descending),
            "show_agency_filter": agencies.count() > 1,
            "filtered": bool(
                request.GET.get("agency") or request.GET.get("overdue") or request.GET.get("status")
            ),
        },
    )


@never_cache
@require_GET
def task_mine(request):
    """The tasks assigned to me, with their clocks."""
    return _task_list(request, mine=True)


@never_cache
@require_GET
def task_team(request):
    """My team's tasks (my agency's, for a service manager; every agency's, for the partnership lead)."""
    return _task_list(request, mine=False)


# One task
def _task_context(request, task) -> dict:
    user, now = request.user, timezone.now()
    return {
        "task": task,
        "clock": task_clock(task, now=now),
        "ack_clock": clock_reading(task.ack_due_at, now=now, met_at=task.acknowledged_at),
        "due_clock": clock_reading(task.due_at, now=now, met_at=task.completed_at),
        "can_act": allows(user, "can_act_on_task", task),
        "can_assign": allows(user, "can_assign_task", task) and task.status != TaskStatus.COMPLETED,
        "can_disagree": allows(user, "can_raise_disagreement", task),
        "can_view_referral": allows(user, "can_view_referral", task.referral),
        "can_view_case": task.case_id is not None and allows(user, "can_view_case", task.case),
    }


@never_cache
@require_GET
def task_detail(request, task_id: int):
    """A task: what to do, its clocks, who has it, its escalations, and what can be done next."""
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    events.record_viewed(actor=request.user, obj=task)
    return render(
        request,
        "casework/task_detail.html",
        {
            **_task_context(request, task),
            "escalations": selectors.task_escalations(task),
        },
    )


@never_cache
@require_GET
def task_clock_partial(request, task_id: int):
    """The task's status and clocks, for htmx to refresh in place."""
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    return render(request, "casework/partials/task_status.html", _task_context(request, task))


@require_POST
def task_acknowledge(request, task_id: int):
    """Acknowledge a task. With htmx, answers the refreshed status panel; otherwise goes back to the task."""
    user = request.user
    task = selectors.task_get_for_user(user=user, task_id=task_id)
    _require_action(user, "can_act_on_task", task)
    warning = ""
    try:
        acknowledged = services.task_acknowledge(actor=user, task=task)
    except Invalid as error:
        problem = error.detail
    else:
        problem = ""
        if acknowledged.allocation_warning is not None:
            warning = services.allocation_warning_text(acknowledged.allocation_warning)
    if request.htmx:
        # The refreshed panel says what happened itself; a flash message would turn up on the next page instead.
        task = selectors.task_get_for_user(user=user, task_id=task_id)
        return render(
            request,
            "casework/partials/task_status.html",
            {
                **_task_context(request, task),
                "announce": problem or " ".join(filter(None, ["You have acknowledged the task.", warning])),
            },
        )
    if problem:
        messages.error(request, problem)
    else:
        if warning:
            messages.warning(request, warning)
        messages.success(request, "You have acknowledged the task.")
    return redirect("casework:task_detail", task_id=task.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def task_assign(request, task_id: int):
    """Assign a task to a named worker in its agency."""
    user = request.user
    task = selectors.task_get_for_user(user=user, task_id=task_id)
    _require_action(user, "can_assign_task", task)
    form = AssignForm(
        _posted(request), users=selectors.assignable_users(task), initial={"assigned_to": task.assigned_to_id}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            assigned = services.task_assign(actor=user, task=task, user=form.cleaned_data["assigned_to"])
        except Invalid as error:
            _apply(form, error)
            status = _status_for(error)
        else:
            if assigned.allocation_warning is not None:
                messages.warning(request, services.allocation_warning_text(assigned.allocation_warning))
            messages.success(
                request, f"The task is assigned to {form.cleaned_data['assigned_to'].display_name}."
            )
            return redirect("casework:task_detail", task_id=task.pk)
    return _form_page(request, "casework/task_assign.html", {"task": task, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def task_complete(request, task_id: int):
    """Complete a task with an outcome and a narrative."""
    user = request.user
    task = selectors.task_get_for_user(user=user, task_id=task_id)
    _require_action(user, "can_act_on_task", task)
    if task.status == TaskStatus.COMPLETED:
        messages.error(request, "This task is already completed.")
        return redirect("casework:task_detail", task_id=task.pk)
    form = CompleteForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.task_complete(actor=user, task=task, **form.cleaned_data)
        except Invalid as error:
            _apply(form, error)
            status = _status_for(error)
        else:
            messages.success(request, "The task is completed.")
            return redirect("casework:task_detail", task_id=task.pk)
    return _form_page(request, "casework/task_complete.html", {"task": task, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def task_disagreement(request, task_id: int):
    """Raise a professional disagreement about a task."""
    user = request.user
    task = selectors.task_get_for_disagreement(user=user, task_id=task_id)
    form = ReasonForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            escalation = services.escalation_raise(actor=user, task=task, reason=form.cleaned_data["reason"])
        except Invalid as error:
            _apply(form, error)
            status = _status_for(error)
        else:
            messages.success(request, f"Your disagreement has been raised at level {escalation.level}.")
            return redirect("casework:escalation_detail", escalation_id=escalation.pk)
    return _form_page(
        request,
        "casework/task_disagreement.html",
        {
            "task": task,
            "form": form,
            "can_view_task": allows(user, "can_view_task", task),
        },
        status=status,
    )


# Escalations
@never_cache
@require_GET
def escalation_list(request):
    """Escalations I can see, filtered by level and status, newest first."""
    user = request.user
    require(user, "can_view_case_content")
    filters = EscalationFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    escalations = selectors.escalation_filter(
        selectors.escalation_list_visible_to(user=user),
        level=cleaned.get("level"),
        status=cleaned.get("status", ""),
    )
    page = Paginator(escalations, PER_PAGE).get_page(request.GET.get("page"))
    events.record_listed(
        actor=user,
        object_type="casework.escalation",
        ids=[e.pk for e in page.object_list],
        query={"level": cleaned.get("level"), "status": cleaned.get("status", "")},
    )
    return render(
        request,
        "casework/escalation_list.html",
        {
            "filters": filters,
            "page": page,
            "page_query": _page_query(request),
            "filtered": bool(cleaned.get("level") or cleaned.get("status")),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def escalation_detail(request, escalation_id: int):
    """An escalation: who raised it, why, to whom; and the form to resolve it."""
    user = request.user
    escalation = selectors.escalation_get_for_user(user=user, escalation_id=escalation_id)
    can_resolve = allows(user, "can_resolve_escalation", escalation)
    form = ResolveForm(_posted(request))
    status = 200
    if request.method == "POST":
        _require_action(user, "can_resolve_escalation", escalation)
        if form.is_valid():
            try:
                services.escalation_resolve(
                    actor=user, escalation=escalation, resolution=form.cleaned_data["resolution"]
                )
            except Invalid as error:
                _apply(form, error)
                status = _status_for(error)
            else:
                messages.success(request, "The escalation is resolved.")
                return redirect("casework:escalation_detail", escalation_id=escalation.pk)
    else:
        events.record_viewed(actor=user, obj=escalation)
    task = escalation.task
    return _form_page(
        request,
        "casework/escalation_detail.html",
        {
            "escalation": escalation,
            "form": form,
            "can_resolve": can_resolve,
            "can_view_task": task is not None and allows(user, "can_view_task", task),
            "can_view_referral": escalation.referral_id is not None
            and allows(user, "can_view_referral", escalation.referral),
        },
        status=status,
    )


# Notifications
@never_cache
@require_GET
def notification_list(request):
    """My notifications, newest first."""
    notifications = selectors.notification_list_for_user(user=request.user)
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "casework/notification_list.html", {"page": page})


@require_POST
def notification_read(request, notification_id: int):
    """Mark one of my notifications read; with `open`, go on to what it is about."""
    notification = selectors.notification_get_for_user(user=request.user, notification_id=notification_id)
    services.notification_mark_read(actor=request.user, notification=notification)
    if (
        request.POST.get("open")
        and notification.url.startswith("/")
        and not notification.url.startswith("//")
    ):
        return redirect(notification.url)
    return redirect("casework:notification_list")


@require_POST
def notification_read_all(request):
    """Mark all my notifications read."""
    count = services.notifications_mark_read(actor=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("casework:notification_list")


# Cases
@never_cache
@require_GET
def case_list(request):
    """The cases I can see, newest first."""
    user = request.user
    require(user, "can_view_case_content")
    page = Paginator(selectors.case_list_visible_to(user=user), PER_PAGE).get_page(request.GET.get("page"))
    events.record_listed(actor=user, object_type="casework.case", ids=[c.pk for c in page.object_list])
    return render(request, "casework/case_list.html", {"page": page})


@never_cache
@require_GET
def case_detail(request, case_id: int):
    """A case: referrals, tasks, clocks, flags and their history, strategy discussions, missing episodes, notes,
    NRM, the sharing log and the chronology."""
    user, now = request.user, timezone.now()
    try:
        case = selectors.case_get_for_user(user=user, case_id=case_id)
    except Http404:
        # A restricted case the user may break the glass on shows the "restricted" page; any other, 404.
        return _restricted_page(
            request, selectors.case_behind_glass(user=user, case_id=case_id), BreakGlassForm()
        )
    break_glass_use = breakglass.audit_case_read(user=user, case=case)
    can_add = allows(user, "can_add_case_record", case)
    significant_only = request.GET.get("chronology") == "significant"
    conflicts = selectors.conflict_views(user=user, conflicts=case.conflict_list)
    return render(
        request,
        "casework/case_detail.html",
        {
            "case": case,
            "now": now,
            "tasks": [{"task": t, "clock": task_clock(t, now=now)} for t in case.task_list],
            "clocks": [
                {"clock": c, "reading": clock_reading(c.due_at, now=now, met_at=c.met_at)}
                for c in case.clock_list
            ],
            "chronology": chronology_for_case(case, significant_only=significant_only),
            "significant_only": significant_only,
            "scheduled": [d for d in case.discussion_list if d.held_at is None],
            "held": [d for d in case.discussion_list if d.held_at is not None],
            "active_flags": [f for f in case.flag_list if f.active],
            "pending_changes": [c for c in case.flag_change_list if c.status == FlagChangeStatus.PENDING],
            "can_add": can_add,
            "break_glass_use": break_glass_use,
            # Those named on a restricted case see every use of break glass on it.
            "break_glass_uses": selectors.break_glass_uses_of(case) if case.restricted and can_add else [],
            "can_add_member": allows(user, "can_add_network_member", case),
            "can_involve": allows(user, "can_record_involvement", case),
            "conflicts": conflicts,
            "open_conflicts": [v for v in conflicts if v.conflict.status != ConflictStatus.DECIDED],
            "can_request_flag": allows(user, "can_request_flag_change", case),
            "visible_task_ids": {t.pk for t in case.task_list if allows(user, "can_view_task", t)},
            "visible_referral_ids": set(
                referral_list_visible_to(user=user)
                .filter(pk__in=[r.pk for r in case.referral_list])
                .values_list("pk", flat=True)
            ),
        },
    )


def _case_for_record(request, case_id: int, rule: str = "can_add_case_record"):
    case = selectors.case_get_for_user(user=request.user, case_id=case_id, with_record=False)
    _require_action(request.user, rule, case)
    return case


def _case_form(
    request,
    *,
    case,
    form,
    template: str,
    save,
    done: str,
    extra: dict | None = None,
    anchor: str = "",
    forms_valid=None,
    formsets=(),
):
    """Show a form on a case; on a valid POST call `save(cleaned_data)`, then go back to the case."""
    status = 200
    if request.method == "POST" and form.is_valid() and (forms_valid is None or forms_valid()):
        try:
            save(form.cleaned_data)
        except Invalid as error:
            _apply(form, error)
            status = _status_for(error)
        else:
            messages.success(request, done)
            return redirect(reverse("casework:case_detail", args=[case.pk]) + anchor)
    return _form_page(
        request, template, {"case": case, "form": form, **(extra or {})}, status=status, formsets=formsets
    )


@never_cache
@require_http_methods(["GET", "POST"])
def case_note_add(request, case_id: int):
    """Add a note to a case."""
    case = _case_for_record(request, case_id)
    return _case_form(
        request,
        case=case,
        form=NoteForm(_posted(request)),
        template="casework/case_note_form.html",
        done="The note has been added.",
        anchor="#notes",
        save=lambda data: services.case_note_add(actor=request.user, case=case, **data),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def network_member_add(request, case_id: int):
    """Add a person to the child's family network; they are matched at once, and a conflict shows on the case."""
    case = _case_for_record(request, case_id, "can_add_network_member")
    form = NetworkMemberForm(_posted(request))
    return _case_form(
        request,
        case=case,
        form=form,
        template="casework/network_member_form.html",
        done="The person has been added to the family network.",
        anchor="#family",
        save=lambda data: family.network_member_add(actor=request.user, case=case, **form.service_data()),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def involvement_add(request, case_id: int):
    """Propose involving a member of the family network. While a safeguarding conflict about them stands the
    proposal is refused (409, its refusal audited) and the page says plainly which conflict and what happens next."""
    user = request.user
    case = selectors.case_get_for_user(user=user, case_id=case_id, with_record=False)
    _require_action(user, "can_record_involvement", case)
    members = selectors.network_members_of(case)
    form = InvolvementForm(_posted(request), members=members)
    status, blocked = 200, []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = selectors.network_member_get(case=case, member_id=data["member"])
        try:
            family.involvement_record(
                actor=user, case=case, member=member, kind=data["kind"], details=data["details"]
            )
        except family.InvolvementBlocked as refused:
            status = 409
            blocked = selectors.conflict_views(user=user, conflicts=refused.conflicts)
            form.add_error(None, refused.detail)
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(request, "The involvement has been recorded.")
            return redirect(reverse("casework:case_detail", args=[case.pk]) + "#family")
    return _form_page(
        request,
        "casework/involvement_form.html",
        {"case": case, "form": form, "blocked": blocked},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conflict_decide(request, case_id: int, conflict_id: int):
    """A team or service manager of the lead agency decides a safeguarding conflict."""
    user = request.user
    case = selectors.case_get_for_user(user=user, case_id=case_id, with_record=False)
    _require_action(user, "can_view_family_network", case)
    conflict = selectors.conflict_get(case=case, conflict_id=conflict_id)
    _require_action(user, "can_decide_safeguarding_conflict", conflict)
    form = ConflictDecisionForm(_posted(request))
    view = selectors.conflict_views(user=user, conflicts=[conflict])[0]
    return _case_form(
        request,
        case=case,
        form=form,
        template="casework/conflict_decision_form.html",
        done="The decision has been recorded.",
        anchor="#family",
        extra={"view": view},
        save=lambda data: family.conflict_decide(actor=user, conflict=conflict, **form.service_data()),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def conflict_sign_off(request, case_id: int, conflict_id: int):
    """A service manager of the lead agency (or the partnership lead), not the decider, signs off a decision to
    involve with safeguards."""
    user = request.user
    case = selectors.case_get_for_user(user=user, case_id=case_id, with_record=False)
    _require_action(user, "can_view_family_network", case)
    conflict = selectors.conflict_get(case=case, conflict_id=conflict_id)
    _require_action(user, "can_sign_off_safeguarding_conflict", conflict)
    view = selectors.conflict_views(user=user, conflicts=[conflict])[0]
    return _case_form(
        request,
        case=case,
        form=ConfirmForm(_posted(request)),
        template="casework/conflict_sign_off.html",
        done="The decision has been signed off.",
        anchor="#family",
        extra={"view": view},
        save=lambda data: family.conflict_sign_off(actor=user, conflict=conflict),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def missing_episode_add(request, case_id: int):
    """Record a missing episode."""
    case = _case_for_record(request, case_id)
    return _case_form(
        request,
        case=case,
        form=MissingEpisodeForm(_posted(request)),
        template="casework/missing_episode_form.html",
        done="The missing episode has been recorded.",
        anchor="#missing",
        save=lambda data: services.missing_episode_record(actor=request.user, case=case, **data),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def missing_episode_return(request, case_id: int, episode_id: int):
    """Record a missing child's return (starting the return-interview clock)."""
    case = _case_for_record(request, case_id)
    episode = selectors.missing_episode_get(case=case, episode_id=episode_id)
    return _case_form(
        request,
        case=case,
        form=MissingReturnForm(_posted(request)),
        template="casework/missing_return_form.html",
        done="The child's return has been recorded.",
        anchor="#missing",
        extra={"episode": episode},
        save=lambda data: services.missing_episode_record_return(actor=request.user, episode=episode, **data),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def missing_episode_interview(request, case_id: int, episode_id: int):
    """Record the return interview."""
    case = _case_for_record(request, case_id)
    episode = selectors.missing_episode_get(case=case, episode_id=episode_id)
    return _case_form(
        request,
        case=case,
        form=ReturnInterviewForm(_posted(request)),
        template="casework/return_interview_form.html",
        done="The return interview has been recorded.",
        anchor="#missing",
        extra={"episode": episode},
        save=lambda data: services.missing_episode_record_interview(
            actor=request.user, episode=episode, **data
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def strategy_discussion_add(request, case_id: int):
    """Record a strategy discussion: when, the chair, attendees by agency, decisions and actions."""
    case = _case_for_record(request, case_id)
    scheduled = selectors.scheduled_discussions(case)
    data = _posted(request)
    initial = {"discussion": scheduled[0].pk} if scheduled else {}
    if request.GET.get("discussion"):
        initial["discussion"] = request.GET["discussion"]
    form = StrategyDiscussionForm(data, scheduled=scheduled, initial=initial)
    attendees = AttendeeFormSet(data, prefix="attendees")
    actions = ActionFormSet(data, prefix="actions")

    def valid() -> bool:
        attendees_ok, actions_ok = attendees.is_valid(), actions.is_valid()
        return attendees_ok and actions_ok

    def save(cleaned):
        chosen = next((d for d in scheduled if d.pk == cleaned.get("discussion")), None)
        services.strategy_discussion_record(
            actor=request.user,
            case=case,
            discussion=chosen,
            held_at=cleaned["held_at"],
            chair=cleaned["chair"],
            decisions=cleaned["decisions"],
            section_47=cleaned["section_47"],
            significant_harm_suspected=cleaned["significant_harm_suspected"],
            attendees=[
                services.AttendeeInput(agency=row["agency"], name=row["name"], role=row.get("role", ""))
                for row in attendees.cleaned_data
                if row.get("name")
            ],
            actions=[
                services.ActionInput(
                    description=row["description"],
                    agency=row["agency"],
                    owner=row.get("owner"),
                    due_date=row["due_date"],
                )
                for row in actions.cleaned_data
                if row.get("description")
            ],
        )

    return _case_form(
        request,
        case=case,
        form=form,
        template="casework/strategy_form.html",
        forms_valid=valid,
        formsets=(attendees, actions),
        done="The strategy discussion has been recorded.",
        anchor="#strategy",
        save=save,
        extra={"attendees": attendees, "actions": actions, "scheduled": scheduled},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def flag_change_add(request, case_id: int):
    """Ask for a flag to be added or removed; it takes effect when someone else approves it."""
    case = _case_for_record(request, case_id, rule="can_request_flag_change")
    return _case_form(
        request,
        case=case,
        form=FlagChangeForm(_posted(request)),
        template="casework/flag_change_form.html",
        done="Your request has been sent for approval. The flag changes only when it is approved.",
        anchor="#flags",
        save=lambda data: services.flag_change_request(
            actor=request.user,
            case=case,
            kind=data["kind"],
            add=data["change"] == "add",
            justification=data["justification"],
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def flag_change_decide(request, case_id: int, change_id: int):
    """A flag change: who asked and why; a manager other than the requester approves or rejects it."""
    case = selectors.case_get_for_user(user=request.user, case_id=case_id, with_record=False)
    change = selectors.flag_change_get_for_user(user=request.user, case=case, change_id=change_id)
    if request.method == "GET":
        events.record_viewed(actor=request.user, obj=case, purpose="flag change")
    can_decide = allows(request.user, "can_approve_flag_change", change) and (
        change.status == FlagChangeStatus.PENDING
    )
    if request.method == "POST":
        _require_action(request.user, "can_approve_flag_change", change)
    form = FlagDecisionForm(_posted(request))
    approved = form.data.get("decision") == "approve"
    return _case_form(
        request,
        case=case,
        form=form,
        template="casework/flag_change_detail.html",
        done="The flag change has been approved." if approved else "The flag change has been rejected.",
        anchor="#flags",
        extra={"change": change, "can_decide": can_decide},
        save=lambda data: services.flag_change_decide(
            actor=request.user,
            change=change,
            approve=data["decision"] == "approve",
            note=data["note"],
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def nrm_referral_add(request, case_id: int):
    """Record an NRM referral (starting the 5 working day reasonable-grounds clock)."""
    case = _case_for_record(request, case_id)
    return _case_form(
        request,
        case=case,
        form=NRMReferralForm(_posted(request)),
        template="casework/nrm_form.html",
        done="The NRM referral has been recorded.",
        anchor="#nrm",
        save=lambda data: services.nrm_referral_record(actor=request.user, case=case, **data),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def nrm_decision_add(request, case_id: int, nrm_id: int):
    """Record the reasonable-grounds decision."""
    case = _case_for_record(request, case_id)
    nrm = selectors.nrm_referral_get(case=case, nrm_id=nrm_id)
    return _case_form(
        request,
        case=case,
        form=NRMDecisionForm(_posted(request)),
        template="casework/nrm_decision_form.html",
        done="The reasonable-grounds decision has been recorded.",
        anchor="#nrm",
        extra={"nrm": nrm},
        save=lambda data: services.nrm_decision_record(actor=request.user, nrm=nrm, **data),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def information_share_add(request, case_id: int):
    """Record a disclosure to another agency, or a decision not to share."""
    case = _case_for_record(request, case_id)
    agencies = Agency.objects.filter(is_active=True).exclude(pk=request.user.agency_id)
    form = InformationShareForm(
        _posted(request), agencies=agencies, referrals=selectors.referrals_for_sharing(case)
    )
    return _case_form(
        request,
        case=case,
        form=form,
        template="casework/share_form.html",
        done="The information-sharing decision has been recorded.",
        anchor="#sharing",
        save=lambda data: services.information_share_record(
            actor=request.user,
            case=case,
            referral=data["referral"],
            shared=data["shared"] == "yes",
            to_agency=data["to_agency"],
            recipient=data["recipient"],
            lawful_basis=data["lawful_basis"],
            purpose=data["purpose"],
            scope=data["scope"],
            consent=data["consent"],
            reasons=data["reasons"],
        ),
    )


# Break glass (issue 16)
def _restricted_page(request, case, form, *, status: int = 403):
    """The "this record is restricted" page: the case's reference and lead agency only, and the form to state a
    reason. 403, since the record exists but the user may not read it yet."""
    return _form_page(
        request,
        "casework/case_restricted.html",
        {"case": case, "form": form, "access_hours": breakglass.ACCESS_HOURS},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def case_break_glass(request, case_id: int):
    """State why a restricted case must be opened now; on a good reason, open it (for a few hours)."""
    user = request.user
    if not allows(user, "can_break_glass"):
        raise PolicyDenied("can_break_glass")
    try:
        case = selectors.case_behind_glass(user=user, case_id=case_id)
    except Http404:
        # Someone who can already read it (or has just broken the glass) goes to the case; 404 otherwise.
        selectors.case_get_for_user(user=user, case_id=case_id, with_record=False)
        return redirect("casework:case_detail", case_id)
    form = BreakGlassForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            use = breakglass.break_glass_open(actor=user, case=case, reason=form.cleaned_data["reason"])
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(
                request,
                f"You can read this record until {timezone.localtime(use.expires_at):%H:%M}. The record's owner "
                "and the partnership lead have been told.",
            )
            return redirect("casework:case_detail", case.pk)
    return _restricted_page(request, case, form)


@never_cache
@require_GET
def break_glass_review(request):
    """For a partnership lead or data protection officer: the uses of break glass awaiting sign-off."""
    user = request.user
    require(user, "can_review_break_glass")
    uses = list(selectors.break_glass_uses_for_review(user))
    events.record_listed(actor=user, object_type="casework.breakglassuse", ids=[u.pk for u in uses])
    return render(request, "casework/break_glass_review.html", {"break_glass_uses": uses})


@never_cache
@require_http_methods(["GET", "POST"])
def break_glass_sign_off(request, use_id: int):
    """Sign off one use of break glass, with an optional note."""
    user = request.user
    use = selectors.break_glass_use_get_for_review(user=user, use_id=use_id)
    _require_action(user, "can_sign_off_break_glass", use)
    form = BreakGlassSignOffForm(_posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            breakglass.break_glass_sign_off(actor=user, use=use, note=form.cleaned_data["note"])
        except Invalid as error:
            _apply(form, error)
            status = _status_for(error)
        else:
            messages.success(request, f"The use of break glass on {use.case.reference} has been signed off.")
            return redirect("casework:break_glass_review")
    return _form_page(
        request, "casework/break_glass_sign_off.html", {"use": use, "form": form}, status=status
    )
