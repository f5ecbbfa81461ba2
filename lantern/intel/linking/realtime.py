"""Real-time matching: each new referral or intelligence item is resolved the moment it is committed.

Its mentions are looked up in the shared blocking index (`BlockingKey`, in the database, so every web and worker
process sees the same index), scored in pure Python with the current batch model's parameters, and attached to
the best entity above the threshold or to a new one; the evidence is kept. The report's entities are then joined
in the association graph, networks are renumbered where they meet, and a link alert goes to the owning analyst
when a mention joins an entity in a known network or the report links two networks. A report's mentions are
matched together, each seeing those before it: the index is read once for all of them and their writes are made
together, so that matching a report takes a couple of dozen statements however many mentions it has, and the
cross-agency signal is checked only for entities that could meet a rule. That signal is the network's: matching
hands the report's entities to whatever is registered in `lantern.intel.linking.hooks`.

Nothing here may break or delay the report itself. `report_committed` is called once the report has committed and
puts its matching on the task queue (or the report's own statement carried the queue row, `matching_task_row`),
so the web request that saved it answers at once and the background worker
(which polls twice a second) matches it and raises its alerts moments later; `report_received` does the work and
logs, never raises. Bulk loads (the demo's history) match in their own process inside `matching_inline()`.
"""

import contextlib
import contextvars
import functools
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q
from django.utils import timezone

from lantern.core import queue
from lantern.intel.linking import hooks
from lantern.intel.linking.models import (
    AlertKind,
    Association,
    AssociationKind,
    BlockingKey,
    Entity,
    EntityKind,
    LinkageModel,
    LinkAlert,
    MentionLink,
    PersonRole,
    ResolutionDecision,
    ResolutionMethod,
)
from lantern.intel.linking.resolution import batch, kinds, model, person

logger = logging.getLogger(__name__)

CANDIDATE_LIMIT = 300
# The same people are candidates report after report (a common name, a nickname), and working out a candidate's
# features is about half the cost of scoring it: a worker keeps those of the last few thousand (about 5 kB each).
FEATURES_CACHED = 4096
ALERT_WINDOW = timedelta(days=7)
SIMPLE_PROBABILITY = kinds.SIMPLE_PROBABILITY


@dataclass(frozen=True)
class MentionMatch:
    """What matching made of one mention: its entity and, when it joined an existing one, the mention it matched,
    the evidence and the match probability (None for a new entity)."""

    entity_id: int | None
    matched_mention_id: int | None = None
    evidence: list = field(default_factory=list)
    probability: float | None = None


_INLINE = contextvars.ContextVar("lantern_matching_inline", default=False)


@contextlib.contextmanager
def matching_inline():
    """Match reports committed inside this block in the calling process, not on the queue (bulk loads)."""
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


def matching_task_row(*, referral=None, item=None):
    """The unsaved queue row for a report's real-time matching, for a caller that writes it in the same statement
    as the report, so that it is queued exactly when the report commits. None inside `matching_inline()` or when
    the queue is not the database: then the caller calls `report_committed` after its commit, as usual."""
    if _INLINE.get():
        return None
    from lantern.intel.linking.tasks import match_report

    return queue.task_row(
        match_report,
        referral_id=referral.pk if referral is not None else None,
        item_id=item.pk if item is not None else None,
    )


def report_committed(*, referral=None, item=None) -> None:
    """A referral or item has committed: queue its real-time matching (or match now, inside `matching_inline`)."""
    if not _INLINE.get():
        from lantern.intel.linking.tasks import match_report

        try:
            queue.enqueue(
                match_report,
                referral_id=referral.pk if referral is not None else None,
                item_id=item.pk if item is not None else None,
            )
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
    linkage = (
        LinkageModel.objects.filter(kind=EntityKind.PERSON, is_current=True)
        .only("pk", "summary")
        .order_by("-version")
        .first()
    )
    if linkage is None:
        return _scorer(None, ""), None
    return _scorer(linkage.pk, str((linkage.summary or {}).get("fingerprint", ""))), linkage


def _report_filter(referral, item) -> Q:
    return Q(referral=referral) if referral is not None else Q(item=item)


def _row_fields(kind: str) -> tuple:
    """The fields of a mention row as matching reads it (a person's position orders candidates as the model does)."""
    return (*kinds.PERSON_FIELDS, "position") if kind == EntityKind.PERSON else ()


