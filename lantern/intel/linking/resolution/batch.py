"""Batch resolution over the whole store (`lantern link`, and nightly in the worker).

People: train a Fellegi-Sunter model with Splink on every person mention, predict blocked pairs, cluster them
bound by analysts' decisions, save the model as a new version. Vehicles, phones, places and organisations: exact
normalised keys, with partial marks joined to the one full mark they fit. Then every mention's entity, its
evidence (MentionLink), the shared blocking index (BlockingKey), the association graph and the networks are
written again. Entities keep their ids across runs where their mentions stay together, so owners, alerts and
links to entity pages survive.
"""

import logging
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lantern.intel.linking import hooks
from lantern.intel.linking.models import (
    Association,
    AssociationKind,
    BlockingKey,
    DecisionKind,
    Entity,
    EntityKind,
    LinkageModel,
    MentionLink,
    ResolutionDecision,
    ResolutionMethod,
)
from lantern.intel.linking.resolution import cluster, kinds, model, person

logger = logging.getLogger(__name__)

MIN_TO_TRAIN = 50
BATCH_SIZE = 2000


@dataclass
class Outcome:
    """What one kind's batch run did."""

    kind: str
    mentions: int = 0
    entities: int = 0
    pairs: int = 0
    seconds: float = 0.0
    model_version: int | None = None
    notes: list[str] = field(default_factory=list)


def decisions_for(kind: str) -> tuple[list[tuple], list[tuple]]:
    """(must-link pairs, cannot-link pairs) from analysts' decisions in force for this kind."""
    must, cannot = [], []
    for decision in ResolutionDecision.objects.filter(kind=kind, withdrawn_at__isnull=True).order_by(
        "decided_at"
    ):
        if decision.decision == DecisionKind.CONFIRM and decision.other_mention_id:
            must.append((decision.mention_id, decision.other_mention_id))
        elif decision.decision == DecisionKind.REJECT and decision.other_mention_id:
            cannot.append((decision.mention_id, decision.other_mention_id))
        elif decision.decision == DecisionKind.SPLIT:
            cannot.extend((decision.mention_id, other) for other in decision.other_mention_ids or [])
    # A later rejection overrides an earlier confirmation of the same pair, and the other way round.
    latest = {}
    for decision in ResolutionDecision.objects.filter(
        kind=kind,
        withdrawn_at__isnull=True,
        decision__in=[DecisionKind.CONFIRM, DecisionKind.REJECT],
    ).order_by("decided_at", "pk"):
        latest[frozenset((decision.mention_id, decision.other_mention_id))] = decision.decision
    must = [p for p in must if latest.get(frozenset(p)) == DecisionKind.CONFIRM]
    cannot = [p for p in cannot if latest.get(frozenset(p), DecisionKind.REJECT) != DecisionKind.CONFIRM]
    return must, cannot


def current_model(kind: str = EntityKind.PERSON) -> LinkageModel | None:
    """The model real time scores with."""
    return LinkageModel.objects.filter(kind=kind, is_current=True).order_by("-version").first()


