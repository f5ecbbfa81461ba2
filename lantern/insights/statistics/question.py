""" "Is exploitation continuing on the same scale?": the question the inquiries left open, answered from referrals.

`same_scale(period=, compare=)` compares the referrals received in a period with those in a past period the user
picks, and answers in words a councillor can repeat:

- **The answer** comes from the adjusted comparison (`comparison.adjusted_rate_ratio`: the time of year allowed
  for, and counts that vary more than chance alone, as real referral counts do when one investigation or one
  school's training day brings a cluster). The crude ratio of referrals per day is shown beside it and named as
  such. "Higher" or "lower" only when the 95% interval leaves out 1; otherwise "no clear change".
- **Where the change comes from.** Each source's referrals in the two periods and its share of the change. If
  taking away the source that contributed most leaves no clear change in the rest, the change is said to come
  mostly from that source (one agency looking harder, say); otherwise it is seen across sources.
- **What recorded counts cannot show**, said every time (`LIMITS`).
- **Every figure links to its records and its query**: the records behind each period's count (the
  accountability drill-down, which shows only what the user may open and audits the list) and the SQL that counts
  them from the record.

Only complete months are compared: the current month, being incomplete, is left out, and so are months before
the record begins; the answer says when it did either.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from lantern.core.calendar import LONDON
from lantern.insights.statistics.comparison import NONE, AdjustedRatio, adjusted_rate_ratio
from lantern.insights.statistics.models import Measure
from lantern.insights.statistics.selectors import (
    Period,
    _number,
    add_months,
    history_months,
    month_label,
    month_name,
    monthly_counts,
    months_in,
    rate_ratio,
    series,
    source_label,
    this_month,
)

TITLE = "Is exploitation continuing on the same scale?"
LIMITS = (
    "These are referrals: concerns that someone reported and an agency recorded. They are not a count of abuse. "
    "Exploitation that nobody recognises or reports is in neither period.",
    "A rise can mean more abuse, or more people recognising and reporting it: after training, a campaign, or "
    "one agency looking harder. A fall can mean less abuse, or less reporting. The figures alone cannot tell "
    "these apart; where the change comes from (below) is the first clue.",
    "The interval allows for chance and for the time of year, and for counts that vary more than chance alone "
    "(a cluster of referrals from one investigation). It does not allow for changes in how agencies record or "
    "refer, or in the size of the population.",
    "Referrals entered late, or imported from older systems, are counted in the month they were received, so "
    "recent months can still grow.",
)
DIRECTIONS = {
    "higher": "More referrals than in the past period",
    "lower": "Fewer referrals than in the past period",
    "same": "No clear change from the past period",
    "unknown": "Not enough referrals to answer",
}


@dataclass(frozen=True)
class Answer:
    """The answer for one pair of periods: its direction, its sentence and the ratios behind it."""

    direction: str
    headline: str
    sentence: str
    adjusted: AdjustedRatio

    def as_dict(self) -> dict:
        """As the page and the API give it."""
        return {
            "direction": self.direction,
            "headline": self.headline,
            "sentence": self.sentence,
            "adjusted": self.adjusted.as_dict(),
        }


def direction_of(ratio: AdjustedRatio) -> str:
    """ "higher", "lower" or "same" by whether the interval leaves out 1; "unknown" without an interval."""
    if ratio.estimate is None or ratio.ci_low is None:
        return "unknown"
    if ratio.ci_low > 1:
        return "higher"
    if ratio.ci_high is not None and ratio.ci_high < 1:
        return "lower"
    return "same"


def _likely(ratio: AdjustedRatio) -> str:
    low = _number(ratio.ci_low)
    high = "no upper limit" if ratio.ci_high is None else f"{_number(ratio.ci_high)} times"
    return f"likely between {low} and {high}" if ratio.ci_high is not None else f"likely at least {low} times"


def answer_for(ratio: AdjustedRatio, compare: Period) -> Answer:
    """The answer in words: "About 1.6 times as many referrals a month as in …, likely between 1.3 and 2.0
    times."."""
    direction = direction_of(ratio)
    if direction == "unknown":
        sentence = (
            f"There are too few referrals in one of the periods to compare them with {compare.label}."
            if ratio.estimate is None
            else f"About {_number(ratio.estimate)} times as many referrals a month as in {compare.label}; the "
            "figures are too few to say how sure that is."
        )
    else:
        about = (
            "about the same number of referrals a month as"
            if _number(ratio.estimate) == "1.0"
            else f"about {_number(ratio.estimate)} times as many referrals a month as"
        )
        sentence = f"{about[0].upper()}{about[1:]} in {compare.label}, {_likely(ratio)}."
        if direction == "same":
            sentence += " That is within what chance and the usual ups and downs would give."
    return Answer(direction, DIRECTIONS[direction], sentence, ratio)


