"""API: scale and trend, hotspots, charts and the transparency report.

`GET /insights/scale?from=&to=&compare_from=&compare_to=` compares two periods of whole months (each given as a
month, "2025-01", or a date on a month's first or last day). `GET /insights/same-scale` with the same parameters
answers "Is exploitation continuing on the same scale?" for referrals (`lantern.insights.statistics.question`). `GET /insights/hotspots?from=&to=` gives the hotspots
of a period. Both answer from the pre-aggregated tables; `refreshed_at` says when they were last rebuilt. Bad
periods are answered 422 with a message per field. A period ending after this month covers up to this month, and
one longer than 20 years its last 20 years (the answer states the period covered); one that holds no month is
answered 404 (decision 0022).
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from lantern.audit import events
from lantern.core import policy
from lantern.core.api import ErrorOut
from lantern.insights.statistics import hotspots, question
from lantern.insights.statistics import selectors as statistics

router = Router(tags=["insights"])

# A whole month from 2000 (the earliest the figures go back to) as the API takes it, stated in the document so
# that a client knows the form before it is refused.
MONTH = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"


class ScaleQuery(Schema):
    """The period and the period to compare it with."""

    from_: str = Field(
        ..., alias="from", pattern=MONTH, description="First month of the period, e.g. 2025-11."
    )
    to: str = Field(..., pattern=MONTH, description="Last month of the period, e.g. 2026-10.")
    compare_from: str = Field(..., pattern=MONTH, description="First month of the comparison period.")
    compare_to: str = Field(..., pattern=MONTH, description="Last month of the comparison period.")

    def periods(self) -> tuple[statistics.Period, statistics.Period]:
        """The two periods as covered (`statistics.period_covered`): up to this month, stated in the answer; 404
        for a period that holds no month."""
        return statistics.comparison_covered(
            {
                "from": self.from_,
                "to": self.to,
                "compare_from": self.compare_from,
                "compare_to": self.compare_to,
            }
        )


class HotspotQuery(Schema):
    """The period."""

    from_: str = Field(
        ..., alias="from", pattern=MONTH, description="First month of the period, e.g. 2025-11."
    )
    to: str = Field(..., pattern=MONTH, description="Last month of the period, e.g. 2026-10.")


class PeriodOut(Schema):
    """A period of whole months."""

    from_: str = Field(..., alias="from")
    to: str
    label: str
    days: int | None = None


class SourceOut(Schema):
    """Counts from one source of referral."""

    source: str
    label: str
    count: int
    share: float


class ScaleAdjustedRatioOut(Schema):
    """The two periods compared allowing for the time of year and for counts that vary more than chance alone."""

    estimate: float | None = Field(
        ..., description="Season-adjusted ratio of the period's rate to the comparison's."
    )
    ci_low: float | None
    ci_high: float | None
    method: str = Field(
        ...,
        description='"quasi-poisson"; "exact-poisson" when there are too few months or a period has none; '
        '"none" without figures.',
    )
    dispersion: float = Field(..., description="Pearson dispersion used (1 for the exact fallback).")
    seasonal: bool = Field(..., description="Whether month-of-year terms were fitted (24 months or more).")
    df_resid: int
    confidence: float
    reading: str


class MeasureOut(Schema):
    """One measure: the two periods compared, the sources, the monthly counts, the trend and change points."""

    measure: str
    label: str
    definition: str
    count: int
    days: int
    compare_count: int
    compare_days: int
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    reading: str
    adjusted: ScaleAdjustedRatioOut | None = None
    sources: list[SourceOut]
    compare_sources: list[SourceOut]
    monthly: list[dict]
    trend: dict | None
    change_points: dict


class ScaleOut(Schema):
    """The scale and trend of every measure."""

    period: dict
    compare: dict
    refreshed_at: datetime | None
    notes: list[str]
    measures: list[MeasureOut]
    # The first measure (referrals), flattened for the common question "how does this period compare?"
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    count: int
    days: int
    compare_count: int
    compare_days: int
    reading: str
    adjusted: ScaleAdjustedRatioOut | None = None


@router.get(
    "/insights/scale", response={200: ScaleOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, by_alias=True
)
def scale(request, params: Query[ScaleQuery]):
    """Monthly counts of referrals, children identified at risk, persons of concern identified and crimes
    recorded, with the mix of sources; the two periods compared as a rate ratio with an exact 95% interval and a
    sentence, and adjusted for the time of year and for overdispersion (`adjusted`); the trend with seasonality;
    change points."""
    policy.require(request.user, "can_view_statistics")
    period, compare = params.periods()
    summary = statistics.scale_summary(period=period, compare=compare)
    first = summary["measures"][0]
    return {
        **summary,
        **{
            key: first[key]
            for key in (
                "rate_ratio",
                "ci_low",
                "ci_high",
                "count",
                "days",
                "compare_count",
                "compare_days",
                "reading",
                "adjusted",
            )
        },
    }


class SameScalePeriodOut(Schema):
    """A period of whole months with its referrals, the records behind them and the query that counts them."""

    from_: str = Field(..., alias="from")
    to: str
    label: str
    days: int
    count: int | None = Field(None, description="Referrals received in the period (absent with no figures).")
    records_url: str = Field(..., description="The page listing the referrals behind the count.")
    query: str = Field(..., description="SQL that counts the period's referrals by source from the record.")


class SameScaleAnswerOut(Schema):
    """The answer in words, from the adjusted ratio."""

    direction: Literal["higher", "lower", "same", "unknown"] = Field(
        ..., description='"higher" or "lower" only when the 95% interval leaves out 1.'
    )
    headline: str
    sentence: str
    adjusted: ScaleAdjustedRatioOut


class SameScaleSourceOut(Schema):
    """One source's referrals in both periods and the change it accounts for."""

    source: str
    label: str
    count: int
    compare_count: int
    rate_ratio: float | None = Field(..., description="Crude ratio of its referrals a day.")
    change: float = Field(..., description="Its count less what its past rate would have given.")