@transaction.atomic
def resolve_report(*, referral=None, item=None, now: datetime) -> list[LinkAlert]:
    """Attach every unresolved mention of the report, update the graph and networks, raise link alerts."""
    if referral is None and item is None:
        return []
    scorer, linkage = current_scorer()
    report = _report_filter(referral, item)
    when = getattr(referral, "received_at", None) or getattr(item, "submitted_at", None) or now
    rows = [
        (kind, row)
        for kind, mention_model in kinds.MODELS.items()
        for row in mention_model.objects.filter(report).values(*_row_fields(kind))
    ]
    matching = attach_all(
        [(kind, row) for kind, row in rows if row["entity_id"] is None], scorer=scorer, linkage=linkage
    )
    entities: dict[int, str] = {row["entity_id"]: kind for kind, row in rows if row["entity_id"] is not None}
    before = matching.networks(entities)
    sizes = _network_sizes({n for n in before.values() if n})
    touched = _add_edges(entities, when)
    # Places are hubs (one takeaway is named in reports about many unrelated people), so they belong to no network
    # and never join two; recurring places are the cross-agency signal's and the place page's business.
    networked = {e for e, k in entities.items() if k != EntityKind.PLACE}
    _merge_networks(
        networked | touched,
        known={e: n for e, n in before.items() if e in networked} if not touched else None,
    )
    alerts = _raise_alerts(
        referral=referral, item=item, matched=matching.matched, before=before, sizes=sizes, when=when, now=now
    )
    _signals(entities, now)
    concerns = sorted(
        {
            row["entity_id"]
            for kind, row in rows
            if kind == EntityKind.PERSON
            and row.get("role") == PersonRole.PERSON_OF_CONCERN
            and row["entity_id"]
        }
    )
    _tell_listeners(referral=referral, item=item, entities=list(entities), concerns=concerns, now=now)
    return alerts


@transaction.atomic
def resolve_mentions(*, mentions: list[tuple[str, int]]) -> dict[tuple[str, int], MentionMatch]:
    """Match mentions that belong to no report (a member of a child's family network and their phone) now, by the
    same index, model and evidence as a report's, in the caller's transaction; returns each mention's match.

    A mention outside any report makes no edge in the association graph (batch resolution builds the graph from
    reports alone, `batch.report_entities`), raises no link alert (an alert names a report) and is not a concern
    for the cross-agency signal; the caller acts on the matches itself.
    """
    rows = [
        (kind, row)
        for kind in dict.fromkeys(kind for kind, _ in mentions)
        for row in kinds.MODELS[kind]
        .objects.filter(pk__in=[pk for k, pk in mentions if k == kind], referral=None, item=None)
        .values(*_row_fields(kind))
    ]
    scorer, linkage = current_scorer()
    matching = attach_all(
        [(kind, row) for kind, row in rows if row["entity_id"] is None], scorer=scorer, linkage=linkage
    )
    found = {
        (kind, row["id"]): (other_id, evidence, probability)
        for kind, row, _entity, other_id, evidence, probability in matching.matched
    }
    out = {}
    for kind, row in rows:
        other_id, evidence, probability = found.get((kind, row["id"]), (None, [], None))
        out[(kind, row["id"])] = MentionMatch(
            entity_id=row["entity_id"],
            matched_mention_id=other_id,
            evidence=evidence,
            probability=probability,
        )
    return out


def attach(kind: str, row: dict, *, scorer: model.Scorer, linkage: LinkageModel | None):
    """Attach one unresolved mention (a `.values()` row) to its best entity or a new one, with its evidence and
    blocking keys (the row's entity_id is set); returns (kind, row, entity, matched mention id, evidence,
    probability) when it matched an existing entity."""
    matched = attach_all([(kind, row)], scorer=scorer, linkage=linkage).matched
    return matched[0] if matched else None


def attach_all(mentions: list[tuple[str, dict]], *, scorer: model.Scorer, linkage: LinkageModel | None):
    """Attach a report's unresolved mentions, in order, as `attach` attaches each: each sees those before it.

    The index is read once for all of them and the writes are made together, so that a report costs a few
    statements, not a few per mention. Returns the matching, whose `matched` holds the (kind, row, entity, matched
    mention id, evidence, probability) of each mention that matched an existing entity."""
    matching = _Matching(mentions, scorer=scorer, linkage=linkage)
    for kind, row in mentions:
        matching.attach(kind, row)
    matching.finish()
    return matching