def _without(counts: dict, sources: set[str]) -> dict:
    return {key: n for key, n in counts.items() if key[1] not in sources}


def _source_rows(counts: dict, period: Period, compare: Period) -> list[dict]:
    """Each source's referrals in both periods, per-day ratio and the change it accounts for, largest first."""
    scale = period.days() / compare.days()
    totals: dict[str, list[int]] = {}
    for (month, source), n in counts.items():
        row = totals.setdefault(source, [0, 0])
        if period.start <= month <= period.end:
            row[0] += n
        if compare.start <= month <= compare.end:
            row[1] += n
    rows = []
    for source, (count, compare_count) in totals.items():
        if count == 0 and compare_count == 0:
            continue
        crude = rate_ratio(count, period.days(), compare_count, compare.days())
        rows.append(
            {
                "source": source,
                "label": source_label(source),
                "count": count,
                "compare_count": compare_count,
                "rate_ratio": crude.rate_ratio,
                # The change this source accounts for: its count less what its past rate would have given.
                "change": round(count - compare_count * scale, 1),
            }
        )
    rows.sort(key=lambda row: (-abs(row["change"]), row["label"]))
    return rows


def where_from(
    counts: dict, months: list, period: Period, compare: Period, answer: Answer, rows: list[dict]
) -> dict:
    """Whether a change comes from one source or across sources: the rest compared without the largest."""
    if answer.direction not in ("higher", "lower") or len(rows) < 2:
        return {"pattern": "none", "text": "", "source": None, "without": None}
    rising = answer.direction == "higher"
    largest = max(rows, key=lambda row: row["change"] if rising else -row["change"])
    total_change = sum(row["change"] for row in rows)
    share = largest["change"] / total_change if total_change else 0.0
    rest = _without(counts, {largest["source"]})
    without = adjusted_rate_ratio(months, series(rest, months), period, compare)
    moved = sum(1 for row in rows if (row["change"] > 0) == rising and row["change"] != 0)
    label = largest["label"]
    if direction_of(without) in ("same", "unknown") or (
        direction_of(without) != answer.direction and without.estimate is not None
    ):
        pattern = "one_source"
        text = (
            f"The change comes mostly from one source: {label} ({share:.0%} of it). Without {label}, the "
            f"rest show no clear change"
            + (
                f" (about {_number(without.estimate)} times, {_likely(without)})."
                if without.estimate
                else "."
            )
            + " A change in one source can mean that source is looking harder, not that there is more abuse."
        )
    else:
        pattern = "across_sources"
        text = (
            f"The change is seen across sources: {moved} of {len(rows)} went the same way, and without the "
            f"largest ({label}) the rest still show about {_number(without.estimate)} times as many, "
            f"{_likely(without)}."
        )
    return {"pattern": pattern, "text": text, "source": largest["source"], "without": without.as_dict()}


def complete(period: Period, months: list) -> tuple[Period | None, list[str]]:
    """The part of `period` inside the complete months of the record, with a note for what was left out."""
    if not months:
        return None, []
    start, end = max(period.start, months[0]), min(period.end, months[-1])
    notes = []
    if start > end:
        return None, [f"{period.label} is outside the complete months of the record, so it has no figures."]
    if start != period.start:
        notes.append(f"The record begins in {month_name(months[0])}, so {period.label} is counted from then.")
    if end != period.end:
        notes.append(f"{month_name(period.end)} is not yet complete, so it is left out.")
    return Period(start, end), notes


