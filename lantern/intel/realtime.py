"""Real-time matching: each new referral or intelligence item is resolved the moment it is committed.

Its mentions are looked up in the shared blocking index (`BlockingKey`, in the database, so every web and worker
process sees the same index), scored in pure Python with the current batch model's parameters, and attached to
the best entity above the threshold or to a new one; the evidence is kept. The report's entities are then joined
in the association graph, networks are renumbered where they meet, and a link alert goes to the owning analyst
when a mention joins an entity in a known network or the report links two networks.

Nothing here may break or delay the report itself. `report_committed` is called once the report has committed and
puts its matching on the task queue, so the web request that saved it answers at once and the background worker
(which polls twice a second) matches it and raises its alerts moments later; `report_received` does the work and
logs, never raises. Bulk loads (the demo's history) match in their own process inside `matching_inline()`.
"""

import contextlib
import contextvars
import functools
import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from lantern.intel.models import (
    AlertKind,
    Association,
    AssociationKind,
    BlockingKey,
    Entity,
    EntityKind,
    LinkAlert,
    LinkageModel,
    MentionLink,
    ResolutionDecision,
    ResolutionMethod,
)
from lantern.intel.resolution import batch, kinds, model, person

logger = logging.getLogger(__name__)

CANDIDATE_LIMIT = 300
ALERT_WINDOW = timedelta(days=7)
SIMPLE_PROBABILITY = {"plate": 1.0, "phone": 1.0, "place": 1.0, "org": 1.0, "partial": 0.95, "mask": 0.9}


_INLINE = contextvars.ContextVar("lantern_matching_inline", default=False)


@contextlib.contextmanager
def matching_inline():
    """Match reports committed inside this block in the calling process, not on the queue (bulk loads)."""
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


def report_committed(*, referral=None, item=None) -> None:
    """A referral or item has committed: queue its real-time matching (or match now, inside `matching_inline`)."""
    if not _INLINE.get():
        from lantern.intel.tasks import match_report

        try:
            match_report.enqueue(referral_id=referral.pk if referral is not None else None,
                                 item_id=item.pk if item is not None else None)
            return
        except Exception:  # noqa: BLE001 - a queue that refuses the task must not lose the matching
            logger.exception("Could not queue real-time matching for %s; matching it now", referral or item)
    report_received(referral=referral, item=item)


def report_received(*, referral=None, item=None) -> None:
    """A referral or item has been committed: resolve its mentions and raise any link alerts. Never raises."""
    try:
        resolve_report(referral=referral, item=item, now=timezone.now())
    except Exception:  # noqa: BLE001 - matching must never break or delay the report itself
        logger.exception("Real-time matching failed for %s", referral or item)


@functools.lru_cache(maxsize=4)
def _scorer(model_id: int | None, fingerprint: str) -> model.Scorer:
    return batch.scorer_for(LinkageModel.objects.filter(pk=model_id).first() if model_id else None)


def current_scorer() -> tuple[model.Scorer, LinkageModel | None]:
    """The scorer of the current person model, cached per process by the model's id and fingerprint."""
    linkage = LinkageModel.objects.filter(kind=EntityKind.PERSON, is_current=True).only("pk", "summary").order_by(
        "-version").first()
    if linkage is None:
        return _scorer(None, ""), None
    return _scorer(linkage.pk, str((linkage.summary or {}).get("fingerprint", ""))), linkage


def _report_filter(referral, item) -> Q:
    return Q(referral=referral) if referral is not None else Q(item=item)


def _cannot_link(kind: str, mention_id: int) -> set[int]:
    """Mentions an analyst has said this one is not (for a mention resolved again)."""
    out = set()
    for decision in ResolutionDecision.objects.filter(kind=kind, withdrawn_at__isnull=True).filter(
        Q(mention_id=mention_id) | Q(other_mention_id=mention_id)
    ).exclude(decision="confirm"):
        out.update({decision.mention_id, decision.other_mention_id, *(decision.other_mention_ids or [])})
    out.discard(mention_id)
    out.discard(None)
    return out


