"""Reads of entities, their mentions, networks, paths and a place's concerns, already limited to what the user may
see (the query form of `lantern.intel.network.rules`).

An entity the user may not see and one that does not exist give the same 404. Search finds entities by name,
nickname, registration mark (whole or partial, with or without spaces) and phone number (any format); users who
see only places find only places.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from itertools import pairwise

from django.db.models import Q
from django.http import Http404

from lantern.core import policy
from lantern.core.normalise import normalise_phone
from lantern.intake.selectors import referral_list_visible_to
from lantern.intel.linking.models import (
    AssociationKind,
    Entity,
    EntityKind,
    MentionLink,
    OrganisationMention,
    PersonMention,
    PersonRole,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)
from lantern.intel.network.graph import (
    TimelineEntry,
    association_graph,
    edge_reasons,
    network_of,
    timeline_for,
)

SEARCH_LIMIT = 50
MENTIONS_READ = 500  # of each kind, per search
MIN_QUERY = 2
MAX_QUERY = 100
# Attributes that are never shown beside an entity (they are never inputs to anything either).
HIDDEN_ATTRIBUTES = ("ethnic", "nationality", "religion")
MENTION_KIND = {
    PersonMention: EntityKind.PERSON,
    VehicleMention: EntityKind.VEHICLE,
    PhoneMention: EntityKind.PHONE,
    PlaceMention: EntityKind.PLACE,
    OrganisationMention: EntityKind.ORGANISATION,
}
CONCERN_ROLES = (PersonRole.CHILD, PersonRole.PERSON_OF_CONCERN)


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if number < 1:
        raise Http404("Not found.")
    return number


def entity_get_for_user(*, user, entity_id, rule: str = "can_view_entity") -> Entity:
    """One entity (followed to the entity it was merged into), or 404 if it does not exist or `user` may not see it."""
    entity = Entity.objects.filter(pk=_id(entity_id)).select_related("owner").first()
    hops = 0
    while entity is not None and entity.merged_into_id is not None and hops < 10:
        entity = Entity.objects.filter(pk=entity.merged_into_id).select_related("owner").first()
        hops += 1
    if entity is None or not policy.allows(user, rule, entity):
        raise Http404("Not found.")
    return entity


def entities_visible_to(*, user):
    """Every entity `user` may find: all of them for network users, places for other case workers, else none."""
    entities = Entity.objects.filter(merged_into__isnull=True)
    if not policy.allows(user, "can_search_entities"):
        return entities.none()
    if policy.allows(user, "can_view_networks"):
        return entities
    return entities.filter(kind=EntityKind.PLACE)


# Search
def _compact(text: str) -> str:
    return re.sub(r"[\s\-]+", "", text).upper()


def _phone_candidates(query: str) -> list[str]:
    """Digit strings an E.164 number containing the query would contain (07700 900… is +447700 900…)."""
    digits = re.sub(r"\D", "", query)
    if len(digits) < 4 or len(digits) < len(re.sub(r"[\s\-+().]", "", query)):
        return []  # not a phone number: too short, or letters among the digits
    phone = normalise_phone(query)
    if phone.valid:
        return [phone.e164]
    if digits.startswith("00"):
        return [digits[2:]]
    if digits.startswith("0"):
        return ["44" + digits[1:], digits]
    return [digits]


def _entities_of(mentions) -> set[int]:
    """The entities of up to 500 of `mentions`, in no order: ordering them would mean sorting every match."""
    return set(
        mentions.filter(entity__isnull=False).order_by().values_list("entity_id", flat=True)[:MENTIONS_READ]
    )


def _registration_matches(compact: str) -> set[int]:
    """Vehicle entities whose mark contains the query, "?" in the query standing for any one character, or
    whose partial mark could contain it ("?" in the mark standing for any one character too)."""
    if not re.fullmatch(r"[A-Z0-9?*]{2,8}", compact):
        return set()
    compact = compact.replace("*", "?")
    # A plain LIKE where the query has no unknowns; the trigram index serves both forms on PostgreSQL.
    whole = (
        Q(registration_normalised__contains=compact)
        if "?" not in compact
        else Q(registration_normalised__regex=compact.replace("?", "."))
    )
    # Each known character of the query is that character or "?" in the mark: "AB12 CDF" could be "AB12 C??".
    could_be = "".join("." if char == "?" else f"[{char}?]" for char in compact)
    mentions = (
        VehicleMention.objects.filter(entity__isnull=False).order_by().values_list("entity_id", flat=True)
    )
    # UNION, not OR, so that each part is read through its own index (the trigram index, and the partial index on
    # partial marks): PostgreSQL reads the whole table for the OR of the two.
    return set(
        mentions.filter(whole).union(
            mentions.filter(registration_partial=True, registration_normalised__regex=could_be)
        )[:MENTIONS_READ]
    )


def entity_search(*, user, query: str, kind: str = "") -> list[Entity]:
    """Entities matching a name, nickname, registration mark or phone number, best kinds first, up to 50.

    Whole and partial marks match with or without spaces ("AB12", "C D E", "AB12 C??"); phone numbers in any format
    match the number in E.164, and a run of digits matches part of one. Every lookup is a `contains`, `icontains`
    or regular expression that PostgreSQL's trigram indexes serve (migration 0004_entity_search_indexes).
    """
    query = (query or "").strip()[:MAX_QUERY]
    if len(query) < MIN_QUERY:
        return []
    visible = entities_visible_to(user=user)
    if kind:
        visible = visible.filter(kind=kind)
    ids: set[int] = set()
    for candidate in _phone_candidates(query):
        ids |= _entities_of(PhoneMention.objects.filter(number_e164__contains=candidate))
    ids |= _registration_matches(_compact(query))
    ids |= _entities_of(PersonMention.objects.filter(Q(name__icontains=query) | Q(nickname__icontains=query)))
    for model in (PlaceMention, OrganisationMention):
        ids |= _entities_of(model.objects.filter(name__icontains=query))
    # UNION, not OR, so that PostgreSQL finds the ids by key and the labels through the trigram index.
    found = visible.filter(pk__in=ids).union(visible.filter(label__icontains=query))
    return list(found.order_by("kind", "label", "pk")[:SEARCH_LIMIT])


# An entity's record
@dataclass(frozen=True)
class MentionRow:
    """One mention of an entity: what the report said, in which report, and why resolution put it here."""

    mention: object
    kind: str
    report_kind: str
    report_id: int | None
    reference: str
    at: datetime | None
    link: MentionLink | None

    @property
    def evidence(self) -> list[str]:
        """The resolution evidence as readable lines: each field compared, how well it agreed and its weight."""
        if self.link is None or not isinstance(self.link.evidence, list):
            return []
        lines = []
        for item in self.link.evidence:
            if not isinstance(item, dict):
                lines.append(str(item)[:300])
                continue
            text = item.get("explanation") or item.get("text") or item.get("label") or ""
            field = str(item.get("field") or item.get("comparison") or "").replace("_", " ")
            level = item.get("level") or item.get("level_label") or ""
            if not text:
                text = f"{field.capitalize()}: {level}".strip(": ") if field or level else ""
            weight = item.get("weight", item.get("match_weight"))
            if isinstance(weight, int | float):
                text = f"{text} (weight {weight:+.1f})" if text else f"weight {weight:+.1f}"
            if text:
                lines.append(text[:300])
        return lines


def mentions_of(entity: Entity) -> list[MentionRow]:
    """Every mention of an entity, newest report first, with the resolution evidence where there is some."""
    rows = []
    for model, kind in MENTION_KIND.items():
        for mention in model.objects.filter(entity=entity).select_related("referral", "item", "item__agency"):
            rows.append((kind, mention))
    links = {}
    if rows:
        wanted = Q()
        for kind in {k for k, _ in rows}:
            wanted |= Q(kind=kind, mention_id__in=[m.pk for k, m in rows if k == kind])
        for link in MentionLink.objects.filter(wanted, entity=entity).order_by("created_at", "pk"):
            links[link.kind, link.mention_id] = link
    result = []
    for kind, mention in rows:
        if mention.referral_id:
            report = (
                "referral",
                mention.referral_id,
                mention.referral.reference,
                mention.referral.received_at,
            )
        elif mention.item_id:
            report = ("item", mention.item_id, mention.item.reference, mention.item.submitted_at)
        else:
            report = ("", None, "", None)
        result.append(
            MentionRow(
                mention=mention,
                kind=kind,
                report_kind=report[0],
                report_id=report[1],
                reference=report[2],
                at=report[3],
                link=links.get((kind, mention.pk)),
            )
        )
    result.sort(key=lambda r: (r.at is not None, r.at), reverse=True)
    return result


def shown_attributes(entity: Entity) -> list[tuple[str, str]]:
    """An entity's canonical attributes as label and text, leaving out ethnicity, nationality and religion."""
    shown = []
    for key, value in (entity.attributes or {}).items():
        if any(word in key.lower() for word in HIDDEN_ATTRIBUTES) or value in (None, "", [], {}):
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        shown.append((key.replace("_", " ").capitalize(), text[:300]))
    return shown