class _Matching:
    """The matching of one report's mentions.

    What the index holds is read up front for every mention (one query per person, one for every vehicle, phone,
    place and organisation); what the report's own earlier mentions add to it is kept here, and the writes
    (mentions' entities, links, keys, entities' labels) wait until the end. Anything that reads them back from the
    database (merging two entities, counting an entity's mentions) writes them first, and a merge is remembered so
    that what was read up front follows it, as the index itself does.
    """

    def __init__(
        self, mentions: list[tuple[str, dict]], *, scorer: model.Scorer, linkage: LinkageModel | None
    ):
        self.scorer, self.linkage = scorer, linkage
        self.banned = _cannot_link([(kind, row["id"]) for kind, row in mentions])
        self.features: dict[int, dict] = {}
        self.keys: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
        for kind, row in mentions:
            self.keys[(kind, row["id"])] = self._keys(kind, row)
        self.candidates = {
            row["id"]: _person_candidates(row["id"], self.keys[(kind, row["id"])][1])
            for kind, row in mentions
            if kind == EntityKind.PERSON and self.keys[(kind, row["id"])][1]
        }
        self.person_rows = _person_rows({m for found in self.candidates.values() for m, _e, _s in found})
        self.hits = _simple_hits(
            [
                (kind, row["id"], self.keys[(kind, row["id"])][1])
                for kind, row in mentions
                if kind != EntityKind.PERSON
            ]
        )
        # The report's own mentions attached so far: (row, keys as stored, entity) for people, and for the others
        # (kind, key) -> {entity: first mention}.
        self.people: list[tuple[dict, set[str], int]] = []
        self.own_hits: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
        self.merged: dict[int, int] = {}
        self.entities: dict[int, Entity] = {}
        self.refreshes: list[tuple[int, str, dict]] = []
        self.found: list[tuple] = []
        self.matched: list[tuple] = []
        self.updates: dict[str, list] = defaultdict(list)
        self.links: list[MentionLink] = []
        self.index: list[BlockingKey] = []

    def _keys(self, kind: str, row: dict) -> tuple[list[str], list[str]]:
        """(keys to index the mention under, keys to look it up by)."""
        if kind == EntityKind.PERSON:
            self.features[row["id"]] = feats = person.features(kinds.person_record(row))
            keys = person.blocking_keys(feats)
            return keys, keys
        return kinds.keys_for(kind, row)

    def entity_now(self, entity_id: int) -> int:
        """The entity an entity read up front is now, after the merges this report made."""
        while entity_id in self.merged:
            entity_id = self.merged[entity_id]
        return entity_id

    def attach(self, kind: str, row: dict) -> None:
        """Attach one mention: match it, give it its entity, and queue its link and keys."""
        index_keys = self.keys[(kind, row["id"])][0]
        also = set()
        if kind == EntityKind.PERSON:
            entity_id, other_id, probability, weight, evidence, also = self.match_person(row)
        else:
            if not index_keys:
                return
            entity_id, other_id, probability, evidence = self.match_simple(kind, row)
            weight = None
        if entity_id is None:
            entity = Entity.objects.create(
                kind=kind, label=kinds.label_for(kind, [row]), attributes=kinds.attributes_for(kind, [row])
            )
            self.entities[entity.pk] = entity
            entity_id, method = entity.pk, ResolutionMethod.NEW
        else:
            method = ResolutionMethod.REALTIME
            self.refreshes.append((entity_id, kind, row))
            self.found.append((kind, row, entity_id, other_id, evidence, probability))
        row["entity_id"] = entity_id
        self.updates[kind].append(kinds.MODELS[kind](pk=row["id"], entity_id=entity_id))
        self.links.append(
            MentionLink(
                kind=kind,
                mention_id=row["id"],
                entity_id=entity_id,
                matched_mention_id=other_id,
                method=method,
                match_probability=probability,
                match_weight=weight,
                evidence=evidence,
                model=self.linkage if kind == EntityKind.PERSON else None,
            )
        )
        self.index += [
            BlockingKey(kind=kind, key=key[:120], mention_id=row["id"], entity_id=entity_id)
            for key in index_keys
        ]
        if kind == EntityKind.PERSON:
            self.people.append((row, {key[:120] for key in index_keys}, entity_id))
        else:
            for key in index_keys:
                hits = self.own_hits[(kind, key[:120])]
                hits[entity_id] = min(row["id"], hits.get(entity_id, row["id"]))
        if also:
            self.flush()
        for other_entity in sorted(also):
            # The mention is strongly the same as people held apart until now: as batch would, join them.
            if _merge_allowed(kind, entity_id, other_entity):
                merge_entities(kind=kind, target=self.entity(entity_id), other_id=other_entity)
                self.merged[other_entity] = entity_id

    def match_person(self, row: dict) -> tuple:
        """(entity id, matched mention id, probability, weight, evidence, other entities it joins too)."""
        none = None, None, None, None, [], set()
        candidates = self.person_candidates(row)
        if not candidates:
            return none
        entity_of = dict(candidates)
        banned = self.banned.get((EntityKind.PERSON, row["id"]), set())
        feats = self.features[row["id"]]
        # Each entity's best candidate: (probability, weight, mention), strongest first.
        best: dict[int, tuple[float, float, int]] = {}
        scored: dict[int, float] = {}
        # In the order the model orders mentions, as a query for them would, so that ties go the same way.
        found = [other for other in (self.person_row(m) for m in entity_of) if other is not None]
        for other in sorted(found, key=lambda r: (r.get("position") or 0, r["id"])):
            if other["id"] in banned:
                continue
            probability, weight, _ = self.scorer.score(feats, self.features_of(other))
            scored[other["id"]] = probability
            entity_id = entity_of[other["id"]]
            if probability >= self.scorer.threshold and probability > best.get(entity_id, (-1.0,))[0]:
                best[entity_id] = (probability, weight, other["id"])
        if not best:
            return none
        ranked = sorted(best, key=lambda e: -best[e][0])
        if banned:
            self.flush()
            ranked = [e for e in ranked if not _entity_holds_any(e, banned)]
        joined = self.judged(row["id"], ranked, {e: best[e][0] for e in ranked}, scored)
        if not joined:
            return none
        entity_id = joined[0]
        probability, weight, other_id = best[entity_id]
        _p, _w, evidence = self.scorer.score(feats, self.features_of(self.person_row(other_id)), explain=True)
        return entity_id, other_id, probability, weight, evidence, set(joined[1:])

    def judged(self, mention_id: int, ranked: list[int], probability: dict, scored: dict) -> list[int]:
        """The entities a mention joins, of those it matches (`ranked`, strongest first), as batch's clustering
        decides (`cluster.cluster`, with the model's judge): strong matches join unless that would put two
        mentions the judge finds in conflict together (a pair matched above the threshold is no conflict); a weak
        match joins only when, besides, the judge finds the two on the whole one person."""
        members = self.members_of(ranked)
        judge = model.Judge(self.scorer, self.features_by_id)
        cluster, joined = [mention_id], []
        for entity_id in ranked:
            others = members.get(entity_id) or []
            strong = probability[entity_id] >= self.scorer.strong_threshold
            if any(
                judge.conflict(a, b)
                for a in cluster
                for b in others
                if not (strong and a == mention_id and scored.get(b, 0.0) >= self.scorer.threshold)
            ):
                continue
            if not strong and not judge.together(cluster, others):
                continue
            joined.append(entity_id)
            cluster += others
        return joined

    def members_of(self, entity_ids: list[int]) -> dict[int, list[int]]:
        """{entity: its mentions}: those in the database (their rows kept for the judge) and the report's own
        earlier people."""
        wanted = set(entity_ids)
        out: dict[int, list[int]] = defaultdict(list)
        for mention_id, row in _person_rows(set(), entities=wanted).items():
            self.person_rows.setdefault(mention_id, row)
            out[self.entity_now(row["entity_id"])].append(mention_id)
        for row, _keys, entity_id in self.people:
            entity_id = self.entity_now(entity_id)
            if entity_id in wanted and row["id"] not in out[entity_id]:
                out[entity_id].append(row["id"])
        return out

    def person_candidates(self, row: dict) -> list[tuple[int, int]]:
        """(mention, entity) of the people sharing most keys with this one, best first: those the index held,
        with the report's own earlier people among them as if they had been indexed too."""
        keys = set(self.keys[(EntityKind.PERSON, row["id"])][1])
        if not keys:
            return []
        found = list(self.candidates.get(row["id"], []))
        for other, stored, entity_id in self.people:
            shared = len(stored & keys)
            if shared and other["id"] != row["id"]:
                found.append((other["id"], entity_id, shared))
        found.sort(key=lambda c: (-c[2], -c[0]))
        return [
            (mention_id, self.entity_now(entity_id)) for mention_id, entity_id, _s in found[:CANDIDATE_LIMIT]
        ]

    def person_row(self, mention_id: int) -> dict | None:
        """A candidate's row: one of the report's own, or as read up front (None if the mention has gone since)."""
        own = next((row for row, _k, _e in self.people if row["id"] == mention_id), None)
        return own if own is not None else self.person_rows.get(mention_id)

    def features_by_id(self, mention_id: int) -> dict:
        """A mention's features by id: one of the report's own, or a candidate's or a member's as read."""
        found = self.features.get(mention_id)
        return found if found is not None else self.features_of(self.person_row(mention_id))

    def features_of(self, row: dict) -> dict:
        if row["id"] not in self.features:
            self.features[row["id"]] = _candidate_features(tuple(kinds.person_record(row).items()))
        return self.features[row["id"]]

    def match_simple(self, kind: str, row: dict) -> tuple[int | None, int | None, float | None, list]:
        """(entity id, matched mention id, probability, evidence) for a vehicle, phone, place or organisation: the
        first look-up key under which the index, less the mentions it may not link to, holds exactly one entity."""
        banned = self.banned.get((kind, row["id"]))
        if banned:
            self.flush()
        for key in self.keys[(kind, row["id"])][1]:
            hits = (
                _simple_hits_unless(kind, key, row["id"], banned) if banned else self.simple_hits(kind, key)
            )
            if len(hits) == 1:
                ((entity_id, mention_id),) = hits.items()
                rule = key.split(":", 1)[0]
                return entity_id, mention_id, SIMPLE_PROBABILITY.get(rule, 1.0), [batch.simple_evidence(key)]
        return None, None, None, []

    def simple_hits(self, kind: str, key: str) -> dict[int, int]:
        """{entity: its first mention} under a key: the index as read, followed through merges, and the report's
        own earlier mentions."""
        hits: dict[int, int] = {}
        for entity_id, mention_id in [
            *self.hits.get((kind, key), {}).items(),
            *self.own_hits.get((kind, key), {}).items(),
        ]:
            entity_id = self.entity_now(entity_id)
            hits[entity_id] = min(mention_id, hits.get(entity_id, mention_id))
        return hits

    def entity(self, entity_id: int) -> Entity:
        if entity_id not in self.entities:
            self.entities[entity_id] = Entity.objects.get(pk=entity_id)
        return self.entities[entity_id]

    def flush(self) -> None:
        """Write the mentions' entities, links and keys queued so far."""
        for kind, mentions in self.updates.items():
            kinds.MODELS[kind].objects.bulk_update(mentions, ["entity"])
        self.updates.clear()
        if self.links:
            MentionLink.objects.bulk_create(self.links)
            self.links = []
        if self.index:
            BlockingKey.objects.bulk_create(self.index)
            self.index = []

    def finish(self) -> None:
        """Write everything, bring the matched entities' labels and counts up to date, and list the matches."""
        self.flush()
        missing = {entity_id for entity_id, _k, _r in self.refreshes} - set(self.entities)
        self.entities.update(Entity.objects.in_bulk(missing))
        changed = {}
        for entity_id, kind, row in self.refreshes:
            changed[entity_id] = _refreshed(self.entities[entity_id], kind, row)
        if changed:
            Entity.objects.bulk_update(changed.values(), ["attributes", "label", "updated_at"])
        self.matched = [
            (kind, row, self.entities[entity_id], other_id, evidence, probability)
            for kind, row, entity_id, other_id, evidence, probability in self.found
        ]

    def networks(self, entity_ids) -> dict[int, int | None]:
        """{entity: network} in id order, read only for the entities this matching has not made or read itself
        (matching moves no entity between networks)."""
        out = {e: self.entities[e].network for e in entity_ids if e in self.entities}
        unknown = [e for e in entity_ids if e not in self.entities]
        if unknown:
            out.update(Entity.objects.filter(pk__in=unknown).values_list("pk", "network"))
        return dict(sorted(out.items()))


