"""The association graph: entities joined by co-mention, a shared vehicle or phone, or an analyst's record.

The whole graph is held in memory as a compressed sparse row (CSR) adjacency: a sorted array of entity ids, and
for each the positions of its neighbours. Each web and worker process reads it once from `Association` (a binary
COPY on PostgreSQL, chunked fetches elsewhere) and then keeps it up to date: new associations (noticed from the
newest association) are read on their own and merged in; `graph_invalidate()` (called when an association is moved
to other entities or deleted by a service, and by anything that rewrites associations in bulk), a count that does
not add up (checked every 30 seconds, so deletions no one announced are noticed), or a copy ten minutes old means
reading everything again. See docs/decisions/0008-association-graph-in-memory.md.

Shortest paths use a level-synchronous bidirectional breadth-first search whose frontiers are expanded with numpy,
so a path between two entities of a million-node, five-million-edge graph takes milliseconds (`bench/network.py`).
Centrality (degree, betweenness, closeness, eigenvector: networkx's definitions, computed with scipy) and k-cores
are computed on a bounded subgraph: a component, or an entity's neighbourhood. The timeline of an entity is read from the mention tables.
"""

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

import networkx as nx
import numpy as np
from django.core.cache import cache
from django.db.models.signals import post_save
from django.dispatch import receiver
from scipy import sparse
from scipy.sparse import csgraph

from lantern.core.database import read_int64_rows
from lantern.intel.linking.models import (
    Association,
    OrganisationMention,
    PersonMention,
    PersonRole,
    PhoneMention,
    PlaceMention,
    VehicleMention,
)

logger = logging.getLogger(__name__)

