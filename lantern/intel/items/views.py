"""Pages for intelligence items: the list, the submission form, an item (with grading and sharing), its source.

Every page asks the policy (`lantern.intel.items.rules`): through the selectors for what may be seen (an item the
user may not see is a 404, like one that does not exist) and by name for what may be done (403). Every read is
audited; reading the source is a separate page, a deliberate act, audited apart.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.core.exceptions import Invalid
from lantern.core.policy import PolicyDenied, allows, require
from lantern.core.validation import validate
from lantern.intel.items import selectors as items_selectors
from lantern.intel.items import services as items
from lantern.intel.items.forms import (
    FORMSETS,
    DiscloseForm,
    GradeForm,
    ItemFilterForm,
    ItemForm,
    parts_from_formsets,
)
from lantern.intel.items.models import HandlingCode, IntelligenceItem, ItemStatus
from lantern.intel.items.schemas import IntelItemIn

PER_PAGE = 50


def _anchor(field) -> str:
    grouped = field.widget_type in ("radioselect", "checkboxselectmultiple", "date")
    return f"#{field.auto_id}{'_0' if grouped else ''}"


def error_list(form, formsets=None) -> list[tuple[str, str]]:
    """Every error on a form and its formsets as (anchor, message), for the GOV.UK error summary."""
    errors: list[tuple[str, str]] = []
    first = next(iter(form.visible_fields()), None)
    top = _anchor(first) if first is not None else "#main-content"
    errors += [(top, message) for message in form.non_field_errors()]
    errors += [(_anchor(field), message) for field in form.visible_fields() for message in field.errors]
    for formset in (formsets or {}).values():
        for number, row in enumerate(formset.forms, start=1):
            errors += [
                (_anchor(field), f"{formset.row_label} {number}: {message}")
                for field in row.visible_fields()
                for message in field.errors
            ]
    return errors


def _apply(error: Invalid, form, formsets=None, aliases=None) -> None:
    """Put a service's field messages ("vehicles.0.registration") on the form or formset row they belong to."""
    aliases = aliases or {}
    if not error.fields:
        form.add_error(None, error.detail)
    for key, found in error.fields.items():
        key = aliases.get(key, key)
        kind, _, rest = key.partition(".")
        index, _, name = rest.partition(".")
        if formsets and kind in formsets and index.isdigit():
            # The service numbers only the filled-in rows; find the row it means.
            rows = [row for row in formsets[kind].forms if row.has_changed()] or formsets[kind].forms
            row = rows[min(int(index), len(rows) - 1)]
            row.add_error(name if name in row.fields else None, found)
        else:
            form.add_error(key if key in form.fields else None, found)


def _grade_filter(found, grade: str):
    if grade == "ungraded":
        return found.filter(status=ItemStatus.SUBMITTED)
    if grade in HandlingCode.values:
        return found.filter(handling_code=grade)
    if grade == "legacy":
        return found.filter(handling_code="").exclude(legacy_source_evaluation="")
    return found


@never_cache
@require_GET
def item_list(request):
    """The items the user may see, newest first, 50 to a page, filtered by status, agency and grade."""
    user = request.user
    require(user, "can_list_intel_items")
    visible = items_selectors.item_list_visible_to(user=user)
    agencies = Agency.objects.filter(pk__in=visible.values("agency_id")).order_by("name")
    filters = ItemFilterForm(request.GET or None, agencies=agencies)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    found = visible
    if cleaned.get("status"):
        found = found.filter(status=cleaned["status"])
    if cleaned.get("agency"):
        found = found.filter(agency__code=cleaned["agency"])
    found = _grade_filter(found, cleaned.get("grade", ""))
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"item": item, "full": allows(user, "can_view_intel_item_content", item)} for item in page.object_list
    ]
    query = {key: cleaned.get(key, "") for key in ("status", "agency", "grade")}
    events.intel_items_listed(
        actor=user, ids=[row["item"].pk for row in rows], query={**query, "page": page.number}
    )
    base = request.GET.copy()
    base.pop("page", None)
    return render(
        request,
        "intel/items/list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "filtered": any(query.values()),
            "page_query": base.urlencode(),
            "can_submit": allows(user, "can_submit_intel_item"),
        },
    )