def timeline_visible_to(*, user, entity: Entity) -> list[TimelineEntry]:
    """The entity's timeline: for network users every report; for others only the referrals they may see."""
    entries = timeline_for([entity.pk])
    if policy.allows(user, "can_view_networks"):
        return entries
    visible = set(
        referral_list_visible_to(user=user)
        .filter(pk__in=[e.report_id for e in entries if e.report_kind == "referral"])
        .values_list("pk", flat=True)
    )
    return [e for e in entries if e.report_kind == "referral" and e.report_id in visible]


def visible_referral_ids(*, user, ids) -> set[int]:
    """Which of these referrals the user may open."""
    return set(referral_list_visible_to(user=user).filter(pk__in=list(ids)).values_list("pk", flat=True))


@dataclass(frozen=True)
class Month:
    """Concerns about a place in one calendar month."""

    month: datetime
    count: int
    entries: list[TimelineEntry]


def concerns_by_month(entries: list[TimelineEntry]) -> list[Month]:
    """Concerns grouped by calendar month, newest first, with every month between the first and last (even empty)."""
    if not entries:
        return []
    groups: dict[tuple[int, int], list[TimelineEntry]] = defaultdict(list)
    for entry in entries:
        groups[entry.at.year, entry.at.month].append(entry)
    first, last = min(groups), max(groups)
    months = []
    year, month = last
    while (year, month) >= first:
        found = groups.get((year, month), [])
        months.append(Month(month=datetime(year, month, 1), count=len(found), entries=found))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


