"""Pages: scale and trend, hotspots and their map, and the transparency report for the partnership lead."""

import functools

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lantern.audit import events
from lantern.core import charts
from lantern.core.exceptions import Invalid
from lantern.core.policy import allows, require
from lantern.insights.statistics import hotspots, publish, question
from lantern.insights.statistics import selectors as statistics
from lantern.insights.statistics.models import PublishedReport

FIELD_LABELS = {
    "from": "From",
    "to": "To",
    "compare_from": "Compare from",
    "compare_to": "Compare to",
    "period": "Quarter",
}


def _errors(error: Invalid) -> list[tuple[str, str]]:
    """(anchor, message) for the GOV.UK error summary."""
    return [(f"#{name}", message) for name, messages_ in error.fields.items() for message in messages_] or [
        ("#main-content", error.detail)
    ]


def _comparison_values(request) -> dict:
    default, default_compare = statistics.default_periods()
    return {
        "from": request.GET.get("from", statistics.month_label(default.start)),
        "to": request.GET.get("to", statistics.month_label(default.end)),
        "compare_from": request.GET.get("compare_from", statistics.month_label(default_compare.start)),
        "compare_to": request.GET.get("compare_to", statistics.month_label(default_compare.end)),
    }


def _tabs(request) -> dict:
    user = request.user
    return {
        "can_view_statistics": allows(user, "can_view_statistics"),
        "can_view_hotspots": allows(user, "can_view_hotspots"),
        "can_publish": allows(user, "can_publish_statistics"),
    }


def _scale_charts(measure: dict, period: statistics.Period, compare: statistics.Period) -> dict:
    trend = measure["trend"]
    charts_ = {}
    if trend:
        months = trend["months"]
        labels = [m["month"] for m in months]
        shades = []
        for which, p in (("This period", period), ("Comparison", compare)):
            first, last = statistics.month_label(p.start), statistics.month_label(p.end)
            inside = [i for i, label in enumerate(labels) if first <= label <= last]
            if inside:
                shades.append(charts.Shade(inside[0], inside[-1], which))
        charts_["trend"] = charts.trend_chart(
            f"{measure['label']} by month, with the trend",
            labels,
            [m["count"] for m in months],
            fitted=[m["fitted"] for m in months],
            lower=[m["ci_low"] for m in months],
            upper=[m["ci_high"] for m in months],
            shades=shades,
            value_label=measure["label"],
            description=(
                f"{measure['label']} by month from {labels[0]} to {labels[-1]}, with the fitted trend "
                f"and its 95% confidence band; the two periods compared are shaded. {trend['summary']}"
            ),
        )
    charts_["sources"] = charts.bar_chart(
        f"{measure['label']}: sources in {period.label}",
        [(s["label"], s["count"]) for s in measure["sources"]],
        value_label=measure["label"],
    )
    return charts_


@require_GET
def scale(request):
    """Scale and trend: two periods compared, beside the mix of sources, with the trend and change points."""
    require(request.user, "can_view_statistics")
    values = _comparison_values(request)
    context = {"values": values, "field_errors": {}, "errors": [], **_tabs(request), "active": "scale"}
    try:
        period, compare = statistics.parse_comparison(values)
    except Invalid as error:
        context.update(field_errors=error.fields, errors=_errors(error))
        return render(request, "insights/statistics/scale.html", context)
    summary = statistics.scale_summary(period=period, compare=compare)
    for measure in summary["measures"]:
        measure["charts"] = _scale_charts(measure, period, compare)
    context.update(summary=summary, period=summary["period"], compare=summary["compare"])
    return render(request, "insights/statistics/scale.html", context)


@require_GET
def same_scale(request):
    """Is exploitation continuing on the same scale? Referrals now against a past period the user picks,
    answered in words, with where the change comes from, what the counts cannot show, and a chart with its
    table."""
    require(request.user, "can_view_statistics")
    values = _comparison_values(request)
    context = {"values": values, "field_errors": {}, "errors": [], **_tabs(request), "active": "question"}
    try:
        period, compare = statistics.parse_comparison(values)
    except Invalid as error:
        context.update(field_errors=error.fields, errors=_errors(error))
        return render(request, "insights/statistics/question.html", context)
    answer = question.same_scale(period=period, compare=compare)
    monthly = answer["monthly"]
    if monthly:
        labels = [m["month"] for m in monthly]
        shades = []
        for which, label in (("period", "Now"), ("compare", "Past period")):
            inside = [i for i, m in enumerate(monthly) if m["in"] == which]
            if inside:
                shades.append(charts.Shade(inside[0], inside[-1], label))
        context["chart"] = charts.trend_chart(
            "Referrals received each month",
            labels,
            [m["count"] for m in monthly],
            shades=shades,
            value_label="Referrals",
            description=(
                f"Referrals received each month from {labels[0]} to {labels[-1]}; the past period "
                f"({answer['compare']['label']}) and now ({answer['period']['label']}) are shaded. "
                f"{answer['answer']['sentence']}"
            ),
        )
    context["answer"] = answer
    return render(request, "insights/statistics/question.html", context)


def _hotspot_period(request, context: dict):
    default, _ = statistics.default_periods()
    values = {
        "from": request.GET.get("from", statistics.month_label(default.start)),
        "to": request.GET.get("to", statistics.month_label(default.end)),
    }
    errors: dict[str, list[str]] = {}
    period = statistics.parse_period(
        values["from"], values["to"], start_field="from", end_field="to", errors=errors, what="period"
    )
    context.update(
        values=values,
        field_errors=errors,
        errors=_errors(Invalid("The period has errors.", errors)) if errors else [],
    )
    return period


