"""How many referrals each month: the count processes shared by the generator and the calibration benchmark.

Real monthly counts of referrals vary more than chance alone would make them: a Poisson count of 100 has a
standard deviation of 10, but months of a real service often differ by two or three times that. Two reasons are
modelled here, so that the statistics are tested on counts like the ones they will meet:

- `"poisson"`: each referral arrives independently of the others. The variance equals the mean. This is the
  process the demo has always used, and it still draws exactly the same numbers from the same stream.
- `"negbin"`: the month's underlying rate itself wanders (staffing, a campaign, the news), as a gamma
  variable with mean 1 and shape `NEGBIN_SHAPE`, and referrals then arrive Poisson at that rate. The count is
  negative binomial with variance mu + mu²/k: at k = 15 a month of 100 expected has a standard deviation of
  about 28 rather than 10, and a month of 1,000 about 260.
- `"clustered"`: incidents arrive Poisson, and each brings a cluster of referrals — one investigation, or a
  school's training day, gives several agencies a reason to refer at once. A cluster is one referral and a
  geometric number more (mean `CLUSTER_EXTRA`, so clusters average 2.5 referrals); incidents arrive at the
  expected count over 2.5, so the expected referrals per month are unchanged. The variance is about four
  times the mean at every size.
"""

import math
import random
from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate

PROCESSES = ("poisson", "negbin", "clustered")
NEGBIN_SHAPE = 15.0  # k: variance mu + mu²/k, so 100 expected has SD about 28
CLUSTER_EXTRA = 1.5  # mean extra referrals an incident brings beyond its first (clusters average 2.5)
CLUSTER_SIZE = 1.0 + CLUSTER_EXTRA


def _check(process: str) -> None:
    if process not in PROCESSES:
        raise ValueError(f"Choose a count process from {', '.join(PROCESSES)}, not {process!r}.")


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean > 200:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def _cluster_extra(rng: random.Random) -> int:
    """The extra referrals one incident brings: geometric on 0, 1, 2, … with mean `CLUSTER_EXTRA`."""
    stay = CLUSTER_EXTRA / CLUSTER_SIZE  # the chance of one more referral, each time
    return int(math.log(1.0 - rng.random()) / math.log(stay))


def _clustered(rng: random.Random, mean: float) -> int:
    """Referrals from Poisson incidents with geometric clusters, `mean` expected in all."""
    incidents = poisson(rng, mean / CLUSTER_SIZE)
    if incidents == 0:
        return 0
    # The sum of n geometric extras is negative binomial: Poisson at a gamma(n, mean extra) rate, in O(1).
    return incidents + poisson(rng, rng.gammavariate(incidents, CLUSTER_EXTRA))


def draw_counts(rng: random.Random, expected: Sequence[float], process: str = "poisson") -> list[int]:
    """One count per month with the given expected values, from `process` (see the module's docstring)."""
    _check(process)
    if process == "poisson":
        return [poisson(rng, mean) for mean in expected]
    if process == "negbin":
        return [
            poisson(rng, mean * rng.gammavariate(NEGBIN_SHAPE, 1 / NEGBIN_SHAPE)) if mean > 0 else 0
            for mean in expected
        ]
    return [_clustered(rng, mean) if mean > 0 else 0 for mean in expected]


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    """A month chosen in proportion to its weight, by one `random()` call."""
    return bisect(cumulative, rng.random() * cumulative[-1], 0, len(cumulative) - 1)


def share_total(
    rng: random.Random, weights: Sequence[float], total: int, process: str = "poisson"
) -> list[int]:
    """Exactly `total` referrals shared among months in proportion to `weights`, from `process`.

    "poisson" is a multinomial share, one referral at a time. "negbin" first multiplies each month's weight by
    gamma noise (mean 1, shape `NEGBIN_SHAPE`). "clustered" shares incidents, each with its cluster of
    referrals, until the total is reached (the last cluster is cut short to make it exact).
    """
    _check(process)
    counts = [0] * len(weights)
    if not weights or total <= 0:
        return counts
    if process == "negbin":
        weights = [w * rng.gammavariate(NEGBIN_SHAPE, 1 / NEGBIN_SHAPE) if w > 0 else 0.0 for w in weights]
    cumulative = list(accumulate(weights))
    if process == "clustered":
        left = total
        while left > 0:
            size = min(left, 1 + _cluster_extra(rng))
            counts[_pick(rng, cumulative)] += size
            left -= size
        return counts
    for _ in range(total):
        counts[_pick(rng, cumulative)] += 1
    return counts