@functools.lru_cache(maxsize=FEATURES_CACHED)
def _candidate_features(record: tuple) -> dict:
    """The features of a candidate's record (its items): shared between reports, so never to be changed."""
    return person.features(dict(record))


def _cannot_link(mentions: list[tuple[str, int]]) -> dict[tuple[str, int], set[int]]:
    """For each (kind, mention id), the mentions an analyst has said it is not (for a mention resolved again)."""
    by_kind = defaultdict(set)
    for kind, mention_id in mentions:
        by_kind[kind].add(mention_id)
    if not by_kind:
        return {}
    which = Q()
    for kind, ids in by_kind.items():
        which |= Q(kind=kind, mention_id__in=ids) | Q(kind=kind, other_mention_id__in=ids)
    out = defaultdict(set)
    decisions = ResolutionDecision.objects.filter(which, withdrawn_at__isnull=True).exclude(
        decision="confirm"
    )
    for kind, mention_id, other_id, others in decisions.values_list(
        "kind", "mention_id", "other_mention_id", "other_mention_ids"
    ):
        for side in {mention_id, other_id} & by_kind[kind]:
            out[(kind, side)] |= {mention_id, other_id, *(others or [])} - {side, None}
    return out


def _person_candidates(mention_id: int, keys: list[str]) -> list[tuple[int, int, int]]:
    """(mention, entity, keys shared) of the indexed people sharing most keys with a mention, best first.

    A key held by more than `model.BLOCK_LIMIT` mentions (a common given name and birth year, a street nickname)
    finds no one, as it finds no pairs in batch: each key is read at most that far, so that a common name costs a
    bounded read, not one that grows with the index. A true match shares several keys (name, date of birth, ...),
    so scoring the best few hundred of the rest bounds the time without losing it."""
    shared: Counter = Counter()
    for rows in _key_holders(EntityKind.PERSON, keys, mention_id, model.BLOCK_LIMIT + 1).values():
        if len(rows) <= model.BLOCK_LIMIT:
            shared.update(rows)
    ranked = sorted(shared.items(), key=lambda item: (-item[1], -item[0][0]))
    return [(other, entity_id, n) for (other, entity_id), n in ranked[:CANDIDATE_LIMIT]]


