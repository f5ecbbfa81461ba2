"""Pages: entity search, an entity with its network, centrality, timeline and mentions, a place's concerns month by
month, paths between two entities, exports, analyst-recorded associations, places and peer groups as cases, the
aggregate network figures and the cross-agency signal rules.

Every page asks the policy (`lantern.intel.network.rules`) through the selectors: an entity the user may not see is
a 404, like one that does not exist. Every read of an entity, a network or a path is audited with what was shown.
The network diagram (Cytoscape.js) always has the same network as tables beside it, for anyone not using it.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lantern.audit import events
from lantern.casework.models import Case, CaseKind
from lantern.core.exceptions import Invalid
from lantern.core.policy import REGISTRY, allows, require
from lantern.intel.linking.models import AlertKind, EntityKind, LinkAlert
from lantern.intel.network import exports, selectors, services
from lantern.intel.network.forms import (
    AssociationForm,
    PathForm,
    PeerGroupForm,
    PlaceCaseForm,
    SearchForm,
    SignalRuleForm,
)
from lantern.intel.network.models import SignalRule
from lantern.intel.network.signals import rules_in_force

ITEM_CONTENT_RULE = "can_view_intel_item_content"
KIND_SHAPES = {
    EntityKind.PERSON: "ellipse",
    EntityKind.VEHICLE: "round-rectangle",
    EntityKind.PHONE: "diamond",
    EntityKind.PLACE: "triangle",
    EntityKind.ORGANISATION: "hexagon",
}


def _apply(form, error: Invalid) -> None:
    """Put a service's field messages on the form; messages about no field of the form go to the top."""
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, errors in error.fields.items():
        form.add_error(name if name in form.fields else None, errors)


def _elements(view) -> list[dict]:
    """The network as Cytoscape.js elements."""
    before, after = reverse("intel:entity_detail", args=[0]).rsplit(
        "0", 1
    )  # each entity's page, reversed once
    nodes = [
        {
            "data": {
                "id": str(r["entity"].pk),
                "label": r["entity"].label,
                "kind": r["entity"].kind,
                "shape": KIND_SHAPES.get(r["entity"].kind, "ellipse"),
                "centre": r["entity"].pk == view.centre.pk,
                "href": f"{before}{r['entity'].pk}{after}",
            }
        }
        for r in view.rows
    ]
    edges = [
        {
            "data": {
                "id": f"{link['source']}-{link['target']}",
                "source": str(link["source"]),
                "target": str(link["target"]),
                "label": ", ".join(link["reasons"]),
                "weight": link["weight"],
            }
        }
        for link in view.links
    ]
    return nodes + edges


@require_GET
def entity_search(request):
    """Search entities by name, nickname, registration mark or phone number."""
    user = request.user
    require(user, "can_search_entities")
    form = SearchForm(request.GET or None)
    results, searched = [], False
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        searched = True
        results = selectors.entity_search(
            user=user, query=form.cleaned_data["q"], kind=form.cleaned_data["kind"]
        )
        events.entities_listed(
            actor=user, ids=[e.pk for e in results], query={"kind": form.cleaned_data["kind"]}
        )
    return render(
        request,
        "intel/entities/search.html",
        {
            "form": form,
            "results": results,
            "searched": searched,
            "places_only": not allows(user, "can_view_networks"),
            "can_name_group": allows(user, "can_name_peer_group"),
        },
    )


@never_cache
@require_GET
def entity_detail(request, entity_id: int):
    """An entity: what it is, its network (diagram and tables) with centrality, its timeline and its mentions."""
    user = request.user
    entity = selectors.entity_get_for_user(user=user, entity_id=entity_id)
    if entity.pk != entity_id:
        return redirect("intel:entity_detail", entity.pk)
    scope = "neighbourhood" if request.GET.get("scope") == "neighbourhood" else "component"
    sees_network = allows(user, "can_view_entity_network", entity)
    view = selectors.network_for(user=user, entity=entity, scope=scope) if sees_network else None
    timeline = selectors.timeline_visible_to(user=user, entity=entity)
    mentions = selectors.mentions_of(entity)
    if not allows(user, "can_view_networks"):
        visible = {e.report_id for e in timeline}
        mentions = [m for m in mentions if m.report_kind == "referral" and m.report_id in visible]
    # What an intelligence item says about the entity is shown only to those who may read the item's content.
    readable_items = {
        m.report_id
        for m in mentions
        if m.report_kind == "item"
        and ITEM_CONTENT_RULE in REGISTRY
        and allows(user, ITEM_CONTENT_RULE, m.mention.item)
    }
    events.entity_viewed(actor=user, entity=entity)
    if view is not None:
        events.network_viewed(actor=user, entity=entity, ids=list(view.entities))
    return render(
        request,
        "intel/entities/detail.html",
        {
            "entity": entity,
            "attributes": selectors.shown_attributes(entity),
            "view": view,
            "scope": scope,
            "elements": _elements(view) if view else [],
            "degree": view.degree if view is not None else None,
            "timeline": timeline,
            "months": selectors.concerns_by_month(timeline) if entity.kind == EntityKind.PLACE else [],
            "mentions": mentions,
            "readable_items": readable_items,
            "visible_referral_ids": selectors.visible_referral_ids(
                user=user, ids=[e.report_id for e in timeline if e.report_kind == "referral"]
            ),
            "cases": list(Case.objects.filter(entity=entity).order_by("-opened_at"))
            if allows(user, "can_open_place_case", entity)
            else [],
            "alerts": list(LinkAlert.objects.filter(entity=entity, kind=AlertKind.CROSS_AGENCY)[:10])
            if sees_network
            else [],
            "can_export": allows(user, "can_export_network", entity),
            "can_record": allows(user, "can_record_association"),
            "can_open_case": allows(user, "can_open_place_case", entity),
        },
    )