def match_person(row: dict, scorer: model.Scorer) -> tuple:
    """(entity id, matched mention id, probability, weight, evidence, keys, other entities it strongly matches)
    for a person mention row."""
    feats = person.features(kinds.person_record(row))
    keys = person.blocking_keys(feats)
    if not keys:
        return None, None, None, None, [], keys, set()
    # The candidates sharing most keys first: a true match shares several (name, date of birth, ...), so scoring
    # the best few hundred bounds the time a common name can take without losing it.
    candidates = list(
        BlockingKey.objects.filter(kind=EntityKind.PERSON, key__in=keys).exclude(mention_id=row["id"])
        .exclude(entity=None).values("mention_id", "entity_id").annotate(shared=Count("id"))
        .order_by("-shared", "-mention_id").values_list("mention_id", "entity_id")[:CANDIDATE_LIMIT]
    )
    if not candidates:
        return None, None, None, None, [], keys, set()
    entity_of = dict(candidates)
    banned = _cannot_link(EntityKind.PERSON, row["id"])
    best = (None, None, -1.0, None)
    strong, weak = set(), set()
    others = {}
    for other in kinds.MODELS[EntityKind.PERSON].objects.filter(pk__in=list(entity_of)).values(*kinds.PERSON_FIELDS):
        if other["id"] in banned:
            continue
        others[other["id"]] = other_feats = person.features(kinds.person_record(other))
        probability, weight, _ = scorer.score(feats, other_feats)
        if probability > best[2]:
            best = (entity_of[other["id"]], other["id"], probability, weight)
        if probability >= scorer.strong_threshold:
            strong.add(entity_of[other["id"]])
        elif probability >= scorer.threshold:
            weak.add(entity_of[other["id"]])
    entity_id, other_id, probability, weight = best
    if entity_id is None or probability < scorer.threshold:
        return None, None, None, None, [], keys, set()
    if banned and _entity_holds_any(entity_id, banned):
        return None, None, None, None, [], keys, set()
    _p, _w, evidence = scorer.score(feats, others[other_id], explain=True)
    # As in batch, a weak link brings a lone mention into a cluster: earlier mentions left alone join too.
    weak -= strong | {entity_id}
    lone = set()
    if weak:
        lone = {e for e, n in kinds.MODELS[EntityKind.PERSON].objects.filter(entity_id__in=weak).values(
            "entity_id").annotate(n=Count("id")).values_list("entity_id", "n") if n == 1}
    return entity_id, other_id, probability, weight, evidence, keys, (strong | lone) - {entity_id}


def _entity_holds_any(entity_id: int, mention_ids: set[int]) -> bool:
    return kinds.MODELS[EntityKind.PERSON].objects.filter(entity_id=entity_id, pk__in=mention_ids).exists()


def match_simple(kind: str, row: dict) -> tuple[int | None, int | None, float | None, list, list[str]]:
    """(entity id, matched mention id, probability, evidence, keys to index) for a vehicle, phone, place or org."""
    if kind == EntityKind.VEHICLE:
        index, lookup = kinds.vehicle_keys(row["registration_normalised"], row["registration_partial"])
    else:
        index = lookup = kinds.simple_keys(kind, row)
    banned = _cannot_link(kind, row["id"])
    for key in lookup:
        hits = list(BlockingKey.objects.filter(kind=kind, key=key).exclude(mention_id=row["id"])
                    .exclude(entity=None).values_list("mention_id", "entity_id")[:CANDIDATE_LIMIT])
        hits = [(m, e) for m, e in hits if m not in banned]
        entities = {e for _m, e in hits}
        if len(entities) == 1:
            mention_id, entity_id = hits[0]
            rule = key.split(":", 1)[0]
            return entity_id, mention_id, SIMPLE_PROBABILITY.get(rule, 1.0), [batch.simple_evidence(key)], index
    return None, None, None, [], index