def _key_holders(kind: str, keys: list[str], mention_id: int, limit: int) -> dict[str, list[tuple[int, int]]]:
    """key -> (mention, entity) of at most `limit` resolved mentions under it, other than this one: one statement
    of one bounded index read per key (each key's read in a sub-select of its own, as a compound statement may
    not limit its parts directly on SQLite), on PostgreSQL and SQLite alike."""
    keys = list(dict.fromkeys(key[:120] for key in keys))
    if not keys:
        return {}
    table = connection.ops.quote_name(BlockingKey._meta.db_table)
    part = (
        f"SELECT * FROM (SELECT key, mention_id, entity_id FROM {table} "  # noqa: S608 - the quoted model table; values are parameters
        "WHERE kind = %s AND key = %s AND mention_id <> %s AND entity_id IS NOT NULL LIMIT %s) AS held"
    )
    sql = " UNION ALL ".join(f"{part}{n}" for n in range(len(keys)))
    out: dict[str, list[tuple[int, int]]] = {key: [] for key in keys}
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in keys for value in (kind, key, mention_id, limit)])
        for key, other, entity_id in cursor.fetchall():
            out[key].append((other, entity_id))
    return out


def _person_rows(mention_ids: set[int], *, entities: set[int] = frozenset()) -> dict[int, dict]:
    """Person mentions' rows as matching reads them, by id or by entity."""
    if not mention_ids and not entities:
        return {}
    rows = (
        kinds.MODELS[EntityKind.PERSON]
        .objects.filter(Q(pk__in=mention_ids) if mention_ids else Q(entity_id__in=entities))
        .order_by()
    )
    return {row["id"]: row for row in rows.values(*_row_fields(EntityKind.PERSON))}


