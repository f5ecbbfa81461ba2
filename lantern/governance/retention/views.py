"""Pages for the records manager and the DPO: the review queue, one record's retention, the forms that retain,
hold or dispose of it, the legal holds, and the schedule.

Every page asks the policy: the selectors refuse (404) anyone who may not see retention, and the services refuse
(403) anyone who may not decide. Pages show records by class, reference, agency and dates, never their content.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lantern.casework.views import error_list
from lantern.core.exceptions import Conflict, Invalid
from lantern.core.policy import allows, require
from lantern.governance.retention import selectors, services
from lantern.governance.retention.forms import DisposeForm, HoldForm, LiftForm, QueueFilterForm, RetainForm
from lantern.governance.retention.models import RecordClass
from lantern.governance.retention.schedule import AUDIT_NOTE, schedule

PER_PAGE = 50


def _posted(request):
    return request.POST if request.method == "POST" else None


def _record_url(record_class: str, object_id: int) -> str:
    return reverse("governance:retention_record", args=[record_class, object_id])


def _apply(form, error: Invalid) -> None:
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, errors in error.fields.items():
        form.add_error(name if name in form.fields else None, errors)


def _action_page(request, *, form, run, title, caption, back, button, success, intro="", warning=False):
    """A form that decides about a record; on a valid POST call `run(cleaned_data)` and go back."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data)
        except Invalid as error:
            _apply(form, error)
            status = 409 if isinstance(error, Conflict) else 422
        else:
            messages.success(request, success)
            return redirect(back)
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "title": title,
        "caption": caption,
        "back": back,
        "button": button,
        "intro": intro,
        "warning": warning,
        "errors": error_list(form),
    }
    return render(request, "governance/retention/action_form.html", context, status=status)


@never_cache
@require_GET
def retention_queue(request):
    """Records due for review, oldest review date first, with a filter by class."""
    filters = QueueFilterForm(request.GET or None)
    record_class = filters.cleaned_data["record_class"] if filters.is_valid() else ""
    reviews = selectors.review_queue_for(user=request.user, record_class=record_class or None)
    page = Paginator(reviews, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/retention/queue.html",
        {
            "filters": filters,
            "page": page,
            "page_query": query.urlencode(),
            "today": timezone.localdate(),
            "can_decide": allows(request.user, "can_decide_retention"),
        },
    )


@never_cache
@require_GET
def retention_record(request, record_class: str, object_id: int):
    """One record's retention: its review dates, holds, what blocks disposal, and its decisions."""
    status = selectors.record_status_for(user=request.user, record_class=record_class, object_id=object_id)
    return render(
        request,
        "governance/retention/record.html",
        {
            "status": status,
            "can_decide": allows(request.user, "can_decide_retention"),
            "can_hold": allows(request.user, "can_manage_legal_holds"),
        },
    )


def _status(request, record_class: str, object_id: int) -> dict:
    return selectors.record_status_for(user=request.user, record_class=record_class, object_id=object_id)


@never_cache
@require_http_methods(["GET", "POST"])
def retention_retain(request, record_class: str, object_id: int):
    """Keep a record to a new review date, with the reason."""
    status = _status(request, record_class, object_id)
    require(request.user, "can_decide_retention")
    return _action_page(
        request,
        form=RetainForm(_posted(request)),
        run=lambda d: services.record_retain(
            actor=request.user, record_class=record_class, object_id=object_id, **d
        ),
        title="Retain the record",
        caption=f"{status['record_class_label']} {status['reference']}",
        back=_record_url(record_class, object_id),
        button="Retain record",
        success=f"{status['reference']} is retained until its next review.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def retention_hold(request, record_class: str, object_id: int):
    """Place a legal hold on a record."""
    status = _status(request, record_class, object_id)
    require(request.user, "can_manage_legal_holds")
    return _action_page(
        request,
        form=HoldForm(_posted(request)),
        run=lambda d: services.legal_hold_place(
            actor=request.user, record_class=record_class, object_id=object_id, reason=d["reason"]
        ),
        title="Place a legal hold",
        caption=f"{status['record_class_label']} {status['reference']}",
        back=_record_url(record_class, object_id),
        button="Place hold",
        success=f"A legal hold is in force on {status['reference']}.",
        intro="While the hold is in force the record cannot be disposed of, whatever its review date.",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def retention_dispose(request, record_class: str, object_id: int):
    """Dispose of a record, confirmed by typing its reference."""
    status = _status(request, record_class, object_id)
    require(request.user, "can_decide_retention")
    return _action_page(
        request,
        form=DisposeForm(_posted(request)),
        run=lambda d: services.record_dispose(
            actor=request.user,
            record_class=record_class,
            object_id=object_id,
            confirm_reference=d["confirm_reference"],
        ),
        title="Dispose of the record",
        caption=f"{status['record_class_label']} {status['reference']}",
        back=_record_url(record_class, object_id),
        button="Dispose of record",
        success=f"{status['reference']} is disposed of: its personal data has been removed.",
        intro="Disposal removes the names, dates of birth, addresses, phone numbers and narratives of the record "
        "and of what depends on it, and takes it out of linking. It cannot be undone. The record's reference, "
        "dates and outcomes stay for the partnership's figures, and the audit log records that you disposed of it.",
        warning=True,
    )


@never_cache
@require_GET
def retention_holds(request):
    """The legal holds in force, newest first."""
    holds = selectors.holds_for(user=request.user)
    page = Paginator(holds, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/retention/holds.html",
        {"page": page, "can_hold": allows(request.user, "can_manage_legal_holds")},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def retention_hold_lift(request, hold_id: int):
    """Lift a legal hold, with the reason."""
    hold = selectors.hold_get_for(user=request.user, hold_id=hold_id)
    require(request.user, "can_manage_legal_holds")
    return _action_page(
        request,
        form=LiftForm(_posted(request)),
        run=lambda d: services.legal_hold_lift(actor=request.user, hold=hold, reason=d["reason"]),
        title="Lift the legal hold",
        caption=f"{hold.get_record_class_display()} {hold.reference}",
        back=reverse("governance:retention_holds"),
        button="Lift hold",
        success=f"The legal hold on {hold.reference} is lifted.",
    )


@never_cache
@require_GET
def retention_schedule(request):
    """The retention schedule in force, each period with its source."""
    require(request.user, "can_view_retention")
    return render(
        request,
        "governance/retention/schedule.html",
        {"rules": schedule(), "audit_note": AUDIT_NOTE, "classes": RecordClass},
    )