def save_model(
    trained: model.Trained, *, kind: str, mentions: int, summary: dict, now: datetime
) -> LinkageModel:
    """Save a trained model as the next version and make it the current one."""
    version = (LinkageModel.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    LinkageModel.objects.filter(kind=kind, is_current=True).update(is_current=False)
    return LinkageModel.objects.create(
        kind=kind,
        version=version,
        trained_at=now,
        mentions_trained_on=mentions,
        threshold=trained.threshold,
        strong_threshold=model.STRONG_THRESHOLD,
        settings_json=trained.settings,
        term_frequencies=trained.tf,
        summary={**summary, "fingerprint": uuid.uuid4().hex},
        is_current=True,
    )


def scorer_for(linkage: LinkageModel | None) -> model.Scorer:
    """A pure-Python scorer for a saved model, or for the starting parameters when none is saved yet."""
    if linkage is None:
        return model.Scorer(model.starting_settings(), {}, model.DEFAULT_THRESHOLD)
    return model.Scorer(
        linkage.settings_json, linkage.term_frequencies, linkage.threshold, linkage.strong_threshold
    )


# People
def link_people(*, now: datetime, train: bool = True, engine: str | None = None) -> Outcome:
    """Resolve every person mention, training on `engine` (DuckDB or Spark; the LANTERN_LINK_ENGINE setting by
    default); returns what was done."""
    started = time.perf_counter()
    outcome = Outcome(kind=EntityKind.PERSON)
    rows = list(kinds.MODELS[EntityKind.PERSON].objects.values(*kinds.PERSON_FIELDS))
    outcome.mentions = len(rows)
    if not rows:
        return outcome
    feats = {row["id"]: person.features(kinds.person_record(row)) for row in rows}
    linkage = current_model()
    if train and len(rows) >= MIN_TO_TRAIN:
        trained = model.train(feats.values(), engine=engine)
        # Pairs come from the engine as Arrow batches into arrays, not as a frame or a list of tuples.
        pairs = cluster.Pairs.from_batches(model.predicted_pairs(trained))
        trained.close()
        linkage = save_model(
            trained, kind=EntityKind.PERSON, mentions=len(rows), now=now, summary={"pairs": len(pairs)}
        )
        outcome.model_version = linkage.version
        outcome.notes.append(f"Trained and predicted on {model.engine_or_default(engine)}.")
    else:
        # Too few mentions to learn from: score the blocked pairs with the saved (or starting) parameters.
        outcome.notes.append("Too few mentions to train; scored with the saved model.")
        scorer = scorer_for(linkage)
        scored = []
        for a, b in blocked_pairs(feats):
            probability, _weight, _ = scorer.score(feats[a], feats[b])
            if probability >= scorer.threshold:
                scored.append((a, b, probability))
        pairs = cluster.Pairs.of(scored)
    scorer = scorer_for(linkage)
    must, cannot = decisions_for(EntityKind.PERSON)
    assignment = cluster.cluster(
        feats.keys(),
        pairs,
        strong=linkage.strong_threshold if linkage else model.STRONG_THRESHOLD,
        must_link=must,
        cannot_link=cannot,
        judge=model.Judge(scorer, feats.__getitem__),
    )
    outcome.pairs = len(pairs)
    best = _best_links(pairs, assignment)
    confirmed = {frozenset(p) for p in must}
    links = []
    for mention_id, (other, probability) in best.items():
        if other is None:
            links.append((mention_id, None, ResolutionMethod.NEW, None, None, []))
            continue
        if frozenset((mention_id, other)) in confirmed:
            links.append((mention_id, other, ResolutionMethod.ANALYST, 1.0, None, []))
            continue
        p, weight, evidence = scorer.score(feats[mention_id], feats[other], explain=True)
        links.append((mention_id, other, ResolutionMethod.BATCH, probability, weight, evidence))
    keys = {mid: person.blocking_keys(f) for mid, f in feats.items()}
    outcome.entities = _persist(EntityKind.PERSON, rows, assignment, links, keys, linkage)
    outcome.seconds = time.perf_counter() - started
    return outcome


def blocked_pairs(feats: dict) -> set[tuple]:
    """Every pair of mentions that share a blocking key (for small runs scored in Python)."""
    by_key = defaultdict(list)
    for mention_id, f in feats.items():
        for key in person.blocking_keys(f):
            by_key[key].append(mention_id)
    out = set()
    for members in by_key.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                out.add((min(a, b), max(a, b)))
    return out


def _best_links(pairs: cluster.Pairs, assignment: dict) -> dict:
    """For each mention, the mention in its own cluster it matched most strongly (None when alone); of equal
    ones, the first in the pairs' strongest-first order."""
    import numpy as np

    members = np.fromiter(assignment.keys(), dtype=np.int64, count=len(assignment))
    labels = np.fromiter(assignment.values(), dtype=np.int64, count=len(assignment))
    order = np.argsort(members)
    members, labels = members[order], labels[order]
    ranked = pairs.strongest_first()
    left, right, probability = pairs.left[ranked], pairs.right[ranked], pairs.probability[ranked]
    same = labels[np.searchsorted(members, left)] == labels[np.searchsorted(members, right)]
    left, right, probability = left[same], right[same], probability[same]
    # Each pair both ways; for each mention its strongest partner, the earlier pair of equal ones.
    mention, other = np.concatenate([left, right]), np.concatenate([right, left])
    strength, rank = np.concatenate([probability, probability]), np.tile(np.arange(len(left)), 2)
    order = np.lexsort((rank, -strength, mention))
    mention, other, strength = mention[order], other[order], strength[order]
    first = np.ones(len(mention), dtype=bool)
    first[1:] = mention[1:] != mention[:-1]
    partners = zip(other[first].tolist(), strength[first].tolist(), strict=True)
    best = dict(zip(mention[first].tolist(), partners, strict=True))
    for mention_id in assignment:
        best.setdefault(mention_id, (None, None))
    return best


# Vehicles, phones, places and organisations
def link_simple(kind: str) -> Outcome:
    """Resolve one of the simpler kinds by exact normalised keys (and partial marks, for vehicles)."""
    started = time.perf_counter()
    outcome = Outcome(kind=kind)
    mention_model = kinds.MODELS[kind]
    rows = list(mention_model.objects.values())
    outcome.mentions = len(rows)
    if not rows:
        return outcome
    clusters = cluster.Clusters([r["id"] for r in rows], decisions_for(kind)[1])
    index_keys, lookups, first_by_key = _simple_keys(kind, rows)
    for a, b in decisions_for(kind)[0]:
        if a in clusters.parent and b in clusters.parent:
            clusters.join(a, b, force=True)
    links = _join_on_keys(rows, lookups, first_by_key, clusters)
    assignment = {member: min(members) for members in clusters.groups().values() for member in members}
    link_rows = _simple_link_rows(rows, index_keys, links)
    keep = {r[0] for r in link_rows}
    rows = [r for r in rows if r["id"] in keep]
    assignment = {m: c for m, c in assignment.items() if m in keep}
    outcome.entities = _persist(kind, rows, assignment, link_rows, index_keys, None)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _simple_keys(kind: str, rows: list[dict]) -> tuple[dict, dict, dict]:
    """Each mention's index keys and the keys it looks up, and the mentions under each index key in order."""
    index_keys, lookups, first_by_key = {}, {}, {}
    for row in rows:
        index, lookup = kinds.keys_for(kind, row)
        index_keys[row["id"]], lookups[row["id"]] = index, lookup
        for key in index:
            first_by_key.setdefault(key, []).append(row["id"])
    return index_keys, lookups, first_by_key


def _join_on_keys(rows: list[dict], lookups: dict, first_by_key: dict, clusters: cluster.Clusters) -> dict:
    """Join the mentions that share a key; for each mention, the first mention it joined and by which key."""
    links = {}
    value_of = {r["id"]: r.get("registration_normalised") or r.get("number_e164") for r in rows}
    for row in rows:
        mention_id = row["id"]
        for key in lookups[mention_id]:
            matches = [m for m in first_by_key.get(key, []) if m != mention_id]
            if not matches:
                continue
            if key.partition(":")[0] in kinds.AMBIGUOUS_RULES and len({value_of[m] for m in matches}) != 1:
                continue  # A partial mark or number joins a whole one only when it fits exactly one.
            for other in matches:
                if clusters.join(mention_id, other):
                    links.setdefault(mention_id, (other, key))
    return links


def _simple_link_rows(rows: list[dict], index_keys: dict, links: dict) -> list[tuple]:
    """Each mention's link to the mention it joined (or that joined it), or as new; a keyless loner has none."""
    linked_from = {}
    for m, (o, _k) in links.items():
        linked_from.setdefault(o, m)
    link_rows = []
    for row in rows:
        mention_id = row["id"]
        if not index_keys[mention_id] and mention_id not in links:
            continue
        other, key = links.get(mention_id, (None, None))
        if other is None:
            # Its cluster's first mention: linked from the others.
            partner = linked_from.get(mention_id)
            if partner is None:
                link_rows.append((mention_id, None, ResolutionMethod.NEW, None, None, []))
                continue
            other, key = partner, links[partner][1]
        link_rows.append(
            (
                mention_id,
                other,
                ResolutionMethod.BATCH,
                kinds.SIMPLE_PROBABILITY.get(key.partition(":")[0], 1.0),
                None,
                [simple_evidence(key)],
            )
        )
    return link_rows


def simple_evidence(key: str) -> dict:
    """The evidence for an exact-key match, readable."""
    rule, _, value = key.partition(":")
    text = {
        "plate": f"Same registration mark {value}",
        "mask": f"Partial registration mark {value} fits only one known vehicle",
        "partial": f"Same partial registration mark {value}",
        "phone": f"Same phone number {value}",
        "phone_unallocated": f"Same phone number {value}, which is not an allocated number",
        "phone_partial": f"Same partial phone number {value}",
        "phone_prefix": f"Partial phone number {value} is the start of only one known number",
        "place": f"Same place '{value}'",
        "org": f"Same business '{value}'",
    }.get(rule, key)
    level = {"mask": "partial", "phone_prefix": "partial", "phone_partial": "partial"}.get(rule, "exact")
    if rule == "phone_unallocated":
        level = "not allocated"
    return {
        "field": rule,
        "level": level,
        "left": value,
        "right": value,
        "weight": None,
        "text": text,
    }


# Writing the result
def _persist(
    kind: str,
    rows: list[dict],
    assignment: dict,
    links: list[tuple],
    keys: dict,
    linkage: LinkageModel | None,
) -> int:
    """Write entities, each mention's entity and evidence, and the blocking index, for one kind."""
    mention_model = kinds.MODELS[kind]
    rows_by_id = {r["id"]: r for r in rows}
    members = defaultdict(list)
    for mention_id, label in assignment.items():
        members[label].append(mention_id)
    with transaction.atomic():
        # Keep each entity's id with the cluster that holds most of its mentions.
        previous = {r["id"]: r["entity_id"] for r in rows}
        claimed: dict[int, int] = {}
        order = sorted(members.items(), key=lambda item: -len(item[1]))
        entity_of_cluster = {}
        for label, mention_ids in order:
            counts = Counter(previous[m] for m in mention_ids if previous.get(m))
            for entity_id, _count in counts.most_common():
                if entity_id not in claimed:
                    claimed[entity_id] = label
                    entity_of_cluster[label] = entity_id
                    break
        existing = Entity.objects.in_bulk(list(entity_of_cluster.values()))
        to_create, to_update = [], []
        for label, mention_ids in members.items():
            mention_rows = [rows_by_id[m] for m in mention_ids]
            text, attributes = kinds.label_for(kind, mention_rows), kinds.attributes_for(kind, mention_rows)
            entity = existing.get(entity_of_cluster.get(label))
            if entity is None:
                entity = Entity(kind=kind, label=text, attributes=attributes)
                to_create.append((label, entity))
            else:
                entity.label, entity.attributes, entity.merged_into_id = text, attributes, None
                to_update.append(entity)
        Entity.objects.bulk_create([e for _l, e in to_create], batch_size=BATCH_SIZE)
        for label, entity in to_create:
            entity_of_cluster[label] = entity.pk
        Entity.objects.bulk_update(to_update, ["label", "attributes", "merged_into"], batch_size=BATCH_SIZE)
        # Entities that lost every mention point at the one that took most of them.
        orphaned = set(previous.values()) - set(entity_of_cluster.values()) - {None}
        for entity_id in orphaned:
            taken = Counter(
                entity_of_cluster[assignment[m]]
                for m, e in previous.items()
                if e == entity_id and m in assignment
            )
            Entity.objects.filter(pk=entity_id).update(
                merged_into_id=taken.most_common(1)[0][0] if taken else None
            )
        entity_of = {m: entity_of_cluster[label] for m, label in assignment.items()}
        changed = [mention_model(pk=m, entity_id=e) for m, e in entity_of.items() if previous.get(m) != e]
        mention_model.objects.bulk_update(changed, ["entity"], batch_size=BATCH_SIZE)
        # Evidence: replace what batch and real time said; analysts' links stand.
        MentionLink.objects.filter(kind=kind).exclude(method=ResolutionMethod.ANALYST).delete()
        MentionLink.objects.bulk_create(
            [
                MentionLink(
                    kind=kind,
                    mention_id=m,
                    entity_id=entity_of[m],
                    matched_mention_id=other,
                    method=method,
                    match_probability=probability,
                    match_weight=weight,
                    evidence=evidence,
                    model=linkage,
                )
                for m, other, method, probability, weight, evidence in links
                if m in entity_of
            ],
            batch_size=BATCH_SIZE,
        )
        BlockingKey.objects.filter(kind=kind).delete()
        BlockingKey.objects.bulk_create(
            [
                BlockingKey(kind=kind, key=key[:120], mention_id=m, entity_id=entity_of.get(m))
                for m, mention_keys in keys.items()
                if m in entity_of
                for key in mention_keys
            ],
            batch_size=BATCH_SIZE,
        )
    return len(members)


# The association graph and its networks
def report_entities() -> dict[tuple, dict]:
    """(report kind, report id) -> {"when": datetime, "entities": {entity id: entity kind}}, from every mention."""
    reports: dict[tuple, dict] = {}
    for kind, mention_model in kinds.MODELS.items():
        for row in mention_model.objects.filter(entity__isnull=False).values(
            "entity_id",
            "referral_id",
            "item_id",
            "referral__received_at",
            "item__submitted_at",
        ):
            key = ("referral", row["referral_id"]) if row["referral_id"] else ("item", row["item_id"])
            if key[1] is None:
                continue
            report = reports.setdefault(
                key, {"when": row["referral__received_at"] or row["item__submitted_at"], "entities": {}}
            )
            report["entities"][row["entity_id"]] = kind
    return reports


def edges_from_reports(reports: dict) -> dict[tuple, dict]:
    """(source, target, association kind) -> {"weight", "first", "last"}: co-mention, shared vehicle and phone."""
    edges: dict[tuple, dict] = {}

    def add(a: int, b: int, kind: str, when) -> None:
        if a == b:
            return
        key = (min(a, b), max(a, b), kind)
        edge = edges.setdefault(key, {"weight": 0, "first": when, "last": when})
        edge["weight"] += 1
        if when and (edge["first"] is None or when < edge["first"]):
            edge["first"] = when
        if when and (edge["last"] is None or when > edge["last"]):
            edge["last"] = when

    people_with = defaultdict(set)
    for report in reports.values():
        entities = sorted(report["entities"])
        for i, a in enumerate(entities):
            for b in entities[i + 1 :]:
                add(a, b, AssociationKind.CO_MENTION, report["when"])
        persons = [e for e, k in report["entities"].items() if k == EntityKind.PERSON]
        for e, k in report["entities"].items():
            if k in (EntityKind.VEHICLE, EntityKind.PHONE):
                for p in persons:
                    people_with[(e, k)].add((p, report["when"]))
    for (_thing, kind), people in people_with.items():
        association = (
            AssociationKind.SHARED_VEHICLE if kind == EntityKind.VEHICLE else AssociationKind.SHARED_PHONE
        )
        seen = sorted(people, key=lambda pw: pw[0])
        for i, (a, when_a) in enumerate(seen):
            for b, when_b in seen[i + 1 :]:
                if a != b:
                    add(a, b, association, max(filter(None, (when_a, when_b)), default=None))
    return edges


def rebuild_graph() -> dict:
    """Write the association graph again from every report (analysts' associations stand) and number networks."""
    edges = edges_from_reports(report_entities())
    with transaction.atomic():
        Association.objects.exclude(kind=AssociationKind.ANALYST).delete()
        Association.objects.bulk_create(
            [
                Association(
                    source_id=a,
                    target_id=b,
                    kind=kind,
                    weight=e["weight"],
                    first_seen=e["first"],
                    last_seen=e["last"],
                )
                for (a, b, kind), e in edges.items()
            ],
            batch_size=BATCH_SIZE,
        )
        networks = renumber_networks()
        # Associations were deleted and written again: what follows them (the network's graph) acts on commit.
        transaction.on_commit(hooks.associations_changed)
    return {"edges": len(edges), "networks": networks}


def renumber_networks() -> int:
    """Set every entity's network to its component of the association graph (2 or more entities), else none.

    Places are left out: a place named in reports about many unrelated people would join them all into one
    network (see `realtime.resolve_report`).
    """
    pairs = (
        Association.objects.exclude(source__kind=EntityKind.PLACE)
        .exclude(target__kind=EntityKind.PLACE)
        .values_list("source_id", "target_id")
    )
    ids = set()
    edges = []
    for a, b in pairs.iterator():
        ids.update((a, b))
        edges.append((a, b))
    components = cluster.Clusters(ids)
    for a, b in edges:
        components.join(a, b)
    network_of = {}
    for members in components.groups().values():
        label = min(members)
        for member in members:
            network_of[member] = label
    Entity.objects.exclude(pk__in=list(network_of)).exclude(network=None).update(network=None)
    by_network = defaultdict(list)
    for entity_id, network in network_of.items():
        by_network[network].append(entity_id)
    for network, members in by_network.items():
        for start in range(0, len(members), BATCH_SIZE):
            Entity.objects.filter(pk__in=members[start : start + BATCH_SIZE]).exclude(network=network).update(
                network=network
            )
    return len(by_network)


def link_all(
    *, now: datetime | None = None, kinds_to_link=None, train: bool = True, engine: str | None = None
) -> list[Outcome]:
    """Resolve every kind (people on `engine`), then rebuild the graph; returns what each kind's run did."""
    now = now or timezone.now()
    engine = model.engine_or_default(engine)
    outcomes = []
    for kind in kinds_to_link or list(EntityKind):
        if kind == EntityKind.PERSON:
            outcomes.append(link_people(now=now, train=train, engine=engine))
        else:
            outcomes.append(link_simple(kind))
    graph = rebuild_graph()
    outcomes.append(Outcome(kind="graph", entities=graph["networks"], pairs=graph["edges"]))
    _tell_listeners(now=now)
    return outcomes


def _tell_listeners(*, now: datetime) -> None:
    """Tell each room listening for finished resolutions (casework's safeguarding conflicts), each in its own
    transaction."""
    for listener in hooks.resolution_listeners():
        try:
            with transaction.atomic():
                listener(now=now)
        except Exception:  # noqa: BLE001 - another room's failure must not undo resolution
            logger.exception("A listener for finished batch resolution failed")
