"""Charts: server-drawn SVG that screen readers can read, each with its figures as a table."""

import re
from xml.etree import ElementTree

from lantern.core import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(chart) -> ElementTree.Element:
    return ElementTree.fromstring(str(chart.svg))  # noqa: S314 - the chart module's own output, not outside input


def test_bar_chart_is_an_image_with_title_description_and_table():
    """role="img", labelled by its <title> and <desc>; text is escaped; text values are written, not drawn."""
    chart = charts.bar_chart(
        "Tasks overdue <now>",
        [("Police & CID", 4), ("Health", 17), ("Schools", "fewer than 5")],
        value_label="Tasks",
    )
    svg = _parsed(chart)
    assert svg.get("role") == "img"
    # Sized by attributes and a class, never a style attribute, which the Content-Security-Policy refuses.
    assert svg.get("style") is None and svg.get("width") and svg.get("height")
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Tasks overdue <now>" and "the highest is Health with 17" in desc.text
    assert len(svg.findall(f"{SVG}rect")) == 2  # no bar for the suppressed value
    table = str(chart.table_html)
    assert "<caption" in table and "Police &amp; CID" in table and "fewer than 5" in table
    assert '<th scope="row" class="govuk-table__header">Health</th>' in table
    html = chart.html()
    assert html.index("<svg") < html.index("<table") and "govuk-details" in html
    assert "govuk-details" not in chart.html(details=False)


def test_trend_chart_draws_the_band_and_tabulates_every_month():
    """The fitted line and its band are drawn; the table has a row per month with the interval."""
    chart = charts.trend_chart(
        "Referrals by month",
        ["2025-01", "2025-02", "2025-03"],
        [10, 12, 9],
        fitted=[10.5, 10.4, 10.3],
        lower=[8, 8, 8],
        upper=[13, 13, 13],
        shades=[charts.Shade(1, 2, "This period")],
    )
    svg = _parsed(chart)
    assert svg.find(f"{SVG}polygon") is not None and len(svg.findall(f"{SVG}polyline")) == 2
    assert chart.table.headers == ["Month", "Count", "Trend", "Trend, 95% lower", "Trend, 95% upper"]
    assert chart.table.rows[1] == ["2025-02", 12, 10.4, 8, 13]
    assert re.search(r">0<.*>4<.*>8<.*>20<", str(chart.svg))  # round ticks up to 20, above the band


def test_heat_map_shades_by_value_and_keeps_the_figures():
    """Darker is more; the table holds every cell."""
    chart = charts.heat_map("By day and hour", ["Monday", "Tuesday"], ["00", "01"], [[0, 4], [2, 8]])
    fills = [r.get("fill") for r in _parsed(chart).findall(f"{SVG}rect")][:4]
    assert fills[0] == "#f3f2f1" and fills[3] == "#003078"
    assert chart.table.rows == [["Monday", 0, 4], ["Tuesday", 2, 8]]
    assert "The highest is Tuesday, 01, with 8" in chart.description


def test_charts_need_no_network():
    """Nothing in a chart is fetched: no external references."""
    for chart in (
        charts.bar_chart("A", [("x", 1)]),
        charts.heat_map("B", ["r"], ["c"], [[1]]),
        charts.trend_chart("C", ["m"], [1]),
    ):
        assert "http" not in str(chart.html()).replace("http://www.w3.org/2000/svg", "")
