"""Measuring a clustering against the truth: pairwise precision, recall and F1, and B-cubed F1."""

from collections import Counter, defaultdict


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: dict, truth: dict) -> dict:
    """Pairwise precision, recall and F1 of a clustering (record -> cluster) against the truth (record -> entity)."""
    both = Counter((predicted[r], truth[r]) for r in truth if r in predicted)
    true_positive = sum(_pairs(n) for n in both.values())
    predicted_pairs = sum(_pairs(n) for n in Counter(predicted[r] for r in truth if r in predicted).values())
    true_pairs = sum(_pairs(n) for n in Counter(truth.values()).values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
    }


def bcubed(predicted: dict, truth: dict) -> dict:
    """B-cubed precision, recall and F1: per record, the share of its cluster that is truly its entity, and back."""
    both = Counter((predicted[r], truth[r]) for r in truth)
    cluster_size = Counter(predicted[r] for r in truth)
    entity_size = Counter(truth.values())
    precision = recall = 0.0
    for (cluster, entity), n in both.items():
        precision += n * n / cluster_size[cluster]
        recall += n * n / entity_size[entity]
    total = len(truth) or 1
    precision, recall = precision / total, recall / total
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def clusters_from_pairs(ids, pairs) -> dict:
    """Connected components of (a, b) pairs: record -> cluster id."""
    parent = {i: i for i in ids}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups = defaultdict(list)
    for i in ids:
        groups[find(i)].append(i)
    return {i: root for root, members in groups.items() for i in members}
