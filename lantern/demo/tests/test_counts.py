"""The count processes: their means, their spread, exact totals, and Poisson draws unchanged from before."""

import json
import random
import statistics
from io import StringIO

import pytest
from django.core.management import call_command

from lantern.demo import counts, history


@pytest.mark.parametrize("process", counts.PROCESSES)
def test_each_process_has_the_expected_mean(process):
    """Months of 100 expected average 100 under every process."""
    drawn = counts.draw_counts(random.Random(1), [100.0] * 4000, process)
    assert statistics.fmean(drawn) == pytest.approx(100, rel=0.03)


@pytest.mark.parametrize(
    ("process", "low", "high"), [("poisson", 0.85, 1.15), ("negbin", 5, 10), ("clustered", 3, 5)]
)
def test_overdispersed_processes_vary_more_than_chance(process, low, high):
    """At 100 expected, Poisson's variance is its mean; negbin's is about 7.7 times it, clustered's about 4."""
    drawn = counts.draw_counts(random.Random(2), [100.0] * 4000, process)
    assert low < statistics.variance(drawn) / statistics.fmean(drawn) < high


@pytest.mark.parametrize("process", counts.PROCESSES)
def test_share_total_is_exact_and_in_proportion(process):
    """An exact total is shared out in proportion to the weights (within the process's noise)."""
    weights = [1.0, 2.0, 1.0, 0.0] * 50
    shared = counts.share_total(random.Random(3), weights, 100_000, process)
    assert sum(shared) == 100_000
    assert all(n == 0 for n, w in zip(shared, weights, strict=True) if w == 0)
    heavy = sum(n for n, w in zip(shared, weights, strict=True) if w == 2.0)
    assert heavy / 100_000 == pytest.approx(0.5, abs=0.03)


def test_poisson_draws_are_unchanged():
    """Poisson counts and shares are the numbers the history drew before the processes existed, so the same seed
    still gives the same files."""
    rng = random.Random(2024)
    assert [counts.poisson(rng, m) for m in (0.5, 3, 12.5, 100, 250, 1500, 0, 40)] == [
        0,
        5,
        17,
        90,
        254,
        1517,
        0,
        43,
    ]
    plan = history.plan_history(seed=5, until=history.GENERATED_UNTIL, total=3000, networks=4)
    assert [plan.counts[m] for m in plan.months][:12] == [60, 46, 60, 53, 49, 66, 62, 68, 41, 49, 67, 64]
    assert "count_process" not in plan.truth()


def test_unknown_process_is_refused():
    """A process that does not exist is a ValueError, not a silent Poisson."""
    with pytest.raises(ValueError):
        counts.draw_counts(random.Random(1), [1.0], "lumpy")
    with pytest.raises(ValueError):
        history.plan_history(seed=1, until=history.GENERATED_UNTIL, total=10, counts="lumpy")


def test_generate_with_negbin_counts_records_it(tmp_path):
    """`lantern generate --counts negbin` writes the referrals and says so in the ground truth."""
    call_command(
        "generate",
        "--out",
        str(tmp_path),
        "--seed",
        "4",
        "--referrals",
        "300",
        "--counts",
        "negbin",
        stdout=StringIO(),
    )
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert truth["count_process"] == "negbin"
    assert sum(month["referrals"] for month in truth["months"].values()) == 300
    assert truth["files"]["referrals.csv"]["rows"] == 300