def records_url(period: Period) -> str:
    """The referrals received in `period`, as the accountability drill-down lists them."""
    last_day = add_months(period.end, 1) - timedelta(days=1)
    query = {"metric": "referrals_received", "from": period.start.isoformat(), "to": last_day.isoformat()}
    return f"{reverse('insights:accountability_records')}?{urlencode(query)}"


def count_query(period: Period) -> str:
    """The SQL that counts the period's referrals by source from the record, runnable as it stands."""
    from django.db.models import Count

    from lantern.insights.statistics.publish import query_sql
    from lantern.intake.models import Referral

    start = datetime.combine(period.start, time.min, tzinfo=LONDON)
    end = datetime.combine(add_months(period.end, 1), time.min, tzinfo=LONDON)
    rows = (
        Referral.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values("source", "referrer_agency__kind")
        .annotate(n=Count("id"))
    )
    return query_sql(rows)


def same_scale(*, period: Period, compare: Period, counts: dict | None = None, until=None) -> dict:
    """The question answered for two periods: the answer, the sources, the limits, the monthly figures, and the
    records and query behind each period's count. `counts` (month, source) → referrals defaults to the
    pre-aggregated table; the transparency report passes counts taken from the record up to the month `until`
    (the last month its history runs to)."""
    if counts is None:
        counts, months = monthly_counts(Measure.REFERRALS), history_months()
    else:
        last = min(add_months(this_month(), -1), until or this_month())
        months = months_in(min(month for month, _ in counts), last) if counts else []
    asked = (period, compare)
    (period, notes_p), (compare, notes_c) = complete(period, months), complete(compare, months)
    out = {
        "title": TITLE,
        "measure": Measure.REFERRALS.value,
        "period": _period_out(period or asked[0]),
        "compare": _period_out(compare or asked[1]),
        "notes": notes_p + notes_c,
        "limits": list(LIMITS),
    }
    if period is None or compare is None:
        empty = AdjustedRatio(
            estimate=None, ci_low=None, ci_high=None, method=NONE, dispersion=1.0, seasonal=False, df_resid=0
        )
        out.update(
            answer=Answer(
                "unknown", DIRECTIONS["unknown"], "There are no complete months to compare.", empty
            ).as_dict(),
            crude=None,
            sources=[],
            where=where_from({}, [], asked[0], asked[1], answer_for(empty, asked[1]), []),
            monthly=[],
        )
        return out
    totals = series(counts, months)
    adjusted = adjusted_rate_ratio(months, totals, period, compare)
    answer = answer_for(adjusted, compare)
    count, compare_count = sum(series(counts, period.months)), sum(series(counts, compare.months))
    crude = rate_ratio(count, period.days(), compare_count, compare.days())
    rows = _source_rows(counts, period, compare)
    span = [m for m in months if min(compare.start, period.start) <= m <= max(compare.end, period.end)]
    out.update(
        answer=answer.as_dict(),
        crude={
            "count": count,
            "compare_count": compare_count,
            "days": period.days(),
            "compare_days": compare.days(),
            "rate_ratio": crude.rate_ratio,
            "ci_low": crude.ci_low,
            "ci_high": crude.ci_high,
            "reading": crude.reading(earlier=compare.end < period.start),
        },
        sources=rows,
        where=where_from(counts, months, period, compare, answer, rows),
        monthly=[
            {
                "month": month_label(m),
                "count": c,
                "in": "period"
                if period.start <= m <= period.end
                else "compare"
                if compare.start <= m <= compare.end
                else "",
            }
            for m, c in zip(span, series(counts, span), strict=True)
        ],
    )
    out["period"]["count"], out["compare"]["count"] = count, compare_count
    return out


def _period_out(period: Period) -> dict:
    """A period with the records and the query behind its count."""
    return {
        "from": month_label(period.start),
        "to": month_label(period.end),
        "label": period.label,
        "days": period.days(),
        "records_url": records_url(period),
        "query": count_query(period),
    }
