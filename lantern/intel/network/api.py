"""API: entity search, an entity with its network summary, its network with centrality, paths between two
entities, analyst-recorded associations and aggregate network figures.

An entity the user may not see answers 404, exactly as one that does not exist. Bad input is answered 422 with a
message per field. Every read of an entity, a network or a path is audited with the entities shown.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from lantern.audit import events
from lantern.core import policy
from lantern.core.api import ErrorOut, Id
from lantern.intel.linking.models import Entity
from lantern.intel.network import selectors, services
from lantern.intel.network.graph import association_graph

router = Router(tags=["entities and networks"])


class EntityOut(Schema):
    """An entity: a person, vehicle, phone, place or organisation."""

    id: int
    kind: str
    label: str
    network: int | None


class NetworkSummaryOut(Schema):
    """Where the entity sits in the association graph."""

    associations: int = Field(description="How many entities it is directly associated with.")
    network_size: int = Field(description="How many entities are in its connected network (itself included).")
    network: int | None = Field(description="The network number resolution gave it, if any.")


class TimelineOut(Schema):
    """A report that mentions the entity: reference, date and agency only, never its content."""

    at: datetime
    report_kind: str
    reference: str
    agency: str
    source: str
    roles: list[str]


class EntityDetailOut(EntityOut):
    """An entity with its canonical attributes, network summary and timeline."""

    attributes: dict[str, str]
    mentions: int
    summary: NetworkSummaryOut | None
    timeline: list[TimelineOut]


class MeasuresOut(Schema):
    """Centrality of an entity within the network shown."""

    degree: int
    degree_centrality: float
    betweenness: float
    closeness: float
    eigenvector: float | None
    core: int


class NodeOut(EntityOut):
    """An entity in a network, with its centrality."""

    measures: MeasuresOut


class LinkOut(Schema):
    """Two associated entities and why."""

    source: int
    target: int
    kinds: list[str]
    reasons: list[str]
    weight: int
    first_seen: datetime | None
    last_seen: datetime | None


class NetworkOut(Schema):
    """An entity's network: its component, or its neighbourhood when the component is too large to show."""

    centre: int
    scope: str
    truncated: bool = Field(description="True when the network is larger than the entities shown.")
    full_size: int
    betweenness_estimated: bool
    nodes: list[NodeOut]
    links: list[LinkOut]


class PathStepOut(Schema):
    """One link along a path."""

    source: int
    target: int
    reasons: list[str]


class PathOut(Schema):
    """A path: the entities along it and each link's reasons."""

    hops: int
    entities: list[EntityOut]
    steps: list[PathStepOut]


class PathsOut(Schema):
    """The shortest path between two entities and every path of up to four hops."""

    source: EntityOut
    target: EntityOut
    shortest: PathOut | None
    paths: list[PathOut]
    more: bool = Field(description="True when there are more paths of up to four hops than those listed.")


