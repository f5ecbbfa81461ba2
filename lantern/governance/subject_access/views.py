"""Pages for subject access: the list of requests, recording one, and a request's page, where the candidates
are confirmed, the records redacted, the bundle signed off by a second person and downloaded.

Every page asks the policy (`lantern.governance.subject_access.rules`): a request the user may not see is a 404;
an action they may not take is a 403. Every read of a request and of the records it holds is audited.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lantern.audit import events
from lantern.casework.views import error_list
from lantern.core.exceptions import Invalid
from lantern.core.policy import allows, require
from lantern.governance.subject_access import selectors, services
from lantern.governance.subject_access.forms import (
    ExtensionForm,
    RecordsForm,
    RedactionForm,
    RemoveRedactionForm,
    SignOffForm,
    SubjectAccessRequestForm,
)
from lantern.governance.subject_access.models import SubjectAccessStatus
from lantern.governance.subject_access.rules import preparers

OPEN_FOR_WORK = (SubjectAccessStatus.RECEIVED, SubjectAccessStatus.REDACTION)


def _apply(form, error: Invalid, aliases: dict | None = None) -> None:
    """Put a service's field messages on the form; messages about no field of the form go to the top."""
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, errors in error.fields.items():
        name = (aliases or {}).get(name, name)
        form.add_error(name if name in form.fields else None, errors)