def _simple_hits(mentions: list[tuple[str, int, list[str]]]) -> dict[tuple[str, str], dict[int, int]]:
    """(kind, key) -> {entity: its first mention} in the index, for every look-up key of these mentions at once
    (the mentions themselves left out)."""
    wanted = {(kind, key) for kind, _m, keys in mentions for key in keys}
    if not wanted:
        return {}
    own = Q()
    for kind, mention_id, _keys in mentions:
        own |= Q(kind=kind, mention_id=mention_id)
    out = defaultdict(dict)
    for kind, key, entity_id, first in (
        BlockingKey.objects.filter(kind__in={k for k, _ in wanted}, key__in={key for _, key in wanted})
        .exclude(entity=None)
        .exclude(own)
        .values("kind", "key", "entity_id")
        .annotate(first=Min("mention_id"))
        .values_list("kind", "key", "entity_id", "first")
    ):
        if (kind, key) in wanted:
            out[(kind, key)][entity_id] = first
    return out


def _simple_hits_unless(kind: str, key: str, mention_id: int, banned: set[int]) -> dict[int, int]:
    """{entity: mention} under a key for a mention an analyst has kept apart from others, read as it stands."""
    hits = list(
        BlockingKey.objects.filter(kind=kind, key=key)
        .exclude(mention_id=mention_id)
        .exclude(entity=None)
        .values_list("mention_id", "entity_id")[:CANDIDATE_LIMIT]
    )
    out: dict[int, int] = {}
    for other, entity_id in hits:
        if other not in banned:
            out.setdefault(entity_id, other)
    return out


def _entity_holds_any(entity_id: int, mention_ids: set[int]) -> bool:
    return kinds.MODELS[EntityKind.PERSON].objects.filter(entity_id=entity_id, pk__in=mention_ids).exists()


def _merge_allowed(kind: str, a: int, b: int) -> bool:
    """Whether no analyst has kept a mention of one entity apart from a mention of the other."""
    mentions = kinds.MODELS[kind].objects
    left = set(mentions.filter(entity_id=a).values_list("pk", flat=True))
    right = set(mentions.filter(entity_id=b).values_list("pk", flat=True))
    for decision in (
        ResolutionDecision.objects.filter(kind=kind, withdrawn_at__isnull=True)
        .exclude(decision="confirm")
        .filter(Q(mention_id__in=left | right))
    ):
        others = {decision.other_mention_id, *(decision.other_mention_ids or [])}
        if (decision.mention_id in left and others & right) or (
            decision.mention_id in right and others & left
        ):
            return False
    return True


def merge_entities(*, kind: str, target: Entity, other_id: int) -> None:
    """Move every mention, key, link, edge and alert of one entity onto another, and mark it merged."""
    kinds.MODELS[kind].objects.filter(entity_id=other_id).update(entity=target)
    BlockingKey.objects.filter(kind=kind, entity_id=other_id).update(entity=target)
    MentionLink.objects.filter(entity_id=other_id).update(entity=target)
    LinkAlert.objects.filter(entity_id=other_id).update(entity=target)
    _move_edges(other_id, target.pk)
    other = Entity.objects.get(pk=other_id)
    if target.owner_id is None and other.owner_id:
        target.owner_id = other.owner_id
        target.save(update_fields=["owner", "updated_at"])
    other.merged_into = target
    other.save(update_fields=["merged_into", "updated_at"])
    transaction.on_commit(hooks.associations_changed)


