"""Clustering matched pairs into entities, bound by analysts' decisions.

Connected components at the threshold, built strongest link first with a union-find: an analyst's confirmation is
a must-link (joined before anything else) and a rejection or split is a cannot-link (a link that would put the two
in one entity is refused, however strong). Without decisions this is exactly connected components.
"""

from collections import defaultdict
from collections.abc import Iterable


class Clusters:
    """A union-find over mention ids that refuses to join what an analyst has kept apart."""

    def __init__(self, ids: Iterable, cannot_link: Iterable[tuple] = ()) -> None:
        self.parent = {i: i for i in ids}
        self.size = dict.fromkeys(self.parent, 1)
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
        small, other = (ra, rb) if len(self.constrained.get(ra, ())) <= len(self.constrained.get(rb, ())) else (rb, ra)
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


def cluster(ids: Iterable, pairs: Iterable[tuple], *, strong: float = 0.0, must_link: Iterable[tuple] = (),
            cannot_link: Iterable[tuple] = ()) -> dict:
    """Mention id -> cluster id (the smallest member id), from (a, b, probability) pairs above the threshold.

    Pairs at or above `strong` join clusters (connected components); weaker pairs only bring a lone mention into
    its best cluster, so that a mention with little said about it ("Thomas", about 14) cannot bridge two people.
    With `strong` 0 this is connected components.
    """
    clusters = Clusters(ids, cannot_link)
    for a, b in must_link:
        if a in clusters.parent and b in clusters.parent:
            clusters.join(a, b, force=True)
    for a, b, probability in sorted(pairs, key=lambda p: -p[2]):
        if probability >= strong or clusters.size[clusters.find(a)] == 1 or clusters.size[clusters.find(b)] == 1:
            clusters.join(a, b)
    assignment = {}
    for members in clusters.groups().values():
        label = min(members)
        for member in members:
            assignment[member] = label
    return assignment
