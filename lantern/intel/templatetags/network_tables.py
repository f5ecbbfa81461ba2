"""`{% network_entity_rows view %}` and `{% network_link_rows view %}`: the bodies of a network's two tables.

A network has up to 200 entities and often several hundred links. Written as template loops, their cells took
most of an entity page's time (every variable looked up, localised and escaped, every date and figure formatted
through the template engine); built here as strings, they take a few milliseconds. The output is the
same markup, escaped the same way; the figures and dates are formatted exactly as `floatformat:3` and the `date`
filter format them (tests/test_network_tables.py holds them to it).
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

THOUSANDTH = Decimal("0.001")
ROW = '<tr class="govuk-table__row">{}</tr>'
ENTITY_CELLS = (
    '<td class="govuk-table__cell">{} <span class="govuk-body-s">E{}</span></td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
)
LINK_CELLS = (
    '<td class="govuk-table__cell">{} <span class="govuk-body-s">E{}</span></td>'
    '<td class="govuk-table__cell">{} <span class="govuk-body-s">E{}</span></td>'
    '<td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
    '<td class="govuk-table__cell">{}</td>'
)


def three_places(value) -> str:
    """A figure to three decimal places, as `floatformat:3` writes it (half up, no minus sign on a zero).

    The filter itself answers for anything but an ordinary float (it has its own ways with infinities, and with
    figures so small that its arithmetic gives up); rounding to a thousandth is all it does with the rest.
    """
    if not isinstance(value, float | int) or not (value == 0 or 1e-9 < abs(value) < 1e15):
        return floatformat(value, 3)
    rounded = Decimal(repr(float(value))).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
    return str(abs(rounded) if rounded == 0 else rounded)


def shown_date(value: datetime | None, zone=None) -> str:
    """A `<time>` with the date as the `date` filter writes `c` and `j M Y` (in the current time zone, or `zone`
    when the caller has looked it up once for many dates), or a dash."""
    if value is None:
        return "–"
    local = value.astimezone(zone or timezone.get_current_timezone()) if timezone.is_aware(value) else value
    return (
        f'<time datetime="{escape(local.isoformat())}">{local.day} {MONTHS_3[local.month].title()} '
        f"{local.year}</time>"
    )


def _entity_cell(entity, centre_pk: int, href: tuple[str, str]) -> str:
    label = escape(entity.label)
    if entity.pk == centre_pk:
        return f"<strong>{label}</strong> (this entity)"
    return f'<a class="govuk-link" href="{href[0]}{entity.pk}{href[1]}">{label}</a>'


# Cells are escaped with the standard library's html.escape, which is what Django's escape filter calls: the same
# output, without Django's check of every argument for lazy translations, thousands of times a page.
@register.simple_tag
def network_entity_rows(view) -> SafeString:
    """One row per entity: its name (a link unless it is the centre), kind, links and centrality figures."""
    href = tuple(reverse("intel:entity_detail", args=[0]).rsplit("0", 1))  # each entity's page, reversed once
    kinds: dict[str, str] = {}
    rows = []
    for row in view.rows:
        entity, measures = row["entity"], row["measures"]
        if entity.kind not in kinds:
            kinds[entity.kind] = escape(str(entity.get_kind_display()))
        cells = ENTITY_CELLS.format(
            _entity_cell(entity, view.centre.pk, href),
            entity.pk,
            kinds[entity.kind],
            measures.degree,
            three_places(measures.betweenness),
            three_places(measures.closeness),
            "–" if measures.eigenvector is None else three_places(measures.eigenvector),
            measures.core,
        )
        rows.append(ROW.format(cells))
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped or a number


@register.simple_tag
def network_link_rows(view) -> SafeString:
    """One row per link: the two entities, why they are linked, how many reports say so, and when last seen."""
    zone = timezone.get_current_timezone()
    rows = [
        ROW.format(
            LINK_CELLS.format(
                escape(link["a"].label),
                link["a"].pk,
                escape(link["b"].label),
                link["b"].pk,
                "; ".join(escape(str(reason)) for reason in link["reasons"]),
                link["weight"],
                shown_date(link["last_seen"], zone),
            )
        )
        for link in view.link_rows
    ]
    if not rows:
        rows = [ROW.format('<td class="govuk-table__cell" colspan="5">No links.</td>')]
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped or a number