class AssociationIn(Schema):
    """An association an analyst records between two entities, and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: Id = Field(gt=0)
    target: Id = Field(gt=0)
    note: str = Field(min_length=1, max_length=2000)


class AssociationOut(Schema):
    """A recorded association."""

    id: int
    source: int
    target: int
    kind: str
    note: str
    recorded_by: str


class SummaryBandOut(Schema):
    """How many networks have a size within a band."""

    size: str
    networks: int


class NetworkFiguresOut(Schema):
    """Aggregate figures about the association graph: no entity is named."""

    entities: int
    linked_entities: int
    links: int
    networks: int
    largest: int
    sizes: list[SummaryBandOut]


def _entity(entity: Entity) -> dict:
    return {"id": entity.pk, "kind": entity.kind, "label": entity.label, "network": entity.network}


def _path(view, path) -> dict:
    return {
        "hops": len(path) - 1,
        "entities": [_entity(e) for e in path],
        "steps": [
            {
                "source": s["from"].pk,
                "target": s["to"].pk,
                "reasons": s["link"]["reasons"] if s["link"] else [],
            }
            for s in view.steps(path)
        ],
    }


class SearchQuery(Schema):
    """What to search for."""

    q: str = Field(
        min_length=2, max_length=100, description="A name, nickname, registration mark or phone number."
    )
    kind: Literal["person", "vehicle", "phone", "place", "organisation"] | None = None


@router.get("/entities", response={200: list[EntityOut], 403: ErrorOut}, summary="Search entities")
def entity_search(request, filters: Query[SearchQuery]):
    """Entities by name, nickname, registration mark (whole or part, spaces optional) or phone number (any format)."""
    policy.require(request.user, "can_search_entities")
    found = selectors.entity_search(user=request.user, query=filters.q, kind=filters.kind or "")
    events.entities_listed(actor=request.user, ids=[e.pk for e in found], query={"kind": filters.kind or ""})
    return [_entity(e) for e in found]


@router.get(
    "/entities/{entity_id}",
    response={200: EntityDetailOut, 403: ErrorOut, 404: ErrorOut},
    summary="An entity with its network summary",
)
def entity_detail(request, entity_id: Id):
    """One entity: its attributes, how many mentions it has, where it sits in the graph, and its timeline."""
    user = request.user
    entity = selectors.entity_get_for_user(user=user, entity_id=entity_id)
    events.entity_viewed(actor=user, entity=entity, view="api")
    summary = None
    if policy.allows(user, "can_view_entity_network", entity):
        graph = association_graph()
        summary = {
            "associations": graph.degree(entity.pk),
            "network_size": len(graph.component_of(entity.pk)),
            "network": entity.network,
        }
    timeline = selectors.timeline_visible_to(user=user, entity=entity)
    return {
        **_entity(entity),
        "attributes": dict(selectors.shown_attributes(entity)),
        "mentions": len(timeline) if summary is None else len(selectors.mentions_of(entity)),
        "summary": summary,
        "timeline": [
            {
                "at": e.at,
                "report_kind": e.report_kind,
                "reference": e.reference,
                "agency": e.agency,
                "source": e.source,
                "roles": list(e.roles),
            }
            for e in timeline
        ],
    }


@router.get(
    "/entities/{entity_id}/network",
    response={200: NetworkOut, 403: ErrorOut, 404: ErrorOut},
    summary="An entity's network with centrality",
)
def entity_network(request, entity_id: Id, scope: Literal["component", "neighbourhood"] = "component"):
    """The entity's component (or its two-hop neighbourhood), with each entity's centrality and each link's reasons."""
    user = request.user
    entity = selectors.entity_get_for_user(user=user, entity_id=entity_id, rule="can_view_entity_network")
    view = selectors.network_for(user=user, entity=entity, scope=scope)
    events.network_viewed(actor=user, entity=entity, ids=list(view.entities), view="api")
    return {
        "centre": entity.pk,
        "scope": scope,
        "truncated": view.subgraph.truncated,
        "full_size": view.subgraph.full_size,
        "betweenness_estimated": view.subgraph.betweenness_estimated,
        "nodes": [{**_entity(r["entity"]), "measures": vars(r["measures"])} for r in view.rows],
        "links": [{k: v for k, v in link.items() if k != "associations"} for link in view.links],
    }


class PathQuery(Schema):
    """The two entities."""

    from_: Id = Field(alias="from", gt=0)
    to: Id = Field(gt=0)


@router.get(
    "/paths", response={200: PathsOut, 403: ErrorOut, 404: ErrorOut}, summary="Paths between two entities"
)
def paths(request, query: Query[PathQuery]):
    """The shortest path and every path of up to four hops between two entities, with each link's reasons."""
    user = request.user
    source = selectors.entity_get_for_user(user=user, entity_id=query.from_, rule="can_view_entity_network")
    target = selectors.entity_get_for_user(user=user, entity_id=query.to, rule="can_view_entity_network")
    view = selectors.paths_between(user=user, source=source, target=target)
    events.path_viewed(actor=user, source=source, target=target, ids=view.entity_ids)
    return {
        "source": _entity(source),
        "target": _entity(target),
        "shortest": _path(view, view.shortest) if view.shortest else None,
        "paths": [_path(view, p) for p in view.paths],
        "more": view.more,
    }


@router.post(
    "/associations",
    response={201: AssociationOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Record an association",
)
def association_record(request, payload: AssociationIn):
    """An analyst records that two entities are associated, and why."""
    user = request.user
    policy.require(user, "can_record_association")
    source = selectors.entity_get_for_user(
        user=user, entity_id=payload.source, rule="can_view_entity_network"
    )
    target = selectors.entity_get_for_user(
        user=user, entity_id=payload.target, rule="can_view_entity_network"
    )
    association = services.association_record(actor=user, source=source, target=target, note=payload.note)
    return Status(
        201,
        {
            "id": association.pk,
            "source": association.source_id,
            "target": association.target_id,
            "kind": association.kind,
            "note": association.note,
            "recorded_by": user.display_name,
        },
    )


@router.get(
    "/networks/summary",
    response={200: NetworkFiguresOut, 403: ErrorOut},
    summary="Aggregate figures about networks",
)
def network_figures(request):
    """How many entities and networks there are and how large; no entity is named (for the partnership lead too)."""
    figures = selectors.network_summary(user=request.user)
    return {
        "entities": figures.entities,
        "linked_entities": figures.linked_entities,
        "links": figures.links,
        "networks": figures.networks,
        "largest": figures.largest,
        "sizes": [{"size": label, "networks": count} for label, count in figures.sizes],
    }