# Networks and paths
@dataclass
class NetworkView:
    """A network ready to show or export: entities, links with their reasons, and centrality."""

    centre: Entity
    entities: dict[int, Entity]
    links: list[dict]
    subgraph: object
    degree: int | None = None  # the centre's links in the whole graph, not only in the view

    @cached_property
    def rows(self) -> list[dict]:
        """One row per entity: the entity and its measures, most central first (worked out once per view)."""
        measures = self.subgraph.measures
        rows = [
            {"entity": self.entities[i], "measures": measures[i]}
            for i in self.subgraph.nodes
            if i in self.entities
        ]
        rows.sort(key=lambda r: (-r["measures"].betweenness, -r["measures"].degree, r["entity"].pk))
        return rows

    @cached_property
    def link_rows(self) -> list[dict]:
        """The links with the two entities they join (`a`, `b`) (worked out once per view)."""
        return [
            {**link, "a": self.entities[link["source"]], "b": self.entities[link["target"]]}
            for link in self.links
            if link["source"] in self.entities and link["target"] in self.entities
        ]


def _links(pairs: list[tuple[int, int]]) -> list[dict]:
    reasons = edge_reasons(pairs)
    # What get_kind_display() says, looked up once for all the links rather than once for each association.
    labels = {value: str(label) for value, label in AssociationKind.choices}
    links = []
    for (a, b), associations in sorted(reasons.items()):
        links.append(
            {
                "source": a,
                "target": b,
                "kinds": [x.kind for x in associations],
                "reasons": [labels.get(x.kind, x.kind) for x in associations],
                "weight": sum(x.weight for x in associations),
                "first_seen": min((x.first_seen for x in associations if x.first_seen), default=None),
                "last_seen": max((x.last_seen for x in associations if x.last_seen), default=None),
                "associations": associations,
            }
        )
    return links


