"""Pages: the accountability dashboard, the records behind each figure, data quality, and evidence passed and not
acted on.

The period comes from the GOV.UK date inputs (`from_0`, `from_1`, `from_2` for day, month and year) or, in links
such as the presets and the drill-downs, as `from=YYYY-MM-DD&to=YYYY-MM-DD`. A bad period is shown back with a
GOV.UK error summary and no figures. Every page asks the policy; the drill-down lists come from the case-work
and intake selectors, so nobody sees a record there that they could not open anyway, and every list is audited.
"""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lantern.accounts.models import Agency
from lantern.audit import events
from lantern.core.charts import bar_chart
from lantern.core.exceptions import Invalid
from lantern.core.policy import allows, require
from lantern.insights.accountability import selectors as accountability
from lantern.intake.forms import DateField

PER_PAGE = 50
OBJECT_TYPES = {
    "referral": "intake.referral",
    "task": "casework.agencytask",
    "escalation": "casework.escalation",
}


class PeriodForm(forms.Form):
    """The period: two GOV.UK date inputs, checked together."""

    def __init__(self, data, *, on: date):
        super().__init__(data)
        self.on = on
        self.fields["from"] = DateField(label="From", help_text="The first day of the period.")
        self.fields["to"] = DateField(label="To", help_text="The last day of the period.")

    def clean(self):
        """Check the two dates make a period that has started."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["period"] = accountability.period_check(
                cleaned.get("from"), cleaned.get("to"), on=self.on
            )
        except Invalid as error:
            for name, messages in error.fields.items():
                for message in messages:
                    self.add_error(name, message)
        return cleaned


def _boxes(query, name: str, fallback: date) -> list[str]:
    if any(f"{name}_{i}" in query for i in range(3)):
        return [query.get(f"{name}_{i}", "") for i in range(3)]
    text = query.get(name, "")
    if not text:
        return [str(fallback.day), str(fallback.month), str(fallback.year)]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return [text[:10], "", ""]
    return [str(day.day), str(day.month), str(day.year)]


def period_form(request) -> tuple[PeriodForm, accountability.Period | None]:
    """The period form bound to the query string (this year so far when none is given), and the period if valid."""
    on = accountability.today()
    default = accountability.default_period(on=on)
    data = {}
    for name, fallback in (("from", default.start), ("to", default.end)):
        for i, part in enumerate(_boxes(request.GET, name, fallback)):
            data[f"{name}_{i}"] = part
    form = PeriodForm(data, on=on)
    return form, (form.cleaned_data["period"] if form.is_valid() else None)


def _query(period: accountability.Period, **extra) -> str:
    return urlencode(
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            **{k: v for k, v in extra.items() if v not in (None, "")},
        }
    )


def _errors(form) -> list[tuple[str, str]]:
    return [(f"#{form[name].auto_id}_0", message) for name in ("from", "to") for message in form[name].errors]


def _presets(period: accountability.Period | None) -> list[dict]:
    return [
        {
            "label": p.label,
            "query": _query(accountability.Period(p.start, p.end)),
            "current": period is not None and (p.start, p.end) == (period.start, period.end),
        }
        for p in accountability.presets(on=accountability.today())
    ]


def _ack_chart(figures: accountability.AccountabilityFigures):
    bars = [(a.agency_name, a.time_to_acknowledge.p90_hours) for a in figures.agencies]
    if not bars:
        return None
    description = figures.slowest.summary if figures.slowest else ""
    return bar_chart(
        "Time to acknowledge a task, 90th percentile, by agency (hours)",
        bars,
        description=description,
        value_label="Hours (90th percentile)",
    )


@require_GET
def dashboard(request):
    """Per agency and team, for a period: timeliness, escalations and outcomes, slowest agency first."""
    user = request.user
    require(user, "can_view_accountability")
    form, period = period_form(request)
    context = {"form": form, "errors": _errors(form), "presets": _presets(period), "period": period}
    if period is None:
        return render(request, "insights/accountability/dashboard.html", context)
    figures = accountability.accountability_for_user(user=user, period=period)
    events.accountability_viewed(
        actor=user, start=period.start, end=period.end, agencies=[a.agency_code for a in figures.agencies]
    )
    context.update(
        figures=figures,
        query=_query(period),
        chart=_ack_chart(figures),
        decision_rows=[(a, t) for a in figures.agencies for t in a.teams if t.decisions_made],
        now=timezone.now(),
    )
    return render(request, "insights/accountability/dashboard.html", context)


@require_GET
def records(request):
    """The records behind one figure that the user may see, newest first, 50 to a page (of the newest
    `accountability.LISTED_AT_MOST` records behind it)."""
    user = request.user
    require(user, "can_view_accountability")
    form, period = period_form(request)
    metric = request.GET.get("metric", "")
    context = {"form": form, "errors": [("#main-content", m) for _, m in _errors(form)], "period": period}
    if period is not None:
        try:
            drill = accountability.accountability_drilldown(
                user=user,
                metric=metric,
                period=period,
                agency_code=request.GET.get("agency", ""),
                team_id=request.GET.get("team"),
                level=request.GET.get("level"),
            )
        except Invalid as error:
            context["errors"] = [("#main-content", m) for messages in error.fields.values() for m in messages]
            return render(request, "insights/accountability/records.html", context)
        page = Paginator(drill.ids, PER_PAGE).get_page(request.GET.get("page"))
        rows = drill.records(list(page.object_list))
        events.accountability_records_listed(
            actor=user,
            metric=drill.metric.key,
            object_type=OBJECT_TYPES[drill.metric.record],
            ids=[r.pk for r in rows],
            query={
                "from": str(period.start),
                "to": str(period.end),
                "agency": drill.agency.code if drill.agency else "",
                "team": drill.team.pk if drill.team else None,
                "level": drill.level,
            },
        )
        base = _query(
            period,
            metric=drill.metric.key,
            agency=drill.agency.code if drill.agency else "",
            team=drill.team.pk if drill.team else "",
            level=drill.level,
        )
        context.update(
            drill=drill,
            page=page,
            rows=rows,
            base_query=base,
            back_query=_query(period),
            hidden=drill.hidden,
            now=timezone.now(),
        )
    return render(request, "insights/accountability/records.html", context)


@require_GET
def data_quality(request):
    """Completeness of key fields by agency and by month, records missing a flag, and records overdue now."""
    user = request.user
    require(user, "can_view_data_quality")
    form, period = period_form(request)
    context = {"form": form, "errors": _errors(form), "presets": _presets(period), "period": period}
    if period is not None:
        quality = accountability.data_quality_for_user(user=user, period=period)
        events.data_quality_viewed(
            actor=user,
            start=period.start,
            end=period.end,
            case_ids=[c.pk for check in quality.flag_checks for c in check.cases],
        )
        context.update(
            quality=quality,
            query=_query(period),
            sees_partnership=allows(user, "can_view_partnership_figures"),
        )
    return render(request, "insights/accountability/data_quality.html", context)


class NotActedOnFilterForm(forms.Form):
    """Filters for evidence passed and not acted on: the agency it was passed to, and what kind of record."""

    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        to_field_name="code",
        empty_label="All agencies",
        label="Passed to",
        error_messages={"invalid_choice": "Choose an agency from the list."},
    )
    kind = forms.ChoiceField(
        choices=[("", "Concerns and intelligence"), *accountability.NOT_ACTED_ON_KINDS.items()],
        required=False,
        label="What was passed",
        error_messages={"invalid_choice": "Choose concerns (referrals) or intelligence items."},
    )


def _page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


@require_GET
def not_acted_on(request):
    """Concerns and intelligence passed to an agency and not acknowledged or acted on in time, oldest first, 50 to a
    page, with who holds each now and the escalation it reached."""
    user = request.user
    require(user, "can_view_not_acted_on")
    filters = NotActedOnFilterForm(request.GET)
    context = {"filters": filters, "errors": [], "now": timezone.now()}
    if not filters.is_valid():
        context["errors"] = [
            (f"#{filters[name].auto_id}", message)
            for name in filters.errors
            for message in filters.errors[name]
        ]
        return render(request, "insights/accountability/not_acted_on.html", context)
    agency, kind = filters.cleaned_data["agency"], filters.cleaned_data["kind"]
    number = _page_number(request.GET.get("page"))

    def fetch(n: int) -> accountability.NotActedOnPage:
        return accountability.evidence_not_acted_on(
            user=user, agency=agency, kind=kind, limit=PER_PAGE, offset=(n - 1) * PER_PAGE, now=context["now"]
        )

    found = fetch(number)
    page = Paginator(range(found.total), PER_PAGE).get_page(number)
    if page.number != number:
        found = fetch(page.number)
    accountability.not_acted_on_listed(actor=user, page=found, via="page")
    context.update(
        found=found,
        page=page,
        base_query=urlencode({"agency": agency.code if agency else "", "kind": kind}),
        filtered=bool(agency or kind),
    )
    return render(request, "insights/accountability/not_acted_on.html", context)