def _move_edges(other_id: int, target_id: int) -> None:
    """Move every edge of one entity onto another, adding its weight to an edge the other already has (an edge
    between the two goes): a few statements, however many edges there are."""
    edges = list(Association.objects.filter(Q(source_id=other_id) | Q(target_id=other_id)))
    moved = {}
    for edge in edges:
        a = target_id if edge.source_id == other_id else edge.source_id
        b = target_id if edge.target_id == other_id else edge.target_id
        if a != b:
            moved[(min(a, b), max(a, b), edge.kind)] = edge
    ends = {a if b == target_id else b for a, b, _kind in moved}
    existing = (
        {
            (e.source_id, e.target_id, e.kind): e
            for e in Association.objects.filter(
                Q(source_id=target_id, target_id__in=ends) | Q(target_id=target_id, source_id__in=ends)
            )
        }
        if ends
        else {}
    )
    added = []
    for (source, dest, kind), edge in moved.items():
        if (source, dest, kind) in existing:
            existing[(source, dest, kind)].weight += edge.weight
        else:
            added.append(
                Association(
                    source_id=source,
                    target_id=dest,
                    kind=kind,
                    weight=edge.weight,
                    first_seen=edge.first_seen,
                    last_seen=edge.last_seen,
                    note=edge.note,
                    recorded_by_id=edge.recorded_by_id,
                )
            )
    grown = [existing[key] for key in moved if key in existing]
    if grown:
        Association.objects.bulk_update(grown, ["weight"])
    if added:
        Association.objects.bulk_create(added)
    if edges:
        Association.objects.filter(pk__in=[edge.pk for edge in edges]).delete()


def _refreshed(entity: Entity, kind: str, row: dict) -> Entity:
    """The entity with its label and mention count brought up to date as a mention joins it (not saved)."""
    attributes = dict(entity.attributes or {})
    attributes["mentions"] = int(attributes.get("mentions", 0)) + 1
    if kind == EntityKind.PERSON:
        for key, value in (("names", row.get("name")), ("nicknames", row.get("nickname"))):
            if value and value not in attributes.get(key, []):
                attributes[key] = sorted([*attributes.get(key, []), value])[:20]
        if entity.label in ("Unnamed person", "") and row.get("name"):
            entity.label = row["name"][:200]
    entity.attributes = attributes
    entity.updated_at = timezone.now()
    return entity


def _network_sizes(networks: set[int]) -> dict[int, int]:
    return dict(
        Entity.objects.filter(network__in=networks)
        .values("network")
        .annotate(n=Count("id"))
        .values_list("network", "n")
    )


def _add_edges(entities: dict[int, str], when) -> set[int]:
    """Co-mention edges among the report's entities, and shared vehicle or phone edges to earlier people; returns
    the entities outside the report that gained an edge."""
    ids = sorted(entities)
    bumps = Counter((a, b, AssociationKind.CO_MENTION) for i, a in enumerate(ids) for b in ids[i + 1 :])
    persons = {e for e, k in entities.items() if k == EntityKind.PERSON}
    things = {e: k for e, k in entities.items() if k in (EntityKind.VEHICLE, EntityKind.PHONE)}
    touched = set()
    partners = _people_with(set(things)) if persons and things else {}
    for thing, kind in things.items():
        association = (
            AssociationKind.SHARED_VEHICLE if kind == EntityKind.VEHICLE else AssociationKind.SHARED_PHONE
        )
        for other in partners.get(thing, set()) - persons:
            for p in persons:
                bumps[(min(p, other), max(p, other), association)] += 1
                touched.add(other)
    _bump(bumps, when)
    return touched


def _people_with(things: set[int]) -> dict[int, set[int]]:
    """For each vehicle or phone, the people mentioned in the same report as it (before this one)."""
    out = defaultdict(set)
    edges = Association.objects.filter(kind=AssociationKind.CO_MENTION).filter(
        Q(source_id__in=things, target__kind=EntityKind.PERSON)
        | Q(target_id__in=things, source__kind=EntityKind.PERSON)
    )
    for source, target, source_kind, target_kind in edges.values_list(
        "source_id", "target_id", "source__kind", "target__kind"
    ):
        if source in things and target_kind == EntityKind.PERSON:
            out[source].add(target)
        if target in things and source_kind == EntityKind.PERSON:
            out[target].add(source)
    return out


EDGE_ROWS = 150  # rows per INSERT: six parameters each, under SQLite's 999