def _export_view(request, entity_id: int):
    user = request.user
    entity = selectors.entity_get_for_user(user=user, entity_id=entity_id)
    require(user, "can_export_network", entity)
    view = selectors.network_for(user=user, entity=entity)
    return entity, view


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def network_export(request, entity_id: int, format: str):
    """The entity's network as GraphML, CSV nodes, CSV links, or both CSV files in a zip."""
    entity, view = _export_view(request, entity_id)
    stem = f"lantern-network-E{entity.pk}"
    files = {
        "graphml": (exports.graphml, "application/graphml+xml", f"{stem}.graphml"),
        "nodes.csv": (exports.nodes_csv, "text/csv; charset=utf-8", f"{stem}-nodes.csv"),
        "links.csv": (exports.links_csv, "text/csv; charset=utf-8", f"{stem}-links.csv"),
        "csv.zip": (lambda v: exports.csv_zip(v, stem=stem), "application/zip", f"{stem}-csv.zip"),
    }
    if format not in files:
        raise Http404("Not found.")
    make, content_type, filename = files[format]
    content = make(view)
    events.network_exported(actor=request.user, entity=entity, ids=list(view.entities), format=format)
    return _download(content, content_type, filename)


@never_cache
@require_GET
def paths(request):
    """The shortest path and the paths of up to four hops between two entities, with each link's reasons."""
    user = request.user
    require(user, "can_view_networks")
    data = {"source": request.GET.get("from", ""), "target": request.GET.get("to", "")}
    form = PathForm(
        data if data["target"] or request.GET.get("submitted") else None, initial={"source": data["source"]}
    )
    result = None
    if form.is_bound and form.is_valid():
        try:
            source = selectors.entity_get_for_user(
                user=user, entity_id=form.cleaned_data["source"], rule="can_view_entity_network"
            )
        except Http404:
            form.add_error("source", "There is no entity with this number that you can see")
        try:
            target = selectors.entity_get_for_user(
                user=user, entity_id=form.cleaned_data["target"], rule="can_view_entity_network"
            )
        except Http404:
            form.add_error("target", "There is no entity with this number that you can see")
        if not form.errors:
            result = selectors.paths_between(user=user, source=source, target=target)
            events.path_viewed(actor=user, source=source, target=target, ids=result.entity_ids)
    return render(request, "intel/network/paths.html", {"form": form, "result": result})