@require_GET
def hotspot_page(request):
    """Hotspots: place types, time of day and day of week, repeat places, and Gi* clusters."""
    require(request.user, "can_view_hotspots")
    context = {**_tabs(request), "active": "hotspots"}
    period = _hotspot_period(request, context)
    if period is None:
        return render(request, "insights/statistics/hotspots.html", context)
    summary = hotspots.hotspot_summary(period=period)
    events.hotspots_viewed(actor=request.user, period=f"{period.start:%Y-%m}..{period.end:%Y-%m}", via="page")
    heat = summary["heat_map"]
    bands = summary["times_of_day"]
    context.update(
        summary=summary,
        period=period,
        charts={
            "types": charts.bar_chart(
                f"Referrals mentioning each type of place, {period.label}",
                [(p["label"], p["count"]) for p in summary["place_types"]],
                value_label="Referrals",
            ),
            "week": charts.heat_map(
                f"Referrals by day and hour of the incident, {period.label}",
                heat["weekdays"],
                [f"{h:02d}" for h in heat["hours"]],
                heat["counts"],
                value_label="Referrals",
            ),
            "bands": charts.heat_map(
                f"Referrals by type of place and time of day, {period.label}",
                [r["label"] for r in bands["rows"]],
                bands["bands"],
                [r["counts"] for r in bands["rows"]],
                value_label="Referrals",
            ),
        },
        hot_cells=[c for c in summary["clusters"]["cells"] if c["hot"] or c["cold"]],
    )
    return render(request, "insights/statistics/hotspots.html", context)


def tile_sources(url: str) -> list[str]:
    """What the map's page adds to the Content-Security-Policy's img-src for a Leaflet tile URL template: its
    scheme and host (a `{s}` or other placeholder in the host widened to a wildcard, as in
    `https://*.tile.openstreetmap.org`), and data:, with which Leaflet blanks each tile it drops. Nothing without
    tiles; only data: for tiles on Lantern's own origin (a relative URL), which the policy allows already."""
    if not url:
        return []
    if "://" not in url:
        return ["data:"]
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].split("?", 1)[0]
    labels = host.split(".")
    if any("{" in label for label in labels):
        # A wildcard stands for labels on the left only, so a placeholder deeper in the host allows the domain.
        first = max(i for i, label in enumerate(labels) if "{" in label)
        labels = ["*", *labels[first + 1 :]]
    return [f"{scheme}://{'.'.join(labels)}", "data:"]


def _with_tiles(view):
    """Let `view`'s page load map tiles from LANTERN_TILE_URL's server, read at each request."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        sources = tile_sources(settings.TILE_URL)
        if not sources:
            return view(request, *args, **kwargs)
        return csp_update({"img-src": sources})(view)(request, *args, **kwargs)

    return wrapped


@_with_tiles
@require_GET
def hotspot_map(request):
    """The hotspot map: places and Gi* clusters on Leaflet, with or without map tiles."""
    require(request.user, "can_view_hotspots")
    context = {**_tabs(request), "active": "map"}
    period = _hotspot_period(request, context)
    if period is None:
        return render(request, "insights/statistics/map.html", context)
    summary = hotspots.hotspot_summary(period=period)
    events.hotspots_viewed(actor=request.user, period=f"{period.start:%Y-%m}..{period.end:%Y-%m}", via="map")
    clusters = summary["clusters"]
    context.update(
        summary=summary,
        period=period,
        map_data={
            "tiles": settings.TILE_URL,
            "points": summary["points"],
            "cells": [c for c in clusters["cells"] if c["hot"] or c["cold"]],
        },
        hot_cells=[c for c in clusters["cells"] if c["hot"] or c["cold"]],
    )
    return render(request, "insights/statistics/map.html", context)


@require_http_methods(["GET", "POST"])
def publish_page(request):
    """The transparency report: publish a quarter, and download the reports already issued."""
    require(request.user, "can_publish_statistics")
    context = {
        **_tabs(request),
        "active": "publish",
        "errors": [],
        "field_errors": {},
        "period_value": request.POST.get("period", publish.last_quarter()),
        "reports": PublishedReport.objects.select_related("published_by").defer("html", "pdf")[:20],
    }
    if request.method == "POST":
        try:
            report = publish.transparency_report_publish(
                actor=request.user, period=request.POST.get("period")
            )
        except Invalid as error:
            context.update(errors=_errors(error), field_errors=error.fields)
            return render(request, "insights/statistics/publish.html", context)
        messages.success(request, f"The transparency report for {report.period} has been published.")
        return redirect("insights:publish")
    return render(request, "insights/statistics/publish.html", context)


@require_GET
def report_download(request, report_id: int, fmt: str):
    """A published report as issued: HTML, PDF or its figures as JSON."""
    require(request.user, "can_publish_statistics")
    report = get_object_or_404(PublishedReport, pk=report_id)
    name = f"lantern-transparency-{report.period}"
    if fmt == "html":
        response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
    elif fmt == "pdf" and report.pdf:
        response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    elif fmt == "json":
        import json

        response = HttpResponse(
            json.dumps(report.figures, indent=2, ensure_ascii=False), content_type="application/json"
        )
    else:
        raise Http404("Not found.")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