def _bump(bumps: Counter, when) -> None:
    """Add each edge's count to its weight and make it last seen now, creating the edges not yet there.

    One INSERT ... ON CONFLICT for them all (PostgreSQL and SQLite alike): one statement, not one or two per edge,
    and two workers matching reports about the same people at once cannot both create an edge.
    """
    table = connection.ops.quote_name(Association._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(when)
    rows = sorted(bumps.items())
    for start in range(0, len(rows), EDGE_ROWS):
        chunk = rows[start : start + EDGE_ROWS]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, '')"] * len(chunk))
        sql = (
            f"INSERT INTO {table} (source_id, target_id, kind, weight, first_seen, last_seen, note) "  # noqa: S608 - the quoted model table; values are parameters
            f"VALUES {values} ON CONFLICT (source_id, target_id, kind) "
            f"DO UPDATE SET weight = {table}.weight + excluded.weight, last_seen = excluded.last_seen"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    value
                    for (source, target, kind), count in chunk
                    for value in (source, target, kind, count, at, at)
                ],
            )


def _merge_networks(entity_ids: set[int], known: dict | None = None) -> None:
    """Give the report's entities, and every network they now join, one network id (the smallest entity id)."""
    if known is not None:
        networks = {n for n in known.values() if n}
    else:
        networks = set(
            Entity.objects.filter(pk__in=entity_ids).exclude(network=None).values_list("network", flat=True)
        )
    members = set(entity_ids)
    if len(members) < 2 and not networks:
        return  # A report that mentions one thing alone makes no network.
    new = min(members | networks)
    Entity.objects.filter(Q(pk__in=members) | Q(network__in=networks)).exclude(network=new).update(
        network=new
    )


def _recipients(entity_ids: list[int]):
    """The owning analysts of these entities, or the police analysts when none has an owner."""
    from lantern.accounts.models import AgencyKind, Role, User

    owner_ids = Entity.objects.filter(pk__in=entity_ids).exclude(owner=None).values("owner")
    users = list(
        User.objects.filter(
            Q(pk__in=owner_ids) | Q(role=Role.ANALYST, agency__kind=AgencyKind.POLICE), is_active=True
        ).annotate(owns=ExpressionWrapper(Q(pk__in=owner_ids), output_field=BooleanField()))
    )
    return [user for user in users if user.owns] or users


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
        reasons.append(
            {
                "text": f"{EntityKind(kind).label} '{_mention_text(kind, row)}' matched "
                f"{entity.label or 'an unnamed entity'} (mention {other_id}), in a network of {sizes[network]} "
                f"entities" + (f": {model.explain(evidence)}" if evidence else "."),
                "mention_kind": kind,
                "mention_id": row["id"],
                "matched_mention_id": other_id,
                "entity_id": entity.pk,
                "entity_label": entity.label,
                "network": network,
                "probability": probability,
                "evidence": evidence,
            }
        )
    joined = {n for e, n in before.items() if n and sizes.get(n, 0) >= 2}
    linked = len(joined) >= 2
    if linked:
        reasons.append(
            {
                "text": f"This report links {len(joined)} networks that were separate until now.",
                "networks": sorted(joined),
            }
        )
        networks |= joined
        entity_ids += [e for e, n in before.items() if n in joined and e not in entity_ids]
    if not reasons:
        return []
    kind = AlertKind.LINKED_NETWORKS if linked else AlertKind.JOINED_NETWORK
    report_label = getattr(referral, "reference", None) or getattr(item, "reference", "")
    summary = (
        f"{report_label}: links {len(joined)} networks"
        if linked
        else f"{report_label}: {len(entity_ids)} mention{'s' if len(entity_ids) != 1 else ''} matched "
        f"a known network"
    )
    first = entity_ids[0] if entity_ids else None
    alerts = LinkAlert.objects.bulk_create(
        [
            LinkAlert(
                kind=kind,
                recipient=user,
                entity_id=first,
                referral=referral,
                item=item,
                summary=summary[:300],
                reasons=reasons,
                networks=sorted(networks),
            )
            for user in _recipients(entity_ids)
        ]
    )
    if alerts:
        from lantern.audit import events

        events.link_alerts_raised(alerts=alerts)
    return alerts


def _tell_listeners(*, referral, item, entities: list[int], concerns: list[int], now: datetime) -> None:
    """Tell each room listening for matched reports (casework's safeguarding conflicts), each in its own savepoint."""
    for listener in hooks.report_listeners():
        try:
            with transaction.atomic():
                listener(referral=referral, item=item, entities=entities, concerns=concerns, now=now)
        except Exception:  # noqa: BLE001 - another room's failure must not undo matching
            logger.exception("A listener for matched reports failed")


def _signals(entities: dict[int, str], now: datetime) -> None:
    """Let what follows matching look at the report's entities (the network's cross-agency signal rules)."""
    try:
        with transaction.atomic():
            hooks.report_matched(entities=list(entities), now=now)
    except Exception:  # noqa: BLE001 - another room's failure must not undo matching
        logger.exception("The cross-agency signal check failed")