@require_http_methods(["GET", "POST"])
def association_add(request, entity_id: int):
    """Record an association between this entity and another, with the analyst's reason."""
    user = request.user
    entity = selectors.entity_get_for_user(user=user, entity_id=entity_id, rule="can_view_entity_network")
    require(user, "can_record_association")
    form = AssociationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            target = selectors.entity_get_for_user(
                user=user, entity_id=form.cleaned_data["target"], rule="can_view_entity_network"
            )
        except Http404:
            form.add_error("target", "There is no entity with this number that you can see")
        else:
            try:
                services.association_record(
                    actor=user, source=entity, target=target, note=form.cleaned_data["note"]
                )
            except Invalid as error:
                _apply(form, error)
            else:
                messages.success(request, f"Association with {target.label} recorded.")
                return redirect("intel:entity_detail", entity.pk)
    return render(
        request,
        "intel/network/association_form.html",
        {"form": form, "entity": entity},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def place_case_open(request, entity_id: int):
    """Open a place as a case (contextual safeguarding)."""
    user = request.user
    entity = selectors.entity_get_for_user(user=user, entity_id=entity_id)
    require(user, "can_open_place_case", entity)
    form = PlaceCaseForm(
        request.POST if request.method == "POST" else None, initial={"lead_agency": user.agency_id}
    )
    if form.is_bound and form.is_valid():
        try:
            case = services.case_open_for_entity(
                actor=user, entity=entity, lead_agency=form.cleaned_data["lead_agency"]
            )
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(request, f"Case {case.reference} opened for {entity.label}.")
            return redirect("casework:case_detail", case.pk)
    return render(
        request,
        "intel/network/case_form.html",
        {"form": form, "entity": entity},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def peer_group_add(request):
    """Name a peer group of people and open it as a case."""
    user = request.user
    require(user, "can_name_peer_group")
    initial = {"lead_agency": user.agency_id, "members": request.GET.get("members", "")[:1000]}
    form = PeerGroupForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        members, missing = [], []
        for number in form.cleaned_data["members"]:
            try:
                members.append(
                    selectors.entity_get_for_user(user=user, entity_id=number, rule="can_view_entity_network")
                )
            except Http404:
                missing.append(f"E{number}")
        if missing:
            form.add_error("members", f"There is no entity you can see with the number {', '.join(missing)}")
        else:
            try:
                case = services.peer_group_open(
                    actor=user,
                    name=form.cleaned_data["name"],
                    members=members,
                    lead_agency=form.cleaned_data["lead_agency"],
                )
            except Invalid as error:
                _apply(form, error)
            else:
                messages.success(request, f"Peer group {case.subject_name} opened as case {case.reference}.")
                return redirect("intel:peer_group_detail", case.pk)
    return render(
        request, "intel/network/peer_group_form.html", {"form": form}, status=422 if form.errors else 200
    )


@never_cache
@require_GET
def peer_group_detail(request, case_id: int):
    """A peer group: its members, their combined network and every concern about any of them, over time."""
    from lantern.casework.selectors import case_get_for_user
    from lantern.intel.network.graph import group_network, timeline_for

    user = request.user
    require(user, "can_view_networks")
    case = case_get_for_user(user=user, case_id=case_id, with_record=False)
    if case.kind != CaseKind.PEER_GROUP:
        raise Http404("Not found.")
    members = list(case.members.order_by("label", "pk"))
    subgraph = group_network([m.pk for m in members])
    from lantern.intel.linking.models import Entity

    view = (
        selectors.NetworkView(
            centre=members[0] if members else None,
            entities=Entity.objects.in_bulk(subgraph.nodes),
            links=selectors._links(subgraph.edges),
            subgraph=subgraph,
        )
        if members
        else None
    )
    timeline = timeline_for([m.pk for m in members])
    events.record_viewed(actor=user, obj=case)
    if view is not None:
        events.entities_listed(actor=user, ids=list(view.entities), query={"peer_group": case.pk})
    return render(
        request,
        "intel/network/peer_group.html",
        {
            "case": case,
            "members": members,
            "view": view,
            "elements": _elements(view) if view else [],
            "timeline": timeline,
            "months": selectors.concerns_by_month(timeline),
            "visible_referral_ids": selectors.visible_referral_ids(
                user=user, ids=[e.report_id for e in timeline if e.report_kind == "referral"]
            ),
        },
    )


@require_GET
def network_figures(request):
    """Aggregate figures about the networks: how many, how large (no entity is named)."""
    figures = selectors.network_summary(user=request.user)
    return render(request, "intel/network/summary.html", {"figures": figures})


@never_cache
@require_GET
def signal_rules(request):
    """The cross-agency signal rules (the partnership lead)."""
    require(request.user, "can_manage_signal_rules")
    rules_in_force()
    return render(
        request, "intel/network/signal_rules.html", {"rules": SignalRule.objects.order_by("-active", "name")}
    )


@require_http_methods(["GET", "POST"])
def signal_rule_edit(request, rule_id: int | None = None):
    """Add or change a cross-agency signal rule."""
    require(request.user, "can_manage_signal_rules")
    rule = None
    if rule_id is not None:
        rule = SignalRule.objects.filter(pk=rule_id).first()
        if rule is None:
            raise Http404("Not found.")
    initial = (
        {
            "name": rule.name,
            "subject_kind": rule.subject_kind,
            "min_concerns": rule.min_concerns,
            "min_agencies": rule.min_agencies,
            "window_days": rule.window_days,
            "active": rule.active,
        }
        if rule
        else {"min_concerns": 3, "min_agencies": 2, "window_days": 30, "active": True}
    )
    form = SignalRuleForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.signal_rule_save(actor=request.user, rule=rule, **form.cleaned_data)
        except Invalid as error:
            _apply(form, error)
        else:
            messages.success(request, "The rule has been saved.")
            return redirect("intel:signal_rules")
    return render(
        request,
        "intel/network/signal_rule_form.html",
        {"form": form, "rule": rule},
        status=422 if form.errors else 200,
    )
