"""API: scale and trend, hotspots, charts and the transparency report.

`GET /insights/scale?from=&to=&compare_from=&compare_to=` compares two periods of whole months (each given as a
month, "2025-01", or a date on a month's first or last day). `GET /insights/hotspots?from=&to=` gives the hotspots
of a period. Both answer from the pre-aggregated tables; `refreshed_at` says when they were last rebuilt. Bad
periods are answered 422 with a message per field.
"""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from lantern.audit import events
from lantern.core import policy
from lantern.core.api import ErrorOut
from lantern.core.exceptions import Invalid
from lantern.insights.statistics import hotspots
from lantern.insights.statistics import selectors as statistics

router = Router(tags=["insights"])


class ScaleQuery(Schema):
    """The period and the period to compare it with."""

    from_: str = Field("", alias="from", description="First month of the period, e.g. 2025-11.")
    to: str = Field("", description="Last month of the period, e.g. 2026-10.")
    compare_from: str = Field("", description="First month of the comparison period.")
    compare_to: str = Field("", description="Last month of the comparison period.")


class HotspotQuery(Schema):
    """The period."""

    from_: str = Field("", alias="from", description="First month of the period, e.g. 2025-11.")
    to: str = Field("", description="Last month of the period, e.g. 2026-10.")


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


@router.get("/insights/scale", response={200: ScaleOut, 403: ErrorOut, 422: ErrorOut}, by_alias=True)
def scale(request, params: Query[ScaleQuery]):
    """Monthly counts of referrals, children identified at risk, persons of concern identified and crimes
    recorded, with the mix of sources; the two periods compared as a rate ratio with an exact 95% interval and a
    sentence; the trend with seasonality; change points."""
    policy.require(request.user, "can_view_statistics")
    period, compare = statistics.parse_comparison(
        {
            "from": params.from_,
            "to": params.to,
            "compare_from": params.compare_from,
            "compare_to": params.compare_to,
        }
    )
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
            )
        },
    }


@router.get("/insights/hotspots", response={200: dict, 403: ErrorOut, 422: ErrorOut})
def hotspot_list(request, params: Query[HotspotQuery]):
    """Place types, the hour × weekday heat map, repeat places and Getis-Ord Gi* clusters for a period."""
    policy.require(request.user, "can_view_hotspots")
    errors: dict[str, list[str]] = {}
    period = statistics.parse_period(
        params.from_, params.to, start_field="from", end_field="to", errors=errors, what="period"
    )
    if errors:
        raise Invalid("The period has errors; see fields.", errors)
    events.hotspots_viewed(actor=request.user, period=f"{params.from_}..{params.to}", via="api")
    return hotspots.hotspot_summary(period=period)