GENERATION_KEY = "intel.association_graph.generation"
MAX_PATH_HOPS = 4
MAX_PATHS = 100
# The most nodes a network view, its table, its centrality figures or an export holds. A bigger component is shown
# as the neighbourhood of the entity in question, cut to this size, and says so.
MAX_VIEW_NODES = 200
# Exact betweenness is O(nm); above this many nodes it is estimated from this many sampled sources.
EXACT_BETWEENNESS_NODES = 400
MENTION_MODELS = (PersonMention, VehicleMention, PhoneMention, PlaceMention, OrganisationMention)

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(eq=False)
class AssociationGraph:
    """An undirected graph over entity ids in CSR form: `ids[i]`'s neighbours are `ids[indices[indptr[i]:indptr[i+1]]]`."""

    ids: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    generation: tuple = ()
    built_seconds: float = 0.0
    loaded_at: float = field(default_factory=time.monotonic)
    # Rows below `sorted_count` are in id order (found by binary search); rows added later by `with_edges` for
    # entities new to the graph are appended after them and found through `appended`.
    sorted_count: int = -1
    appended: dict[int, int] = field(default_factory=dict, repr=False)
    # The associations read near the newest id (id: source, target), checked at the next read, and how many
    # associations were read in all.
    tail: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False)
    rows_read: int = 0
    counted_at: float = field(default_factory=time.monotonic)
    _components: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.sorted_count < 0:
            self.sorted_count = len(self.ids)

    @classmethod
    def from_edges(
        cls, sources: np.ndarray, targets: np.ndarray, *, generation: tuple = ()
    ) -> "AssociationGraph":
        """Build from two equal-length arrays of entity ids; direction, repeats and self-loops are dropped."""
        started = time.perf_counter()
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        keep = sources != targets
        sources, targets = sources[keep], targets[keep]
        if not len(sources):
            return cls(
                ids=_EMPTY,
                indptr=np.zeros(1, dtype=np.int64),
                indices=np.zeros(0, dtype=np.int32),
                generation=generation,
                built_seconds=time.perf_counter() - started,
            )
        top = int(max(sources.max(), targets.max()))
        if top <= 8 * len(sources) + 1_000_000:
            # Ids are database keys, dense enough to map through a table: no sorting of the endpoints needed.
            present = np.zeros(top + 1, dtype=bool)
            present[sources] = True
            present[targets] = True
            ids = np.flatnonzero(present).astype(np.int64)
            row_of = np.cumsum(present, dtype=np.int32) - 1
            del present
            a, b = row_of[sources], row_of[targets]
            del row_of
        else:
            ids = np.unique(np.concatenate([sources, targets]))
            a, b = (
                np.searchsorted(ids, sources).astype(np.int32),
                np.searchsorted(ids, targets).astype(np.int32),
            )
        n = len(ids)
        del sources, targets
        # Both directions; scipy's conversion to CSR is a counting sort, and summing duplicates drops repeats.
        from scipy.sparse import coo_matrix

        matrix = coo_matrix(
            (np.ones(2 * len(a), dtype=np.int8), (np.concatenate([a, b]), np.concatenate([b, a]))),
            shape=(n, n),
        ).tocsr()
        del a, b
        matrix.sum_duplicates()
        matrix.sort_indices()
        indptr = matrix.indptr.astype(np.int64)
        indices = matrix.indices.astype(np.int32, copy=False)
        return cls(
            ids=ids,
            indptr=indptr,
            indices=indices,
            generation=generation,
            built_seconds=time.perf_counter() - started,
        )

    # Sizes and look-ups
    @property
    def node_count(self) -> int:
        """Entities with at least one association."""
        return len(self.ids)

    @property
    def edge_count(self) -> int:
        """Distinct pairs of associated entities."""
        return len(self.indices) // 2

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return self.ids.nbytes + self.indptr.nbytes + self.indices.nbytes

    def position(self, entity_id: int) -> int | None:
        """The row of an entity, or None if it has no associations."""
        n = self.sorted_count
        i = int(np.searchsorted(self.ids[:n], entity_id))
        if i < n and self.ids[i] == entity_id:
            return i
        return self.appended.get(int(entity_id))

    def positions(self, entity_ids: np.ndarray) -> np.ndarray:
        """The rows of many entities at once (-1 for an entity with no associations)."""
        entity_ids = np.asarray(entity_ids, dtype=np.int64)
        n = self.sorted_count
        if n == 0:
            rows = np.full(len(entity_ids), -1, dtype=np.int64)
        else:
            rows = np.searchsorted(self.ids[:n], entity_ids)
            found = (rows < n) & (self.ids[np.minimum(rows, n - 1)] == entity_ids)
            rows = np.where(found, rows, -1)
        if self.appended:
            for k in np.flatnonzero(rows < 0).tolist():
                rows[k] = self.appended.get(int(entity_ids[k]), -1)
        return rows

    def with_edges(
        self, sources: np.ndarray, targets: np.ndarray, *, generation: tuple = ()
    ) -> "AssociationGraph":
        """A new graph with these links added (links already present are not repeated); this one is unchanged.

        Entities new to the graph get rows after the existing ones, so existing rows keep their numbers and the
        cost is one linear merge of the adjacency, not a rebuild from the database.
        """
        from scipy.sparse import coo_matrix, csr_matrix

        started = time.perf_counter()
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        keep = sources != targets
        sources, targets = sources[keep], targets[keep]
        if not len(sources):
            return replace(self, generation=generation, _components=self._components)
        endpoints = np.unique(np.concatenate([sources, targets]))
        rows = self.positions(endpoints)
        new_ids = endpoints[rows < 0]
        n_old = len(self.ids)
        rows[rows < 0] = np.arange(n_old, n_old + len(new_ids))
        appended = dict(self.appended)
        appended.update(zip(new_ids.tolist(), range(n_old, n_old + len(new_ids)), strict=True))
        n = n_old + len(new_ids)
        a = rows[np.searchsorted(endpoints, sources)]
        b = rows[np.searchsorted(endpoints, targets)]
        indptr = np.concatenate([self.indptr, np.full(len(new_ids), self.indptr[-1], dtype=np.int64)])
        base = csr_matrix((np.ones(len(self.indices), dtype=np.int8), self.indices, indptr), shape=(n, n))
        delta = coo_matrix(
            (np.ones(2 * len(a), dtype=np.int8), (np.concatenate([a, b]), np.concatenate([b, a]))),
            shape=(n, n),
        ).tocsr()
        delta.sum_duplicates()
        delta.data[:] = 1
        merged = base + delta
        merged.sort_indices()
        return AssociationGraph(
            ids=np.concatenate([self.ids, new_ids]),
            indptr=merged.indptr.astype(np.int64),
            indices=merged.indices.astype(np.int32, copy=False),
            generation=generation,
            built_seconds=time.perf_counter() - started,
            loaded_at=self.loaded_at,
            sorted_count=self.sorted_count,
            appended=appended,
            _components=self._joined_components(a, b, len(new_ids)),
        )

    def _joined_components(self, a: np.ndarray, b: np.ndarray, added: int) -> np.ndarray | None:
        """Component labels after adding links a–b (rows; `added` new rows at the end), from the labels before:
        only the components the new links join are merged, without a search of the whole graph."""
        if self._components is None:
            return None
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        first_new = int(self._components.max()) + 1 if len(self._components) else 0
        labels = np.concatenate([self._components, np.arange(first_new, first_new + added)])
        size = first_new + added
        joins = coo_matrix((np.ones(len(a), dtype=np.int8), (labels[a], labels[b])), shape=(size, size))
        _, merged = connected_components(joins, directed=False)
        return merged[labels]

    def _neighbour_positions(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def neighbours(self, entity_id: int) -> list[int]:
        """The ids of the entities associated with one entity."""
        i = self.position(entity_id)
        return [] if i is None else self.ids[self._neighbour_positions(i)].tolist()

    def degree(self, entity_id: int) -> int:
        """How many entities one entity is associated with."""
        i = self.position(entity_id)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    def _expand(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every neighbour of every node in `frontier` (positions), with the frontier node it was reached from."""
        starts = self.indptr[frontier]
        counts = self.indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ends = np.cumsum(counts)
        offsets = np.repeat(starts - (ends - counts), counts) + np.arange(total)
        return self.indices[offsets].astype(np.int64), np.repeat(frontier, counts)

    # Paths
    def shortest_path(
        self, source_id: int, target_id: int, *, max_hops: int | None = None
    ) -> list[int] | None:
        """The entity ids along one shortest path from source to target (both included), or None if none.

        Bidirectional breadth-first search, a whole level at a time, always growing the smaller frontier. Among
        the meeting points found in the level where the searches first meet, the one nearest the far end gives
        the shortest path (any shorter path would have met a level earlier).
        """
        s, t = self.position(source_id), self.position(target_id)
        if source_id == target_id:
            return [source_id]
        if s is None or t is None:
            return None
        n = len(self.ids)
        parent = (np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64))
        depth = (np.full(n, -1, dtype=np.int16), np.full(n, -1, dtype=np.int16))
        frontier = [np.array([s]), np.array([t])]
        parent[0][s], parent[1][t] = s, t
        depth[0][s], depth[1][t] = 0, 0
        reached = [0, 0]
        while len(frontier[0]) and len(frontier[1]):
            if max_hops is not None and reached[0] + reached[1] >= max_hops:
                return None
            side = 0 if self._work(frontier[0]) <= self._work(frontier[1]) else 1
            other = 1 - side
            found, came_from = self._expand(frontier[side])
            fresh = depth[side][found] < 0
            found, came_from = found[fresh], came_from[fresh]
            # Several frontier nodes may reach the same node; any one of them is a parent on a shortest path.
            found, first = np.unique(found, return_index=True)
            came_from = came_from[first]
            reached[side] += 1
            parent[side][found] = came_from
            depth[side][found] = reached[side]
            meets = found[depth[other][found] >= 0]
            if len(meets):
                meet = int(meets[np.argmin(depth[other][meets])])
                return self._join(meet, parent)
            frontier[side] = found
        return None

    def _work(self, frontier: np.ndarray) -> int:
        return int((self.indptr[frontier + 1] - self.indptr[frontier]).sum())

    def _join(self, meet: int, parent: tuple[np.ndarray, np.ndarray]) -> list[int]:
        forward, node = [meet], meet
        while parent[0][node] != node:
            node = int(parent[0][node])
            forward.append(node)
        backward, node = [], meet
        while parent[1][node] != node:
            node = int(parent[1][node])
            backward.append(node)
        return self.ids[forward[::-1] + backward].tolist()

    def _distance_array(
        self, start: int, hops: int, enough: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances (-1 beyond `hops`) from one row to every row, and the rows reached, in order of distance.

        With `enough`, the search stops after the first level that brings the rows reached to that many.
        """
        distance = np.full(len(self.ids), -1, dtype=np.int16)
        distance[start] = 0
        reached = [np.array([start], dtype=np.int64)]
        frontier = reached[0]
        for level in range(1, hops + 1):
            found, _ = self._expand(frontier)
            found = np.unique(found[distance[found] < 0])
            if not len(found):
                break
            distance[found] = level
            reached.append(found)
            frontier = found
            if enough is not None and sum(len(r) for r in reached) >= enough:
                break
        return distance, np.concatenate(reached)

    def distances_within(self, entity_id: int, hops: int, *, enough: int | None = None) -> dict[int, int]:
        """Rows within `hops` of an entity, with their distance (a bounded breadth-first search)."""
        start = self.position(entity_id)
        if start is None:
            return {}
        distance, reached = self._distance_array(start, hops, enough)
        return dict(zip(reached.tolist(), distance[reached].tolist(), strict=True))

    def simple_paths(
        self, source_id: int, target_id: int, *, max_hops: int = MAX_PATH_HOPS, limit: int = MAX_PATHS
    ) -> tuple[list[list[int]], bool]:
        """Every path without repeated entities of at most `max_hops` hops, shortest first, up to `limit`.

        Returns the paths and whether there were more. The search only steps to entities from which the target
        can still be reached in the hops left (known from a bounded search back from the target), so it does not
        wander a large graph.
        """
        s, t = self.position(source_id), self.position(target_id)
        if s is None or t is None or s == t:
            return [], False
        to_target, _ = self._distance_array(t, max_hops - 1)
        paths: list[list[int]] = []
        more = False
        stack: list[int] = [s]

        def walk(node: int, hops_left: int) -> None:
            """Extend the path on the stack by exactly `hops_left` hops to the target."""
            nonlocal more
            nearby = self._neighbour_positions(node)
            distance = to_target[nearby]
            # Only neighbours from which the target is still within reach (the target itself is at distance 0).
            nearby = nearby[(distance >= 0) & (distance <= hops_left - 1)]
            for w in nearby.tolist():
                if more:
                    return
                if w == t:
                    if hops_left != 1:
                        continue
                    if len(paths) >= limit:
                        more = True
                        return
                    paths.append(stack + [t])
                elif hops_left > 1 and w not in stack:
                    stack.append(w)
                    walk(w, hops_left - 1)
                    stack.pop()

        for hops in range(1, max_hops + 1):
            walk(s, hops)
            if more:
                break
        return [self.ids[p].tolist() for p in paths], more

    # Components and neighbourhoods
    def component_labels(self) -> np.ndarray:
        """For each row, the number of its connected component (computed once per graph)."""
        if self._components is None:
            from scipy.sparse import csr_matrix
            from scipy.sparse.csgraph import connected_components

            n = len(self.ids)
            matrix = csr_matrix(
                (np.ones(len(self.indices), dtype=np.int8), self.indices, self.indptr), shape=(n, n)
            )
            _, self._components = connected_components(matrix, directed=False)
        return self._components

    def component_of(self, entity_id: int) -> list[int]:
        """The ids of every entity in the same connected component (the entity alone if it has no associations)."""
        i = self.position(entity_id)
        if i is None:
            return [entity_id]
        labels = self.component_labels()
        return self.ids[labels == labels[i]].tolist()

    def component_sizes(self) -> list[int]:
        """The size of every component of two or more entities, largest first."""
        if not len(self.ids):
            return []
        return sorted(np.bincount(self.component_labels()).tolist(), reverse=True)

    def neighbourhood(
        self, entity_id: int, *, hops: int = 2, limit: int = MAX_VIEW_NODES
    ) -> tuple[list[int], bool]:
        """The entity and those within `hops`, nearest first, cut to `limit`; and whether it was cut."""
        seen = self.distances_within(entity_id, hops, enough=limit + 1)
        if not seen:
            return [entity_id], False
        order = sorted(seen, key=lambda p: (seen[p], -int(self.indptr[p + 1] - self.indptr[p]), p))
        return self.ids[order[:limit]].tolist(), len(order) > limit

    def edges_among(self, entity_ids: Iterable[int]) -> list[tuple[int, int]]:
        """The pairs (smaller id first) of associated entities within a set of entities."""
        rows = self.positions(np.unique(np.asarray(list(entity_ids), dtype=np.int64)))
        rows = rows[rows >= 0]
        member = np.zeros(len(self.ids), dtype=bool)
        member[rows] = True
        found, came_from = self._expand(rows)
        keep = member[found] & (came_from < found)
        return list(zip(self.ids[came_from[keep]].tolist(), self.ids[found[keep]].tolist(), strict=True))


# The graph for this process, rebuilt when associations change.
_lock = threading.Lock()
_current: dict[str, AssociationGraph | None] = {"graph": None}


# A process adds new associations to its graph (reading only those) unless its copy is older than this, or
# associations were changed or deleted, or more than DELTA_MAX were added: then it reads them all again.
FULL_RELOAD_SECONDS = 600
DELTA_MAX = 200_000
# Associations are read back this far below the newest id already read, so that one saved in a transaction that
# committed after a later one is not missed (adding a link already present changes nothing).
DELTA_OVERLAP = 10_000
# How often a process counts the associations to notice deletions no one told it about.
COUNT_CHECK_SECONDS = 30


def _generation() -> tuple:
    """What the graph must match: the invalidation counter, and the newest association (id and endpoints), so that
    an id used again after a rollback with other entities is noticed."""
    newest = Association.objects.order_by("-pk").values_list("pk", "source_id", "target_id").first() or (
        0,
        0,
        0,
    )
    return (cache.get(GENERATION_KEY, 0), *newest)


def graph_reset() -> None:
    """Forget this process's graph (tests call it between tests, whose rolled-back ids the database reuses)."""
    _current["graph"] = None


def graph_invalidate() -> None:
    """Tell every process to read its association graph again in full (after associations change or go)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)
    _current["graph"] = None


@receiver(post_save, sender=Association, dispatch_uid="intel.graph.saved")
def _association_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    # A new association is noticed from the newest id, and a new weight or date does not change the graph's
    # shape; only a save that may have moved an association to other entities does. (No receiver on deletion:
    # it would stop Django from deleting many associations in one statement. Deletions are noticed from the
    # count of associations, and services that delete call `graph_invalidate()`.)
    if not created and (
        update_fields is None or {"source", "target", "source_id", "target_id"} & set(update_fields)
    ):
        graph_invalidate()


def _read_rows(*, above: int | None = None, up_to: int | None = None) -> np.ndarray:
    """(id, source, target) rows of associations: all of them, or those with ids in (above, up_to]."""
    table = Association._meta.db_table
    where, params = [], []
    if above is not None:
        where.append("id > %s")
        params.append(above)
    if up_to is not None:
        where.append("id <= %s")
        params.append(up_to)
    sql = f"SELECT id, source_id, target_id FROM {table}"  # noqa: S608 - the model's own table name
    if where:
        sql += " WHERE " + " AND ".join(where)
    return read_int64_rows(sql, params, width=3)


def _tail(rows: np.ndarray, newest: int) -> dict[int, tuple[int, int]]:
    """The rows near the newest id, kept to check that they are still there, unchanged, at the next read."""
    near = rows[rows[:, 0] > newest - DELTA_OVERLAP]
    return {int(i): (int(a), int(b)) for i, a, b in near.tolist()}


def graph_load(*, generation: tuple = ()) -> AssociationGraph:
    """Read every association from the database into a new graph."""
    rows = _read_rows()
    graph = AssociationGraph.from_edges(rows[:, 1], rows[:, 2], generation=generation)
    graph.tail = _tail(rows, int(rows[:, 0].max()) if len(rows) else 0)
    graph.rows_read = len(rows)
    return graph


def _due_a_count(graph: AssociationGraph) -> bool:
    return time.monotonic() - graph.counted_at >= COUNT_CHECK_SECONDS


def association_graph() -> AssociationGraph:
    """The association graph as the database has it now: this process's copy, brought up to date if stale.

    New associations are added to the copy (reading only those); a change signalled by `graph_invalidate()`, a
    count of associations that does not add up (checked at least every COUNT_CHECK_SECONDS), a copy older than
    FULL_RELOAD_SECONDS or a large batch of new associations means reading them all again.
    """
    generation = _generation()
    graph = _current["graph"]
    if graph is not None and graph.generation == generation and not _due_a_count(graph):
        return graph
    with _lock:
        graph = _current["graph"]
        if graph is not None and graph.generation == generation:
            if not _due_a_count(graph):
                return graph
            if Association.objects.count() == graph.rows_read:
                graph.counted_at = time.monotonic()
                return graph
            graph = None  # some were deleted: read them all again
        grows = (
            graph is not None
            and graph.generation[0] == generation[0]
            and 0 <= generation[1] - graph.generation[1] <= DELTA_MAX
            and time.monotonic() - graph.loaded_at < FULL_RELOAD_SECONDS
        )
        if grows:
            rows = _read_rows(above=max(graph.generation[1] - DELTA_OVERLAP, 0), up_to=generation[1])
            seen = {int(i): (int(a), int(b)) for i, a, b in rows[rows[:, 0] <= graph.generation[1]].tolist()}
            # Every row read last time near the end must still be there as it was; otherwise something was rolled
            # back or rewritten without telling, and only a full read is safe.
            grows = all(seen.get(i) == pair for i, pair in graph.tail.items())
        if grows:
            fresh = rows[rows[:, 0] > graph.generation[1]]
            # As many associations as before plus the new ones, or some were deleted: read them all again.
            grows = Association.objects.count() == graph.rows_read + len(fresh)
        if grows:
            tail = {i: pair for i, pair in graph.tail.items() if i > generation[1] - DELTA_OVERLAP}
            rows_read = graph.rows_read + len(fresh)
            graph = graph.with_edges(fresh[:, 1], fresh[:, 2], generation=generation)
            graph.tail = {**tail, **_tail(fresh, generation[1])}
            graph.rows_read = rows_read
        else:
            graph = graph_load(generation=generation)
            logger.info(
                "Association graph loaded: %d entities, %d links in %.2f s",
                graph.node_count,
                graph.edge_count,
                graph.built_seconds,
            )
        _current["graph"] = graph
    return graph


# Centrality
@dataclass(frozen=True)
class NodeMeasures:
    """Centrality of one entity within a subgraph."""

    degree: int
    degree_centrality: float
    betweenness: float
    closeness: float
    eigenvector: float | None
    core: int


@dataclass
class Subgraph:
    """A bounded piece of the graph (a component or a neighbourhood) with its measures."""

    nodes: list[int]
    edges: list[tuple[int, int]]
    measures: dict[int, NodeMeasures]
    truncated: bool
    betweenness_estimated: bool
    full_size: int

    def networkx(self) -> nx.Graph:
        """The subgraph as a networkx graph."""
        graph = nx.Graph()
        graph.add_nodes_from(self.nodes)
        graph.add_edges_from(self.edges)
        return graph


def _index(nodes: list[int], edges: list[tuple[int, int]]) -> dict[int, int]:
    """Each node's position: the nodes in the order given, then any only an edge names (as networkx orders them)."""
    order = dict.fromkeys(nodes)
    for a, b in edges:
        order.setdefault(a)
        order.setdefault(b)
    return {node: i for i, node in enumerate(order)}


def _adjacency(index: dict[int, int], edges: list[tuple[int, int]]) -> sparse.csr_matrix:
    """The symmetric 0/1 adjacency matrix of a simple undirected graph (a repeated edge counts once)."""
    n = len(index)
    pairs = {(index[a], index[b]) for a, b in edges if a != b}
    rows = [i for i, j in pairs] + [j for i, j in pairs]
    cols = [j for i, j in pairs] + [i for i, j in pairs]
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.data[:] = 1.0  # the pair and its reverse, given as two edges, summed to 2
    return matrix


def _betweenness(adjacency: sparse.csr_matrix, distances: np.ndarray) -> np.ndarray:
    """Exact betweenness centrality (Brandes), every source at once, normalised as networkx normalises it.

    Row s of `distances` holds the hop counts from s (inf where unreachable). Shortest paths are counted level by
    level outwards from every source together, and dependencies accumulated level by level back inwards, so each
    step is one sparse product over all sources instead of a Python loop over nodes.
    """
    n = distances.shape[0]
    finite = distances[np.isfinite(distances)]
    deepest = int(finite.max()) if finite.size else 0
    paths = np.eye(n)  # paths[s, v]: the number of shortest paths from s to v
    for level in range(1, deepest + 1):
        before = np.where(distances == level - 1, paths, 0.0)
        paths = np.where(distances == level, (adjacency @ before.T).T, paths)
    dependency = np.zeros((n, n))
    for level in range(deepest - 1, -1, -1):
        after = np.where(distances == level + 1, (1.0 + dependency) / np.where(paths > 0, paths, 1.0), 0.0)
        dependency = np.where(distances == level, paths * (adjacency @ after.T).T, dependency)
    totals = dependency.sum(axis=0) - dependency.diagonal()
    return totals / ((n - 1) * (n - 2)) if n > 2 else totals


def _closeness(distances: np.ndarray) -> np.ndarray:
    """Closeness centrality with Wasserman and Faust's correction for disconnected graphs (networkx's default)."""
    n = distances.shape[0]
    reachable = np.isfinite(distances)
    total = np.where(reachable, distances, 0.0).sum(axis=1)
    others = reachable.sum(axis=1) - 1.0
    closeness = np.divide(others, total, out=np.zeros(n), where=total > 0)
    return closeness * (others / (n - 1)) if n > 1 else closeness


def _eigenvector(adjacency: sparse.csr_matrix, part: np.ndarray) -> np.ndarray | None:
    """Eigenvector centrality of one component by networkx's power iteration on (A + I); None if it does not
    converge in 1,000 steps."""
    sub = adjacency[part][:, part]
    size = len(part)
    x = np.full(size, 1.0 / size)
    for _ in range(1000):
        last = x
        x = last + sub @ last
        x = x / (np.linalg.norm(x) or 1.0)
        if np.abs(x - last).sum() < size * 1e-08:
            return x
    return None


def _eigenvectors(graph: nx.Graph, index: dict[int, int], adjacency: sparse.csr_matrix) -> dict[int, float]:
    """Eigenvector centrality per component, scaled within each; components without edges have none."""
    nodes = list(index)
    count, labels = csgraph.connected_components(adjacency, directed=False)
    eigenvector: dict[int, float] = {}
    for label in range(count):
        part = np.flatnonzero(labels == label)
        if len(part) < 2:
            continue
        values = _eigenvector(adjacency, part)
        if values is None:
            try:
                eigenvector.update(nx.eigenvector_centrality_numpy(graph.subgraph([nodes[i] for i in part])))
            except Exception:  # noqa: BLE001 - a figure that cannot be computed is shown as not available
                logger.warning("Eigenvector centrality did not converge for %d nodes", len(part))
            continue
        eigenvector.update(zip((nodes[i] for i in part), values.tolist(), strict=True))
    return eigenvector


def measures_for(nodes: list[int], edges: list[tuple[int, int]]) -> tuple[dict[int, NodeMeasures], bool]:
    """Degree, betweenness, closeness and eigenvector centrality and core number of each node of a graph.

    The figures are networkx's (its definitions and normalisations), computed with scipy's breadth-first searches
    and sparse products over all nodes at once: in pure Python they took most of an entity page's time.
    Betweenness is exact up to EXACT_BETWEENNESS_NODES nodes and estimated by networkx from a fixed sample of
    sources above (reproducible: the seed is fixed). Eigenvector centrality is None where it is not defined (no
    edges) or does not converge; it is computed per component, scaled within each.
    """
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    index = _index(nodes, edges)
    n = len(index)
    if not n:
        return {}, False
    adjacency = _adjacency(index, edges)
    distances = csgraph.shortest_path(adjacency, method="D", directed=False, unweighted=True)
    estimated = n > EXACT_BETWEENNESS_NODES
    if estimated:
        sampled = nx.betweenness_centrality(graph, k=EXACT_BETWEENNESS_NODES, seed=7)
        betweenness = [sampled[node] for node in index]
    else:
        betweenness = _betweenness(adjacency, distances).tolist()
    closeness = _closeness(distances).tolist()
    core = nx.core_number(graph)
    eigenvector = _eigenvectors(graph, index, adjacency)
    measures = {
        node: NodeMeasures(
            degree=graph.degree(node),
            degree_centrality=graph.degree(node) / (n - 1) if n > 1 else 0.0,
            betweenness=betweenness[i],
            closeness=closeness[i],
            eigenvector=eigenvector.get(node),
            core=core[node],
        )
        for node, i in index.items()
    }
    return measures, estimated


def network_of(
    entity_id: int,
    *,
    scope: str = "component",
    hops: int = 2,
    limit: int = MAX_VIEW_NODES,
    graph: AssociationGraph | None = None,
) -> Subgraph:
    """The component of an entity (or its neighbourhood of `hops`), cut to `limit` nodes, with centrality.

    A component larger than `limit` is shown as the neighbourhood instead: nearest entities first.
    """
    graph = graph or association_graph()
    full_size = 1
    if scope == "component":
        members = graph.component_of(entity_id)
        full_size = len(members)
        if len(members) <= limit:
            nodes, truncated = members, False
        else:
            nodes, _ = graph.neighbourhood(entity_id, hops=len(members), limit=limit)
            truncated = True
    else:
        nodes, truncated = graph.neighbourhood(entity_id, hops=hops, limit=limit)
        full_size = len(graph.distances_within(entity_id, hops)) or 1
    edges = graph.edges_among(nodes)
    measures, estimated = measures_for(nodes, edges)
    return Subgraph(
        nodes=nodes,
        edges=edges,
        measures=measures,
        truncated=truncated,
        betweenness_estimated=estimated,
        full_size=full_size,
    )


def group_network(
    entity_ids: list[int], *, limit: int = MAX_VIEW_NODES, graph: AssociationGraph | None = None
) -> Subgraph:
    """A peer group's network: its members and the entities directly associated with any of them."""
    graph = graph or association_graph()
    nodes = list(dict.fromkeys(entity_ids))
    for entity_id in entity_ids:
        for neighbour in graph.neighbours(entity_id):
            if neighbour not in nodes:
                nodes.append(neighbour)
    truncated = len(nodes) > limit
    nodes = nodes[:limit]
    edges = graph.edges_among(nodes)
    measures, estimated = measures_for(nodes, edges)
    return Subgraph(
        nodes=nodes,
        edges=edges,
        measures=measures,
        truncated=truncated,
        betweenness_estimated=estimated,
        full_size=len(nodes),
    )


# Edges with their reasons
def edge_reasons(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list[Association]]:
    """For each pair of entities (smaller id first), the associations joining them, strongest first."""
    pairs = {(min(a, b), max(a, b)) for a, b in pairs}
    if not pairs:
        return {}
    ids = {i for pair in pairs for i in pair}
    found: dict[tuple[int, int], list[Association]] = {pair: [] for pair in pairs}
    for association in (
        Association.objects.filter(source_id__in=ids, target_id__in=ids)
        .select_related("recorded_by")
        .order_by("-weight", "kind", "pk")
    ):
        key = (
            min(association.source_id, association.target_id),
            max(association.source_id, association.target_id),
        )
        if key in found:
            found[key].append(association)
    return found


# Timeline
@dataclass(frozen=True)
class TimelineEntry:
    """One report that mentions an entity: when, from which agency, and how it mentions it."""

    at: datetime
    report_kind: str  # "referral" or "item"
    report_id: int
    reference: str
    agency: str
    source: str
    roles: tuple[str, ...]


def _report_ids(entity_ids: Iterable[int]) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Referral ids and item ids mentioning any of the entities, each with how they mention it."""
    entity_ids = list(entity_ids)
    referrals: dict[int, set[str]] = {}
    items: dict[int, set[str]] = {}
    for model in MENTION_MODELS:
        columns = ["referral_id", "item_id"] + (["role"] if model is PersonMention else [])
        for row in model.objects.filter(entity_id__in=entity_ids).values_list(*columns):
            if len(row) > 2:
                how = PersonRole(row[2]).label.lower() if row[2] in PersonRole.values else "a person"
            else:
                how = model._meta.verbose_name.replace(" mention", "")
            if row[0] is not None:
                referrals.setdefault(row[0], set()).add(how)
            if row[1] is not None:
                items.setdefault(row[1], set()).add(how)
    return referrals, items


def timeline_for(entity_ids: Iterable[int]) -> list[TimelineEntry]:
    """Every referral and intelligence item mentioning the entities, newest first, with dates and agencies.

    Only references, dates, agencies and how the entity is mentioned: never an item's content or source.
    """
    from lantern.intake.models import Referral
    from lantern.intel.items.models import IntelligenceItem

    referral_roles, item_roles = _report_ids(entity_ids)
    entries = [
        TimelineEntry(
            at=r.received_at,
            report_kind="referral",
            report_id=r.pk,
            reference=r.reference,
            agency=r.referrer_agency.name if r.referrer_agency_id else "",
            source=r.get_source_display(),
            roles=tuple(sorted(referral_roles[r.pk])),
        )
        for r in Referral.objects.filter(pk__in=referral_roles).select_related("referrer_agency")
    ] + [
        TimelineEntry(
            at=i.occurred_at or i.submitted_at,
            report_kind="item",
            report_id=i.pk,
            reference=i.reference,
            agency=i.agency.name,
            source="Intelligence item",
            roles=tuple(sorted(item_roles[i.pk])),
        )
        for i in IntelligenceItem.objects.filter(pk__in=item_roles).select_related("agency")
    ]
    entries.sort(key=lambda e: (e.at, e.report_id), reverse=True)
    return entries