@transaction.atomic
def resolve_report(*, referral=None, item=None, now: datetime) -> list[LinkAlert]:
    """Attach every unresolved mention of the report, update the graph and networks, raise link alerts."""
    if referral is None and item is None:
        return []
    scorer, linkage = current_scorer()
    report = _report_filter(referral, item)
    when = getattr(referral, "received_at", None) or getattr(item, "submitted_at", None) or now
    matched = []  # (mention kind, mention row, entity, matched mention id, evidence, probability)
    entities: dict[int, str] = {}
    for kind, mention_model in kinds.MODELS.items():
        fields = kinds.PERSON_FIELDS if kind == EntityKind.PERSON else ()
        for row in mention_model.objects.filter(report).values(*fields):
            if row["entity_id"] is None:
                found = attach(kind, row, scorer=scorer, linkage=linkage)
                if found is not None:
                    matched.append(found)
            if row["entity_id"] is not None:
                entities[row["entity_id"]] = kind
    before = dict(Entity.objects.filter(pk__in=list(entities)).values_list("pk", "network"))
    sizes = _network_sizes({n for n in before.values() if n})
    touched = _add_edges(entities, when)
    # Places are hubs (one takeaway is named in reports about many unrelated people), so they belong to no network
    # and never join two; recurring places are the cross-agency signal's and the place page's business.
    networked = {e for e, k in entities.items() if k != EntityKind.PLACE}
    _merge_networks(networked | touched,
                    known={e: n for e, n in before.items() if e in networked} if not touched else None)
    alerts = _raise_alerts(referral=referral, item=item, matched=matched, before=before, sizes=sizes, when=when,
                           now=now)
    _signals(list(entities), now)
    return alerts


def attach(kind: str, row: dict, *, scorer: model.Scorer, linkage: LinkageModel | None):
    """Attach one unresolved mention (a `.values()` row) to its best entity or a new one, with its evidence and
    blocking keys (the row's entity_id is set); returns (kind, row, entity, matched mention id, evidence,
    probability) when it matched an existing entity."""
    also = set()
    if kind == EntityKind.PERSON:
        entity_id, other_id, probability, weight, evidence, keys, also = match_person(row, scorer)
    else:
        entity_id, other_id, probability, evidence, keys = match_simple(kind, row)
        weight = None
        if not keys:
            return None
    found = None
    if entity_id is None:
        entity = Entity.objects.create(
            kind=kind, label=kinds.label_for(kind, [row]), attributes=kinds.attributes_for(kind, [row]))
        method = ResolutionMethod.NEW
    else:
        entity = Entity.objects.get(pk=entity_id)
        method = ResolutionMethod.REALTIME
        _refresh_entity(entity, kind, row)
        found = (kind, row, entity, other_id, evidence, probability)
    kinds.MODELS[kind].objects.filter(pk=row["id"]).update(entity=entity)
    row["entity_id"] = entity.pk
    MentionLink.objects.create(
        kind=kind, mention_id=row["id"], entity=entity, matched_mention_id=other_id, method=method,
        match_probability=probability, match_weight=weight, evidence=evidence,
        model=linkage if kind == EntityKind.PERSON else None,
    )
    BlockingKey.objects.bulk_create(
        [BlockingKey(kind=kind, key=key[:120], mention_id=row["id"], entity=entity) for key in keys])
    for other_entity in sorted(also):
        # The mention is strongly the same as people held apart until now: as batch would, join them.
        if _merge_allowed(kind, entity.pk, other_entity):
            merge_entities(kind=kind, target=entity, other_id=other_entity)
    return found


def _merge_allowed(kind: str, a: int, b: int) -> bool:
    """Whether no analyst has kept a mention of one entity apart from a mention of the other."""
    mentions = kinds.MODELS[kind].objects
    left = set(mentions.filter(entity_id=a).values_list("pk", flat=True))
    right = set(mentions.filter(entity_id=b).values_list("pk", flat=True))
    for decision in ResolutionDecision.objects.filter(kind=kind, withdrawn_at__isnull=True).exclude(
            decision="confirm").filter(Q(mention_id__in=left | right)):
        others = {decision.other_mention_id, *(decision.other_mention_ids or [])}
        if (decision.mention_id in left and others & right) or (decision.mention_id in right and others & left):
            return False
    return True