@never_cache
@sensitive_post_parameters("source_name", "source_contact", "source_reference", "source_notes")
@require_http_methods(["GET", "POST"])
def item_new(request):
    """A professional of any partner agency records information; police grade it later."""
    user = request.user
    require(user, "can_submit_intel_item")
    data = request.POST if request.method == "POST" else None
    form = ItemForm(data)
    formsets = {kind: formset(data, prefix=kind) for kind, formset in FORMSETS.items()}
    if data is not None and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        # Each part was checked by its schema on the way in; the whole item (how many of each) is checked here.
        item_in, problems = validate(IntelItemIn, {**dict(form.model), **parts_from_formsets(formsets)})
        if item_in is None:
            _apply(Invalid("The information has errors; see fields.", problems), form, formsets)
        else:
            item = items.item_submit(actor=user, item=item_in)
            messages.success(request, f"Intelligence {item.reference} recorded. The police will grade it.")
            if allows(user, "can_view_intel_item", item):
                return redirect("intel:item_detail", item_id=item.pk)
            return redirect("intel:item_list")
    return render(
        request,
        "intel/items/new.html",
        {
            "form": form,
            "formsets": formsets,
            "errors": error_list(form, formsets) if data is not None else [],
        },
    )


def _detail(request, seen, *, grade_form=None, disclose_form=None, status: int = 200):
    user, item = request.user, seen.item
    can_grade = allows(user, "can_grade_intel_item", item)
    can_disclose = allows(user, "can_disclose_intel_item", item)
    if can_grade and grade_form is None:
        grade_form = GradeForm(
            initial={
                "source_evaluation": item.source_evaluation,
                "intelligence_assessment": item.intelligence_assessment,
                "handling_code": item.handling_code,
                "handling_conditions": item.handling_conditions,
                "sanitised_text": item.sanitised_text,
            }
        )
    if can_disclose and disclose_form is None:
        disclose_form = DiscloseForm()
    errors = []
    for form in (grade_form, disclose_form):
        if form is not None and form.is_bound:
            errors += error_list(form)
    return render(
        request,
        "intel/items/detail.html",
        {
            "item": item,
            "seen": seen,
            "mentions": seen.mentions(),
            "can_grade": can_grade,
            "grade_form": grade_form if can_grade else None,
            "can_disclose": can_disclose,
            "disclose_form": disclose_form if can_disclose else None,
            "can_view_source": allows(user, "can_view_intel_source", item),
            "disclosures": items_selectors.disclosures_for(user=user, item=item),
            "errors": errors,
        },
        status=status,
    )


@never_cache
@require_GET
def item_detail(request, item_id: int):
    """One item: in full for police intelligence roles and its submitter, otherwise only its sanitised text."""
    return _detail(request, items_selectors.item_get_for_user(user=request.user, item_id=item_id))


def _for_action(request, item_id: int, rule: str) -> IntelligenceItem:
    item = items_selectors.item_for_action(user=request.user, item_id=item_id)
    if not allows(request.user, rule, item):
        raise PolicyDenied(rule)
    return item


@never_cache
@require_POST
def item_grade(request, item_id: int):
    """Grade an item under 3x5x2 with its sanitised text (police analysts and practitioners)."""
    item = _for_action(request, item_id, "can_grade_intel_item")
    form = GradeForm(request.POST)
    if form.is_valid():
        try:
            items.item_grade(actor=request.user, item=item, **form.cleaned_data)
        except Invalid as error:
            _apply(error, form)
        else:
            messages.success(request, f"{item.reference} graded.")
            return redirect("intel:item_detail", item_id=item.pk)
    seen = items_selectors.item_get_for_user(user=request.user, item_id=item_id)
    return _detail(request, seen, grade_form=form)


@never_cache
@require_POST
def item_disclose(request, item_id: int):
    """Share a graded item's sanitised text with an agency or a named recipient, recording the disclosure."""
    item = _for_action(request, item_id, "can_disclose_intel_item")
    form = DiscloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            items.item_disclose(
                actor=request.user,
                item=item,
                purpose=data["purpose"],
                recipient_agency=data["recipient_agency"],
                recipient=data["recipient"],
                channel="page",
                conditions_acknowledged=data["conditions_acknowledged"],
            )
        except Invalid as error:
            _apply(error, form)
        else:
            to = data["recipient_agency"].name if data["recipient_agency"] else data["recipient"]
            messages.success(request, f"Sharing of {item.reference} with {to} recorded.")
            return redirect("intel:item_detail", item_id=item.pk)
    seen = items_selectors.item_get_for_user(user=request.user, item_id=item_id)
    return _detail(request, seen, disclose_form=form)


@never_cache
@require_GET
def item_source(request, item_id: int):
    """Who the information came from: police intelligence roles only; every look is audited."""
    item = items_selectors.item_for_action(user=request.user, item_id=item_id)
    source = items_selectors.item_source_for_user(user=request.user, item=item)
    return render(request, "intel/items/source.html", {"item": item, "source": source})