def network_for(*, user, entity: Entity, scope: str = "component") -> NetworkView:
    """The network of an entity the user may see the network of (checked again here), with reasons for each link."""
    policy.require(user, "can_view_entity_network", entity)
    graph = association_graph()
    subgraph = network_of(entity.pk, scope=scope, graph=graph)
    entities = Entity.objects.in_bulk(subgraph.nodes)
    return NetworkView(
        centre=entity,
        entities=entities,
        links=_links(subgraph.edges),
        subgraph=subgraph,
        degree=graph.degree(entity.pk),
    )


@dataclass
class PathsView:
    """The shortest path and the paths of up to four hops between two entities, with each link's reasons."""

    source: Entity
    target: Entity
    shortest: list[Entity] | None
    paths: list[list[Entity]]
    more: bool
    links: dict[tuple[int, int], dict]

    @property
    def entity_ids(self) -> list[int]:
        """Every entity on the paths shown."""
        ids = {e.pk for e in self.shortest or []}
        for path in self.paths:
            ids |= {e.pk for e in path}
        return sorted(ids)

    @property
    def steps_shortest(self) -> list[dict]:
        """The links along the shortest path."""
        return self.steps(self.shortest or [])

    def steps(self, path: list[Entity]) -> list[dict]:
        """The links along a path, each with the two entities and why they are linked."""
        return [
            {"from": a, "to": b, "link": self.links.get((min(a.pk, b.pk), max(a.pk, b.pk)))}
            for a, b in pairwise(path)
        ]


def paths_between(*, user, source: Entity, target: Entity, max_hops: int = 4) -> PathsView:
    """Paths between two entities the user may see the networks of."""
    policy.require(user, "can_view_entity_network", source)
    policy.require(user, "can_view_entity_network", target)
    graph = association_graph()
    shortest_ids = graph.shortest_path(source.pk, target.pk)
    path_ids, more = graph.simple_paths(source.pk, target.pk, max_hops=max_hops)
    ids = set(shortest_ids or []) | {i for p in path_ids for i in p}
    entities = Entity.objects.in_bulk(ids)
    pairs = set()
    for p in [shortest_ids or []] + path_ids:
        pairs |= {(min(a, b), max(a, b)) for a, b in pairwise(p)}
    links = {(x["source"], x["target"]): x for x in _links(list(pairs))}
    return PathsView(
        source=source,
        target=target,
        shortest=[entities[i] for i in shortest_ids] if shortest_ids else None,
        paths=[[entities[i] for i in p] for p in path_ids],
        more=more,
        links=links,
    )


@dataclass(frozen=True)
class NetworkSummary:
    """Aggregate figures about the association graph: no entity named."""

    entities: int
    linked_entities: int
    links: int
    networks: int
    largest: int
    sizes: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]


def network_summary(*, user) -> NetworkSummary:
    """How many entities and networks there are and how large, for network users and the partnership lead."""
    policy.require(user, "can_view_network_summary")
    graph = association_graph()
    sizes = graph.component_sizes()
    bands = [
        ("2", 2, 2),
        ("3 to 5", 3, 5),
        ("6 to 20", 6, 20),
        ("21 to 100", 21, 100),
        ("more than 100", 101, None),
    ]
    by_band = [
        (label, sum(1 for s in sizes if s >= low and (high is None or s <= high)))
        for label, low, high in bands
    ]
    counts = {k: 0 for k in EntityKind.values}
    for kind, count in _kind_counts():
        counts[kind] = count
    return NetworkSummary(
        entities=sum(counts.values()),
        linked_entities=graph.node_count,
        links=graph.edge_count,
        networks=len(sizes),
        largest=sizes[0] if sizes else 0,
        sizes=by_band,
        by_kind=[(EntityKind(k).label, v) for k, v in counts.items()],
    )


def _kind_counts():
    from django.db.models import Count

    return (
        Entity.objects.filter(merged_into__isnull=True).values_list("kind").annotate(n=Count("pk")).order_by()
    )