def merge_entities(*, kind: str, target: Entity, other_id: int) -> None:
    """Move every mention, key, link, edge and alert of one entity onto another, and mark it merged."""
    kinds.MODELS[kind].objects.filter(entity_id=other_id).update(entity=target)
    BlockingKey.objects.filter(kind=kind, entity_id=other_id).update(entity=target)
    MentionLink.objects.filter(entity_id=other_id).update(entity=target)
    LinkAlert.objects.filter(entity_id=other_id).update(entity=target)
    for edge in Association.objects.filter(Q(source_id=other_id) | Q(target_id=other_id)):
        a = target.pk if edge.source_id == other_id else edge.source_id
        b = target.pk if edge.target_id == other_id else edge.target_id
        if a != b:
            source, dest = min(a, b), max(a, b)
            existing = Association.objects.filter(source_id=source, target_id=dest, kind=edge.kind).first()
            if existing:
                existing.weight += edge.weight
                existing.save(update_fields=["weight"])
            else:
                Association.objects.create(source_id=source, target_id=dest, kind=edge.kind, weight=edge.weight,
                                           first_seen=edge.first_seen, last_seen=edge.last_seen, note=edge.note,
                                           recorded_by=edge.recorded_by)
        edge.delete()
    other = Entity.objects.get(pk=other_id)
    if target.owner_id is None and other.owner_id:
        target.owner_id = other.owner_id
        target.save(update_fields=["owner", "updated_at"])
    other.merged_into = target
    other.save(update_fields=["merged_into", "updated_at"])
    transaction.on_commit(batch._graph_invalidate)


def _refresh_entity(entity: Entity, kind: str, row: dict) -> None:
    """Keep the entity's label and mention count current as a mention joins it."""
    attributes = dict(entity.attributes or {})
    attributes["mentions"] = int(attributes.get("mentions", 0)) + 1
    if kind == EntityKind.PERSON:
        for key, value in (("names", row.get("name")), ("nicknames", row.get("nickname"))):
            if value and value not in attributes.get(key, []):
                attributes[key] = sorted([*attributes.get(key, []), value])[:20]
        if entity.label in ("Unnamed person", "") and row.get("name"):
            entity.label = row["name"][:200]
    entity.attributes = attributes
    entity.save(update_fields=["attributes", "label", "updated_at"])


def _network_sizes(networks: set[int]) -> dict[int, int]:
    sizes = defaultdict(int)
    for network in Entity.objects.filter(network__in=networks).values_list("network", flat=True):
        sizes[network] += 1
    return sizes


def _bump(a: int, b: int, kind: str, when) -> None:
    source, target = min(a, b), max(a, b)
    updated = Association.objects.filter(source_id=source, target_id=target, kind=kind).update(
        weight=F("weight") + 1, last_seen=when)
    if not updated:
        Association.objects.create(source_id=source, target_id=target, kind=kind, weight=1, first_seen=when,
                                   last_seen=when)


def _add_edges(entities: dict[int, str], when) -> set[int]:
    """Co-mention edges among the report's entities, and shared vehicle or phone edges to earlier people; returns
    the entities outside the report that gained an edge."""
    ids = sorted(entities)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            _bump(a, b, AssociationKind.CO_MENTION, when)
    persons = [e for e, k in entities.items() if k == EntityKind.PERSON]
    touched = set()
    for thing, kind in entities.items():
        if kind not in (EntityKind.VEHICLE, EntityKind.PHONE) or not persons:
            continue
        association = AssociationKind.SHARED_VEHICLE if kind == EntityKind.VEHICLE else AssociationKind.SHARED_PHONE
        partners = set()
        for source, target in Association.objects.filter(
            Q(source_id=thing) | Q(target_id=thing), kind=AssociationKind.CO_MENTION,
        ).values_list("source_id", "target_id"):
            partners.add(target if source == thing else source)
        earlier_people = set(Entity.objects.filter(pk__in=partners, kind=EntityKind.PERSON).values_list("pk", flat=True))
        for other in earlier_people - set(persons):
            for p in persons:
                _bump(p, other, association, when)
                touched.add(other)
    return touched