@never_cache
@require_GET
def request_list(request):
    """The requests, soonest deadline first, with those due highlighted."""
    require(request.user, "can_record_subject_access_request")
    rows = list(selectors.request_list_for(user=request.user)[:500])
    events.record_listed(
        actor=request.user, object_type="governance.subjectaccessrequest", ids=[r.pk for r in rows]
    )
    return render(
        request,
        "governance/subject_access/request_list.html",
        {"rows": rows, "due": selectors.requests_due(request.user)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def request_new(request):
    """Record a request as it was received."""
    require(request.user, "can_record_subject_access_request")
    form = SubjectAccessRequestForm(request.POST or None, initial={"identity_checked_by": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sar = services.subject_access_request_record(actor=request.user, **data)
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(
                request, f"Request {sar.reference} recorded. The response is due by {sar.due_on:%d %B %Y}."
            )
            return redirect("governance:subject_access_detail", sar.pk)
    return render(
        request,
        "governance/subject_access/request_form.html",
        {"form": form, "errors": error_list(form)},
        status=422 if form.errors else 200,
    )


def _targets(documents) -> list[tuple[str, str]]:
    choices = []
    for document in documents:
        key = f"{document.record.kind}:{document.record.target_id}"
        for part in document.parts:
            choices.append((f"{key}|{part.key}", f"{document.title}: {part.label}"))
    return choices


def _detail(request, sar, *, status: int = 200, **forms):
    """The request's page: its clock, the candidates, the records with redactions, sign-off and download."""
    user = request.user
    can_work = allows(user, "can_work_subject_access_request", sar) and sar.status in OPEN_FOR_WORK
    candidates = selectors.candidates_for(sar) if can_work else []
    records = selectors.bundle_records(sar)
    redactions = selectors.active_redactions(sar)
    documents = [selectors.document_for(r) for r in records]
    shown = [
        (
            document,
            selectors.redacted_parts(document, redactions, label=lambda r: f"[{r.get_reason_display()}]"),
        )
        for document in documents
    ]
    read = sorted({c.key for c in candidates} | {f"{r.kind}:{r.target_id}" for r in records})
    events.subject_access_records_read(actor=user, request=sar, records=read, view="page")
    forms.setdefault("records_form", RecordsForm(candidates=candidates))
    forms.setdefault("redaction_form", RedactionForm(targets=_targets(documents)))
    forms.setdefault("extension_form", ExtensionForm())
    forms.setdefault("sign_off_form", SignOffForm())
    all_errors = []
    for form in forms.values():
        if form.is_bound:
            all_errors += error_list(form)
    context = {
        "sar": sar,
        "candidates": candidates,
        "shown": shown,
        "redactions": list(sar.redactions.select_related("added_by", "removed_by", "record").order_by("pk")),
        "can_work": can_work,
        "can_sign_off": allows(user, "can_sign_off_subject_access_request", sar)
        and sar.status == SubjectAccessStatus.REDACTION,
        "prepared_it": user.pk in preparers(sar),
        "can_release": allows(user, "can_release_subject_access_bundle", sar),
        "escalations": list(sar.escalations.all()),
        "errors": all_errors,
        "remove_form": RemoveRedactionForm(),
        **forms,
    }
    return render(request, "governance/subject_access/request_detail.html", context, status=status)


@never_cache
@require_GET
def request_detail(request, sar_id: int):
    """One request."""
    sar = selectors.request_get_for_user(user=request.user, request_id=sar_id)
    return _detail(request, sar)


@require_POST
def request_records(request, sar_id: int):
    """Confirm the ticked candidates as the subject's and reject the rest."""
    sar = selectors.request_get_for_user(user=request.user, request_id=sar_id)
    require(request.user, "can_work_subject_access_request", sar)
    candidates = selectors.candidates_for(sar)
    form = RecordsForm(request.POST, candidates=candidates)
    if form.is_valid():
        chosen = set(form.cleaned_data["records"])
        try:
            services.subject_access_records_decide(
                actor=request.user, request=sar, decisions=[(c.key, c.key in chosen) for c in candidates]
            )
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(
                request, f"{len(chosen)} record{'s' if len(chosen) != 1 else ''} confirmed as the subject's."
            )
            return redirect("governance:subject_access_detail", sar.pk)
    return _detail(request, sar, status=422, records_form=form)


@require_POST
def request_redact(request, sar_id: int):
    """Withhold text from a part of a record in the bundle."""
    sar = selectors.request_get_for_user(user=request.user, request_id=sar_id)
    require(request.user, "can_work_subject_access_request", sar)
    documents = [selectors.document_for(r) for r in selectors.bundle_records(sar)]
    form = RedactionForm(request.POST, targets=_targets(documents))
    if form.is_valid():
        record, _, part = form.cleaned_data["target"].partition("|")
        try:
            services.redaction_add(
                actor=request.user,
                request=sar,
                record=record,
                part=part,
                text=form.cleaned_data["text"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except Invalid as error:
            _apply(form, error, {"record": "target", "part": "target"})
        else:
            messages.success(request, "Redaction added.")
            return redirect("governance:subject_access_detail", sar.pk)
    return _detail(request, sar, status=422, redaction_form=form)


@require_POST
def request_unredact(request, sar_id: int, redaction_id: int):
    """Lift a redaction, with why."""
    sar = selectors.request_get_for_user(user=request.user, request_id=sar_id)
    require(request.user, "can_work_subject_access_request", sar)
    form = RemoveRedactionForm(request.POST)
    if form.is_valid():
        try:
            services.redaction_remove(
                actor=request.user, request=sar, redaction_id=redaction_id, reason=form.cleaned_data["reason"]
            )
        except Invalid as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, "Redaction lifted.")
    else:
        messages.error(request, "Say why the text can be released before lifting the redaction.")
    return redirect("governance:subject_access_detail", sar.pk)


@require_POST
def request_extend(request, sar_id: int):
    """Extend the deadline once."""
    sar = selectors.request_get_for_user(user=request.user, request_id=sar_id)
    require(request.user, "can_work_subject_access_request", sar)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        try:
            sar = services.subject_access_request_extend(actor=request.user, request=sar, **form.cleaned_data)
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(
                request, f"The deadline is now {sar.extended_due_on:%d %B %Y}. Tell the requester why."
            )
            return redirect("governance:subject_access_detail", sar.pk)
    return _detail(request, sar, status=422, extension_form=form)


@require_POST
def request_sign_off(request, sar_id: int):
    """A second person signs the bundle off."""
    sar = selectors.request_get_for_user(user=request.user, request_id=sar_id)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.subject_access_sign_off(actor=request.user, request=sar, note=form.cleaned_data["note"])
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(request, "Bundle signed off. It can now be downloaded and sent.")
            return redirect("governance:subject_access_detail", sar.pk)
    return _detail(request, sar, status=422, sign_off_form=form)


@never_cache
@require_GET
def request_bundle(request, sar_id: int):
    """The signed-off bundle as a PDF."""
    sar = selectors.request_get_for_user(user=request.user, request_id=sar_id)
    try:
        pdf = services.subject_access_bundle_release(actor=request.user, request=sar)
    except Invalid as error:
        messages.error(request, error.detail)
        return redirect("governance:subject_access_detail", sar.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{sar.reference}.pdf"'
    return response
