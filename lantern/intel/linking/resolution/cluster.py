"""Clustering matched pairs into entities, bound by analysts' decisions.

Connected components at the threshold, built strongest link first with a union-find: an analyst's confirmation is
a must-link (joined before anything else) and a rejection or split is a cannot-link (a link that would put the two
in one entity is refused, however strong). So is a pair of mentions the model is all but sure are different
people (a conflict: namesakes born years apart or living elsewhere), which a chain of links could otherwise
join. Without decisions or conflicts this is exactly connected components.

A batch run clusters a million mentions and millions of pairs, so pairs are held as numpy arrays (`Pairs`) and
the strong links are joined at once as a sparse graph's connected components; only what order can change (the
components a cannot-link or a conflict splits, and weak links) goes through the union-find, over the few
clusters involved.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

# Conflicts are looked for among every pair inside a component, so a component larger than this (a chain through
# thousands of mentions, which a sound model does not make) is left as it is and reported, not checked pair by pair.
CONFLICT_COMPONENT_LIMIT = 1000


class Clusters:
    """A union-find over mention ids that refuses to join what an analyst has kept apart."""

    def __init__(
        self, ids: Iterable, cannot_link: Iterable[tuple] = (), sizes: Iterable[int] | None = None
    ) -> None:
        self.parent = {i: i for i in ids}
        # Each id may stand for a cluster already joined (of `sizes` mentions).
        self.size = (
            dict(zip(self.parent, sizes, strict=True)) if sizes is not None else dict.fromkeys(self.parent, 1)
        )
        self.cannot = defaultdict(set)
        for a, b in cannot_link:
            if a in self.parent and b in self.parent and a != b:
                self.cannot[a].add(b)
                self.cannot[b].add(a)
        # The constrained members of each cluster, by root: only these need checking on a join.
        self.constrained = {i: {i} for i in self.cannot}

    def find(self, x):
        """The root of x's cluster."""
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def can_join(self, a, b) -> bool:
        """Whether joining a's and b's clusters would break no cannot-link."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, other = (
            (ra, rb) if len(self.constrained.get(ra, ())) <= len(self.constrained.get(rb, ())) else (rb, ra)
        )
        for member in self.constrained.get(small, ()):
            for banned in self.cannot[member]:
                if self.find(banned) == other:
                    return False
        return True

    def join(self, a, b, *, force: bool = False) -> bool:
        """Join a's and b's clusters unless that breaks a cannot-link (or `force`); whether they are joined."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not force and not self.can_join(a, b):
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        if rb in self.constrained:
            self.constrained.setdefault(ra, set()).update(self.constrained.pop(rb))
        return True

    def groups(self) -> dict:
        """Root -> member ids."""
        out = defaultdict(list)
        for i in self.parent:
            out[self.find(i)].append(i)
        return out


@dataclass
class Pairs:
    """Scored pairs as three arrays: mention ids (left and right) and match probabilities."""

    left: np.ndarray
    right: np.ndarray
    probability: np.ndarray

    def __len__(self) -> int:
        return len(self.probability)

    def strongest_first(self) -> np.ndarray:
        """The order of the pairs, strongest first; equal ones by their ids, so that the order DuckDB returns
        them in (which varies with its threads) cannot change a cluster."""
        low, high = np.minimum(self.left, self.right), np.maximum(self.left, self.right)
        return np.lexsort((high, low, -self.probability))

    @classmethod
    def of(cls, pairs) -> "Pairs":
        """Pairs from Pairs, or from (a, b, probability) tuples."""
        if isinstance(pairs, Pairs):
            return pairs
        rows = list(pairs)
        left, right, probability = zip(*rows, strict=True) if rows else ((), (), ())
        return cls(
            np.asarray(left, dtype=np.int64),
            np.asarray(right, dtype=np.int64),
            np.asarray(probability, dtype=np.float64),
        )

    @classmethod
    def from_batches(cls, batches: Iterable) -> "Pairs":
        """Pairs from Arrow record batches of (unique_id_l, unique_id_r, match_probability), read a batch at a
        time, so that no frame of every pair's columns is ever built."""
        columns = ("unique_id_l", "unique_id_r", "match_probability")
        parts = [[batch.column(name).to_numpy() for name in columns] for batch in batches]
        if not parts:
            return cls.of(())
        return cls(
            *(
                np.concatenate([part[i] for part in parts]).astype(kind, copy=False)
                for i, kind in enumerate((np.int64, np.int64, np.float64))
            )
        )