def _merge_networks(entity_ids: set[int], known: dict | None = None) -> None:
    """Give the report's entities, and every network they now join, one network id (the smallest entity id)."""
    if known is not None:
        networks = {n for n in known.values() if n}
    else:
        networks = set(Entity.objects.filter(pk__in=entity_ids).exclude(network=None).values_list("network",
                                                                                                   flat=True))
    members = set(entity_ids)
    if len(members) < 2 and not networks:
        return  # A report that mentions one thing alone makes no network.
    new = min(members | networks)
    Entity.objects.filter(Q(pk__in=members) | Q(network__in=networks)).exclude(network=new).update(network=new)


def _recipients(entity_ids: list[int]):
    """The owning analysts of these entities, or the police analysts when none has an owner."""
    from lantern.accounts.models import AgencyKind, Role, User

    owners = list(User.objects.filter(pk__in=Entity.objects.filter(pk__in=entity_ids).exclude(owner=None)
                                      .values("owner"), is_active=True))
    if owners:
        return owners
    return list(User.objects.filter(role=Role.ANALYST, agency__kind=AgencyKind.POLICE, is_active=True))


def _mention_text(kind: str, row: dict) -> str:
    if kind == EntityKind.PERSON:
        parts = [row.get("name") or "", f"'{row['nickname']}'" if row.get("nickname") else ""]
        return " known as ".join(p for p in parts if p) or "an unnamed person"
    if kind == EntityKind.VEHICLE:
        return row.get("registration") or "a vehicle"
    if kind == EntityKind.PHONE:
        return row.get("number") or "a phone"
    return row.get("name") or "a place"


def _raise_alerts(*, referral, item, matched, before: dict, sizes: dict, when, now) -> list[LinkAlert]:
    """Link alerts for mentions that joined an entity in a known network, and for networks the report linked.

    A report entered long after it was received (a historic record typed in) is matched but raises no alert:
    alerts are for what has just arrived.
    """
    if when and when < now - ALERT_WINDOW:
        return []
    reasons, entity_ids, networks = [], [], set()
    for kind, row, entity, other_id, evidence, probability in matched:
        network = before.get(entity.pk)
        if not network or sizes.get(network, 0) < 2:
            continue
        networks.add(network)
        entity_ids.append(entity.pk)
        reasons.append({
            "text": f"{EntityKind(kind).label} '{_mention_text(kind, row)}' matched {entity.label} "
                    f"(mention {other_id}), in a network of {sizes[network]} entities: " + model.explain(evidence),
            "mention_kind": kind, "mention_id": row["id"], "matched_mention_id": other_id, "entity_id": entity.pk,
            "entity_label": entity.label, "network": network, "probability": probability, "evidence": evidence,
        })
    joined = {n for e, n in before.items() if n and sizes.get(n, 0) >= 2}
    linked = len(joined) >= 2
    if linked:
        reasons.append({"text": f"This report links {len(joined)} networks that were separate until now.",
                        "networks": sorted(joined)})
        networks |= joined
        entity_ids += [e for e, n in before.items() if n in joined and e not in entity_ids]
    if not reasons:
        return []
    kind = AlertKind.LINKED_NETWORKS if linked else AlertKind.JOINED_NETWORK
    report_label = getattr(referral, "reference", None) or getattr(item, "reference", "")
    summary = (f"{report_label}: links {len(joined)} networks" if linked else
               f"{report_label}: {len(entity_ids)} mention{'s' if len(entity_ids) != 1 else ''} matched "
               f"a known network")
    first = entity_ids[0] if entity_ids else None
    alerts = [
        LinkAlert.objects.create(kind=kind, recipient=user, entity_id=first, referral=referral, item=item,
                                 summary=summary[:300], reasons=reasons, networks=sorted(networks))
        for user in _recipients(entity_ids)
    ]
    if alerts:
        from lantern.audit import events

        events.link_alerts_raised(alerts=alerts)
    return alerts


def _signals(entity_ids: list[int], now: datetime) -> None:
    """Let the cross-agency signal rule look at the report's entities, if it is installed."""
    try:
        from lantern.intel import signals
    except ImportError:
        return
    check = getattr(signals, "signals_check", None)
    if check is None:
        return
    try:
        with transaction.atomic():
            check(entities=list(Entity.objects.filter(pk__in=entity_ids)), now=now)
    except Exception:  # noqa: BLE001 - another rule's failure must not undo matching
        logger.exception("The cross-agency signal check failed")