class SameScaleWhereOut(Schema):
    """Whether a change comes from one source or across sources."""

    pattern: Literal["one_source", "across_sources", "none"]
    text: str
    source: str | None
    without: ScaleAdjustedRatioOut | None = Field(
        ..., description="The adjusted ratio of every other source, without the one that changed most."
    )


class SameScaleCrudeOut(Schema):
    """The crude comparison: referrals a day, exact Poisson interval, nothing allowed for."""

    count: int
    compare_count: int
    days: int
    compare_days: int
    rate_ratio: float | None
    ci_low: float | None
    ci_high: float | None
    reading: str


class SameScaleMonthOut(Schema):
    """Referrals received in a month, and which period it is in ("period", "compare" or "")."""

    month: str
    count: int
    in_: Literal["period", "compare", ""] = Field(..., alias="in")


class SameScaleOut(Schema):
    """Is exploitation continuing on the same scale? The answer for referrals now against a past period."""

    title: str
    measure: str
    period: SameScalePeriodOut
    compare: SameScalePeriodOut
    notes: list[str]
    limits: list[str] = Field(..., description="What recorded counts cannot show.")
    answer: SameScaleAnswerOut
    crude: SameScaleCrudeOut | None
    sources: list[SameScaleSourceOut]
    where: SameScaleWhereOut
    monthly: list[SameScaleMonthOut]


@router.get(
    "/insights/same-scale",
    response={200: SameScaleOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    by_alias=True,
    summary="Is exploitation continuing on the same scale?",
)
def same_scale(request, params: Query[ScaleQuery]):
    """Referrals received in the period (`from`, `to`) against a past period (`compare_from`, `compare_to`): the
    answer in words from the ratio adjusted for the time of year and for counts that vary more than chance
    alone, the crude ratio beside it, where a change comes from, what the counts cannot show, the monthly
    figures, and the records and query behind each period's count."""
    policy.require(request.user, "can_view_statistics")
    period, compare = params.periods()
    return question.same_scale(period=period, compare=compare)


@router.get("/insights/hotspots", response={200: dict, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def hotspot_list(request, params: Query[HotspotQuery]):
    """Place types, the hour × weekday heat map, repeat places and Getis-Ord Gi* clusters for a period."""
    policy.require(request.user, "can_view_hotspots")
    period = statistics.period_covered(
        params.from_, params.to, start_field="from", end_field="to", what="period"
    )
    events.hotspots_viewed(actor=request.user, period=f"{period.start:%Y-%m}..{period.end:%Y-%m}", via="api")
    return hotspots.hotspot_summary(period=period)
