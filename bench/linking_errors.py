"""Person resolution's errors on one data set, by cause: the false-positive and false-negative pairs of Lantern's
batch resolution, grouped by the comparison levels they reached, with examples.

    python bench/linking_errors.py --datasets pp-wic,pp-w2 [--examples 10]

The data sets are bench/linking.py's (its `--datasets` names). A pair is counted once: false positives are pairs
put in one cluster that are two people in truth, false negatives one person in truth put in two clusters. Held-out
sets (pp-census) are refused: they are for checking a result, not for looking at its errors.
"""

import argparse
import itertools
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import linking  # noqa: E402 - bench/linking.py, beside this file

SHOWN = ("given", "family", "dob", "birth_year", "sex", "address", "postcode", "id_number")


def resolve(records: list[dict]):
    """Lantern's batch resolution as bench/linking.py runs it, and the scorer and features it used."""
    from lantern.intel.linking.resolution import cluster, model, person

    feats = {r["unique_id"]: person.features(r) for r in records}
    trained = model.train(feats.values())
    pairs = cluster.Pairs.from_batches(model.predicted_pairs(trained))
    trained.close()
    scorer = model.Scorer(trained.settings, trained.tf, trained.threshold)
    judge = model.Judge(scorer, feats.__getitem__)
    assignment = cluster.cluster(list(feats), pairs, strong=model.STRONG_THRESHOLD, judge=judge)
    return assignment, scorer, feats


def wrong_pairs(assignment: dict, truth: dict) -> tuple[list, list]:
    """(false positives, false negatives) as pairs of record ids."""
    clusters, people = defaultdict(list), defaultdict(list)
    for record, label in assignment.items():
        clusters[label].append(record)
    for record, entity in truth.items():
        people[entity].append(record)
    false_positive = [
        (a, b)
        for members in clusters.values()
        for a, b in itertools.combinations(sorted(members), 2)
        if truth[a] != truth[b]
    ]
    false_negative = [
        (a, b)
        for members in people.values()
        for a, b in itertools.combinations(sorted(members), 2)
        if assignment[a] != assignment[b]
    ]
    return false_positive, false_negative


def cause(scorer, left: dict, right: dict) -> str:
    """The levels a pair reached, leaving out agreement and missing values: what set it apart or together."""
    reached = []
    for spec, levels, _exact_u in scorer.comparisons:
        level = levels[spec.level_of(left, right)][0]
        if not level.is_null and level.label != "exact":
            reached.append(f"{spec.name}={level.label}")
    return ", ".join(reached) or "every known field the same"


def describe(scorer, left: dict, right: dict) -> str:
    """A pair's features and the evidence the model weighed."""
    probability, weight, evidence = scorer.score(left, right, explain=True)
    lines = [
        f"  weight {weight:+.1f}, probability {probability:.3f}",
        f"    {[left.get(c) for c in SHOWN]}",
        f"    {[right.get(c) for c in SHOWN]}",
        "    " + "; ".join(f"{e['field']} {e['level']} ({e['weight']:+.1f})" for e in evidence),
    ]
    return "\n".join(lines)


def report(name: str, examples: int) -> None:
    """Print one data set's figures, its errors by cause, and examples of each kind."""
    from lantern.intel.linking.resolution import metrics

    loader, args = linking.dataset_loader(name)
    records, truth = getattr(linking, loader)(*args)
    assignment, scorer, feats = resolve(records)
    figures = metrics.pairwise(assignment, truth)
    print(
        f"{name}: precision {figures['precision']:.4f} recall {figures['recall']:.4f} F1 {figures['f1']:.4f}"
    )
    rng = random.Random(linking.SEED)
    for title, pairs in zip(
        ("False positives", "False negatives"), wrong_pairs(assignment, truth), strict=True
    ):
        causes = Counter(cause(scorer, feats[a], feats[b]) for a, b in pairs)
        print(f"{title}: {len(pairs)} pairs")
        for text, count in causes.most_common(20):
            print(f"  {count:6d}  {text}")
        for a, b in rng.sample(pairs, min(examples, len(pairs))):
            print(describe(scorer, feats[a], feats[b]))


def main(argv=None) -> int:
    """Report the errors of each data set asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", default="pp-wic,pp-w2", help="Comma-separated data sets (bench/linking.py's)."
    )
    parser.add_argument("--examples", type=int, default=10, help="Examples of each kind of error to print.")
    args = parser.parse_args(argv)
    names = [name for name in args.datasets.split(",") if name]
    if held_out := [name for name in names if name in linking.HELD_OUT]:
        parser.error(
            f"{', '.join(held_out)} is held out: measure it with bench/linking.py, do not study its errors."
        )
    linking.django_setup()
    for name in names:
        report(name, args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