class Judge(Protocol):
    """What clustering may ask the model about mentions, by id (`model.Judge`)."""

    def conflict(self, a: int, b: int) -> bool:
        """Whether the two are all but surely different people."""

    def together(self, left: list[int], right: list[int]) -> bool:
        """Whether two groups of mentions (one of them may be a lone mention) are, on the whole, one person."""


def cluster(
    ids: Iterable,
    pairs,
    *,
    strong: float = 0.0,
    must_link: Iterable[tuple] = (),
    cannot_link: Iterable[tuple] = (),
    judge: Judge | None = None,
) -> dict:
    """Mention id -> cluster id (the smallest member id), from (a, b, probability) pairs above the threshold
    (`Pairs`, or tuples).

    Pairs at or above `strong` join clusters (connected components); weaker pairs only bring a lone mention into
    its best cluster, so that a mention with little said about it ("Thomas", about 14) cannot bridge two
    people, unless a `judge` is given (below).
    With `strong` 0 this is connected components. The result is the same as joining every pair strongest first
    (equal ones by their ids), must-links before anything.

    `judge.conflict(a, b)` says whether the model is all but sure two mentions are different people. No join
    puts two such mentions in one cluster, as if an analyst had kept them apart: a chain of links, each
    plausible on its own (Jack Price born 1979 - "Jack Price", 45 - Jack Price born 1964), cannot make two
    namesakes one person. A weak link may then join two clusters (Alison Doyle born 2009 and "Alison Doyle", 13,
    of 32 Park Way), or bring a lone mention into a cluster, only when `judge.together(ids, ids)` finds them on
    the whole one person, for a bridge between two people would have to cross a conflict or pairs mostly
    against.
    """
    members = np.unique(np.fromiter(ids, dtype=np.int64))
    if not len(members):
        return {}
    pairs = Pairs.of(pairs)
    order = pairs.strongest_first()
    left = np.searchsorted(members, pairs.left[order])
    right = np.searchsorted(members, pairs.right[order])
    is_strong = pairs.probability[order] >= strong
    must, cannot = _dense(members, must_link), _dense(members, cannot_link)
    root = _components(
        len(members), np.concatenate([must[0], left[is_strong]]), np.concatenate([must[1], right[is_strong]])
    )
    if judge is not None:
        found = _conflicts(members, root, pairs, judge)
        cannot = (np.concatenate([cannot[0], found[0]]), np.concatenate([cannot[1], found[1]]))
    root = _kept_apart(root, must, cannot, left[is_strong], right[is_strong])
    root = _weak_joined(
        root, left[~is_strong], right[~is_strong], cannot, None if judge is None else (judge, members)
    )
    # Members are sorted, so each cluster's first index holds its smallest id.
    roots, first = np.unique(root, return_index=True)
    labels = members[first[np.searchsorted(roots, root)]]
    return dict(zip(members.tolist(), labels.tolist(), strict=True))


