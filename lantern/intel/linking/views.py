"""Pages for link alerts (the list, one alert and working it) and for a match (its evidence and decisions).

Every page asks the policy (`lantern.intel.linking.rules`): an alert that is not the user's, or a mention they may
not see, is a 404 like one that does not exist. Reads are audited.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lantern.audit import events
from lantern.core.exceptions import Invalid
from lantern.core.policy import allows, require
from lantern.intel.linking import selectors, services
from lantern.intel.linking.forms import AlertFilterForm, AlertStatusForm, DecisionForm
from lantern.intel.linking.models import AlertStatus, EntityKind
from lantern.intel.linking.resolution.model import explain

PER_PAGE = 25
HOME_PANEL_SIZE = 5


def _errors(form) -> list[tuple[str, str]]:
    out = []
    for field in form.visible_fields():
        grouped = field.widget_type in ("radioselect", "checkboxselectmultiple")
        out += [(f"#{field.auto_id}{'_0' if grouped else ''}", message) for message in field.errors]
    first = next(iter(form.visible_fields()), None)
    out += [
        (f"#{first.auto_id}_0" if first else "#main-content", message) for message in form.non_field_errors()
    ]
    return out


def _apply(error: Invalid, form) -> None:
    if not error.fields:
        form.add_error(None, error.detail)
    for key, found in error.fields.items():
        form.add_error(key if key in form.fields else None, found)


@never_cache
@require_GET
def alert_list(request):
    """The user's link alerts, newest first, 25 to a page, filtered by status."""
    user = request.user
    require(user, "can_view_link_alerts")
    filters = AlertFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status") if filters.is_valid() else ""
    alerts = selectors.alerts_for(user=user, status=status or None)
    page = Paginator(alerts, PER_PAGE).get_page(request.GET.get("page"))
    events.link_alerts_listed(
        actor=user, ids=[a.pk for a in page.object_list], query={"status": status or "", "page": page.number}
    )
    base = request.GET.copy()
    base.pop("page", None)
    return render(
        request,
        "intel/alerts/list.html",
        {
            "page": page,
            "filters": filters,
            "filtered": bool(status),
            "page_query": base.urlencode(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def alert_detail(request, alert_id: int):
    """One alert: what matched what and why, links to the entities and networks, and working it."""
    user = request.user
    alert = selectors.alert_get_for_user(user=user, alert_id=alert_id)
    form = AlertStatusForm(request.POST or None)
    if request.method == "POST":
        require(user, "can_update_link_alert", alert)
        if form.is_valid():
            try:
                services.link_alert_update(
                    actor=user,
                    alert=alert,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except Invalid as error:
                _apply(error, form)
            else:
                messages.success(request, "The alert has been updated.")
                return redirect("intel:alert_detail", alert_id=alert.pk)
    else:
        alert = services.alert_viewed(actor=user, alert=alert)
    reasons = []
    for reason in alert.reasons or []:
        reasons.append(
            {
                **reason,
                "evidence": reason.get("evidence") or [],
                "explanation": explain(reason.get("evidence") or []),
            }
        )
    status = 422 if form.errors else 200
    return render(
        request,
        "intel/alerts/detail.html",
        {
            "alert": alert,
            "reasons": reasons,
            "form": form,
            "errors": _errors(form),
            "can_update": allows(user, "can_update_link_alert", alert),
            "closed": alert.status in (AlertStatus.ACTIONED, AlertStatus.DISMISSED),
            "can_view_match": allows(user, "can_view_match"),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def match_detail(request, kind: str, mention_id: int):
    """Why a mention belongs to its entity, with each field's evidence; analysts confirm, reject or split."""
    user = request.user
    found = selectors.match_for(user=user, kind=kind, mention_id=mention_id)
    can_decide = allows(user, "can_decide_match")
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        require(user, "can_decide_match")
        other = found["link"].matched_mention_id if found["link"] else None
        if form.is_valid():
            decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
            try:
                if decision == "split":
                    services.match_split(actor=user, kind=kind, mention_id=mention_id, reason=reason)
                elif other is None:
                    raise Invalid.field(
                        "decision", "This mention matched no other mention: choose split, or none"
                    )
                elif decision == "confirm":
                    services.match_confirm(
                        actor=user, kind=kind, mention_id=mention_id, other_mention_id=other, reason=reason
                    )
                else:
                    services.match_reject(
                        actor=user, kind=kind, mention_id=mention_id, other_mention_id=other, reason=reason
                    )
            except Invalid as error:
                _apply(error, form)
            else:
                messages.success(request, "Your decision has been recorded. It will hold in every later run.")
                return redirect("intel:match_detail", kind=kind, mention_id=mention_id)
    else:
        events.match_viewed(actor=user, kind=kind, mention_id=mention_id)
    link = found["link"]
    evidence = list(link.evidence or []) if link else []
    return render(
        request,
        "intel/linking/match.html",
        {
            **found,
            "kind": kind,
            "kind_label": EntityKind(kind).label,
            "evidence": evidence,
            "explanation": explain(evidence),
            "form": form,
            "errors": _errors(form),
            "can_decide": can_decide,
        },
        status=422 if form.errors else 200,
    )


def home_alerts(user) -> dict:
    """The home page's panel: the user's newest new alerts and how many there are (empty if they see none)."""
    if not allows(user, "can_view_link_alerts"):
        return {"show": False}
    new = selectors.alerts_for(user=user, status=AlertStatus.NEW)
    return {"show": True, "count": new.count(), "alerts": list(new[:HOME_PANEL_SIZE])}
