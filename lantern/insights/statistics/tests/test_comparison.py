"""The adjusted comparison of two periods: known answers, wider intervals for overdispersed counts, the exact
fallback, zeros, and the calibration benchmark's output."""

import importlib.util
import random
from datetime import date
from pathlib import Path

import pytest

from lantern.demo.counts import draw_counts
from lantern.demo.history import SEASON
from lantern.insights.statistics.comparison import adjusted_rate_ratio
from lantern.insights.statistics.selectors import Period, months_in, rate_ratio

MONTHS = months_in(date(2020, 1, 1), date(2024, 12, 1))
PERIOD = Period(date(2023, 3, 1), date(2023, 8, 1))
COMPARE = Period(date(2022, 9, 1), date(2023, 2, 1))


def _series(process: str, seed: int, factor: float = 1.6, size: float = 200) -> list[int]:
    expected = [size * SEASON[m.month] * (factor if PERIOD.start <= m <= PERIOD.end else 1) for m in MONTHS]
    return draw_counts(random.Random(seed), expected, process)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planted_factor_in_a_long_poisson_series_is_inside_the_interval(seed):
    """×1.6 for six months of a five-year seasonal Poisson series: the interval covers 1.6 and leaves out 1."""
    ratio = adjusted_rate_ratio(MONTHS, _series("poisson", seed), PERIOD, COMPARE)
    assert ratio.method == "quasi-poisson" and ratio.seasonal
    assert ratio.ci_low < 1.6 < ratio.ci_high
    assert ratio.ci_low > 1
    assert "allowing for the time of year" in ratio.reading()


def test_overdispersed_counts_give_a_wider_interval_than_the_exact_one():
    """Negative binomial counts: the dispersion is well above 1 and the interval is wider than the exact Poisson
    interval of the same two periods."""
    counts = _series("negbin", 4)
    ratio = adjusted_rate_ratio(MONTHS, counts, PERIOD, COMPARE)
    inside = [c for m, c in zip(MONTHS, counts, strict=True) if PERIOD.start <= m <= PERIOD.end]
    before = [c for m, c in zip(MONTHS, counts, strict=True) if COMPARE.start <= m <= COMPARE.end]
    exact = rate_ratio(sum(inside), PERIOD.days(), sum(before), COMPARE.days())
    assert ratio.dispersion > 3
    assert ratio.ci_high / ratio.ci_low > 1.5 * (exact.ci_high / exact.ci_low)
    assert "counts that vary more than chance alone" in ratio.reading()


def test_too_few_months_fall_back_to_the_exact_interval():
    """Two months leave no degrees of freedom: the exact conditional interval, named as such."""
    months = MONTHS[:2]
    ratio = adjusted_rate_ratio(months, [30, 45], Period(months[1], months[1]), Period(months[0], months[0]))
    exact = rate_ratio(45, 29, 30, 31)
    assert ratio.method == "exact-poisson" and ratio.df_resid == 0 and ratio.dispersion == 1.0
    assert ratio.ci_low == pytest.approx(exact.ci_low) and ratio.ci_high == pytest.approx(exact.ci_high)


def test_zeros_do_not_raise():
    """No referrals in one period, in both, or in a whole calendar month give figures or None, never an error."""
    counts = _series("poisson", 5, size=3)
    empty_period = [0 if PERIOD.start <= m <= PERIOD.end else c for m, c in zip(MONTHS, counts, strict=True)]
    ratio = adjusted_rate_ratio(MONTHS, empty_period, PERIOD, COMPARE)
    assert ratio.estimate == 0 and ratio.ci_high is not None
    assert "none in this period" in ratio.reading()
    empty_compare = [
        0 if COMPARE.start <= m <= COMPARE.end else c for m, c in zip(MONTHS, counts, strict=True)
    ]
    assert adjusted_rate_ratio(MONTHS, empty_compare, PERIOD, COMPARE).estimate is None
    nothing = adjusted_rate_ratio(MONTHS, [0] * len(MONTHS), PERIOD, COMPARE)
    assert nothing.estimate is None and nothing.ci_low is None
    no_januaries = [0 if m.month == 1 else c for m, c in zip(MONTHS, counts, strict=True)]
    assert adjusted_rate_ratio(MONTHS, no_januaries, PERIOD, COMPARE).estimate is not None
    outside = adjusted_rate_ratio(MONTHS[:12], counts[:12], PERIOD, COMPARE)
    assert outside.method == "none" and outside.estimate is None


def test_calibration_benchmark_gives_a_row_per_method_and_process(monkeypatch):
    """bench/calibration.py on a few boroughs: crude and adjusted per process, and change points per process."""
    bench = Path(__file__).resolve().parents[4] / "bench"
    monkeypatch.syspath_prepend(str(bench))  # as when run as a script: its helpers sit beside it
    path = bench / "calibration.py"
    spec = importlib.util.spec_from_file_location("calibration", path)
    calibration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibration)
    rows = calibration.run(12, seed=3)
    assert [(r["method"], r["process"]) for r in rows] == [
        (method, process)
        for method in ("crude", "adjusted", "change points")
        for process in ("poisson", "negbin", "clustered")
    ]
    for row in rows:
        assert row["benchmark"] == "calibration" and row["boroughs"] == 4
        assert {"coverage", "false_alarm", "power", "median_width"} <= row.keys()
    assert all(0 <= r["coverage"] <= 1 for r in rows if r["method"] != "change points")
    assert all(0 <= r["false_alarm"] <= 1 for r in rows if r["method"] == "change points")