def _dense(members: np.ndarray, pairs: Iterable[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """Id pairs as index arrays into `members`, leaving out pairs with an id not among them."""
    rows = np.asarray([(a, b) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
    index = np.searchsorted(members, rows).clip(max=len(members) - 1)
    known = (members[index] == rows).all(axis=1)
    return index[known, 0], index[known, 1]


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Each of n nodes' connected component (a number) over the edges left[i]-right[i]."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _conflicts(members: np.ndarray, root: np.ndarray, pairs: Pairs, judge: Judge) -> tuple:
    """The pairs inside each component of strong links that the judge says are different people, as index
    arrays into `members`. A pair given to cluster (above the threshold) links rather than conflicts, so it is
    not asked about."""
    order = np.argsort(root, kind="stable")
    starts = np.flatnonzero(np.r_[True, root[order][1:] != root[order][:-1]])
    ends = np.r_[starts[1:], len(order)]
    inside = [
        (order[s:e])
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        if 1 < e - s <= CONFLICT_COMPONENT_LIMIT
    ]
    if too_large := sum(
        1 for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e - s > CONFLICT_COMPONENT_LIMIT
    ):
        logger.warning(
            "%d components of over %d mentions were not checked for conflicts",
            too_large,
            CONFLICT_COMPONENT_LIMIT,
        )
    if not inside:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    left = np.concatenate([np.repeat(nodes, len(nodes)) for nodes in inside])
    right = np.concatenate([np.tile(nodes, len(nodes)) for nodes in inside])
    asked = left < right
    left, right = left[asked], right[asked]
    n = len(members)
    given = np.searchsorted(members, pairs.left) * n + np.searchsorted(members, pairs.right)
    given = np.concatenate([given, (given % n) * n + given // n])
    unknown = ~np.isin(left * n + right, given)
    left, right = left[unknown], right[unknown]
    asked = zip(left.tolist(), right.tolist(), strict=True)
    different = np.fromiter(
        (judge.conflict(int(members[a]), int(members[b])) for a, b in asked), dtype=bool, count=len(left)
    )
    return left[different], right[different]


def _kept_apart(
    root: np.ndarray, must: tuple, cannot: tuple, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Components that hold both sides of a cannot-link built again strongest link first, refusing that link.

    Only a component holding a cannot-link can come out differently when built in order, and its links stay
    inside it, so the rest stand as they are."""
    broken = np.unique(root[cannot[0]][root[cannot[0]] == root[cannot[1]]])
    if not len(broken):
        return root
    inside = np.isin(root, broken)
    nodes = np.flatnonzero(inside).tolist()
    clusters = Clusters(nodes, zip(cannot[0].tolist(), cannot[1].tolist(), strict=True))
    for a, b in zip(must[0].tolist(), must[1].tolist(), strict=True):
        if inside[a]:
            clusters.join(a, b, force=True)
    kept = inside[left]
    for a, b in zip(left[kept].tolist(), right[kept].tolist(), strict=True):
        clusters.join(a, b)
    root = root.copy()
    # New cluster numbers beyond the old ones: a node's union-find root, offset.
    root[nodes] = root.max() + 1 + np.asarray([clusters.find(i) for i in nodes], dtype=np.int64)
    return root


def _weak_joined(
    root: np.ndarray, left: np.ndarray, right: np.ndarray, cannot: tuple, judged: tuple | None = None
) -> np.ndarray:
    """Weak links, strongest first. Without a judge each only brings a lone mention into the other side's
    cluster (or joins two lone ones). With one (`judged`: the judge and the mention ids of the nodes) no join
    puts two mentions it finds in conflict together, and two clusters (a lone mention among them) join only when
    it finds them on the whole one person.

    Clusters only grow, so without a judge a link between two mentions that are both in larger clusters
    already can never join; the rest go through a union-find over the clusters they touch."""
    sizes = np.bincount(root)
    if judged is None:
        lone = (sizes[root[left]] == 1) | (sizes[root[right]] == 1)
        left, right = left[lone], right[lone]
    if not len(left):
        return root
    ends = (root[left], root[right])
    touched = np.unique(np.concatenate(ends))
    kept_apart = zip(root[cannot[0]].tolist(), root[cannot[1]].tolist(), strict=True)
    clusters = Clusters(touched.tolist(), kept_apart, sizes=sizes[touched].tolist())
    nodes = _nodes_of(root, touched, judged[1]) if judged is not None else None
    for a, b in zip(ends[0].tolist(), ends[1].tolist(), strict=True):
        ra, rb = clusters.find(a), clusters.find(b)
        lone = clusters.size[ra] == 1 or clusters.size[rb] == 1
        if ra == rb or (nodes is None and not lone):
            continue
        if nodes is not None and (
            any(judged[0].conflict(x, y) for x in nodes[ra] for y in nodes[rb])
            or not judged[0].together(nodes[ra], nodes[rb])
        ):
            continue
        if clusters.join(a, b) and nodes is not None:
            kept = clusters.find(a)
            nodes[kept] = nodes.pop(rb if kept == ra else ra) + nodes[kept]
    renumber = np.arange(len(sizes))
    renumber[touched] = [clusters.find(i) for i in touched.tolist()]
    return renumber[root]


def _nodes_of(root: np.ndarray, touched: np.ndarray, members: np.ndarray) -> dict[int, list[int]]:
    """Cluster number -> the mention ids in it, for the touched clusters."""
    found = np.flatnonzero(np.isin(root, touched))
    out: dict[int, list[int]] = defaultdict(list)
    for mention, number in zip(members[found].tolist(), root[found].tolist(), strict=True):
        out[number].append(mention)
    return out
