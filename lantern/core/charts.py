"""Charts drawn on the server as SVG: no network, no script. Each is an image with a title and a description for
screen readers (`role="img"`, `<title>`, `<desc>`), and carries its figures as an HTML table to show beside it.

Use in a template with `{{ chart }}` (the SVG followed by its table in a "Show the figures" details element), or
`{{ chart.svg }}` and `{{ chart.table_html }}` to place them apart. For example::

    from lantern.core.charts import bar_chart

    chart = bar_chart("Tasks overdue now, by agency", [("Police", 4), ("Health", 17)],
                      description="Health has the most overdue tasks.", value_label="Tasks")

`bar_chart(title, bars, *, description="", value_label="Count")` takes `bars` as (label, value) pairs in the
order to draw them; a value may be a number, or text such as "fewer than 5" that is shown instead of a bar.
"""

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

FONT = "Arial, Helvetica, sans-serif"
TEXT = "#0b0c0c"
MUTED = "#505a5f"
BAR = "#1d70b8"
LINE = "#003078"
BAND = "#b7d0ea"
SHADE = "#f3f2f1"
GRID = "#b1b4b6"
WIDTH = 640
TICKS = 5


def _e(value) -> str:
    return escape(str(value), quote=True)


def _id(title: str, kind: str) -> str:
    return f"chart-{kind}-{hashlib.sha256(title.encode()).hexdigest()[:10]}"


def _fmt(value) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{int(value):,}"


def _tick(value: float) -> str:
    """An axis label: 2.5, 10, 1,500."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _nice_max(value: float) -> float:
    """A round number at or above `value` for the top of an axis."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    # Axes have TICKS intervals, so each of these tops gives round ticks (0.2, 0.4, 0.5, 1, 2 times 10^k).
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent  # pragma: no cover


@dataclass
class Table:
    """The figures behind a chart: a caption, column headers and rows (the first cell of each row is its header)."""

    caption: str
    headers: list[str]
    rows: list[list]

    def html(self) -> SafeString:
        """As a GOV.UK table."""
        head = format_html_join(
            "", '<th scope="col" class="govuk-table__header">{}</th>', ((h,) for h in self.headers)
        )
        body = format_html_join(
            "",
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{}</th>{}</tr>',
            (
                (
                    row[0],
                    format_html_join(
                        "",
                        '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>',
                        ((_fmt(v),) for v in row[1:]),
                    ),
                )
                for row in self.rows
            ),
        )
        return format_html(
            '<table class="govuk-table lantern-chart-table"><caption class="govuk-table__caption '
            'govuk-table__caption--s">{}</caption><thead class="govuk-table__head">'
            '<tr class="govuk-table__row">{}</tr></thead><tbody class="govuk-table__body">{}</tbody></table>',
            self.caption,
            head,
            body,
        )


@dataclass
class Chart:
    """An SVG chart with its title, description and the table of its figures."""

    title: str
    description: str
    svg: SafeString
    table: Table
    kind: str = field(default="chart")

    @property
    def table_html(self) -> SafeString:
        """The figures as a table."""
        return self.table.html()

    def html(self, *, details: bool = True) -> SafeString:
        """The chart in a figure, then its table (inside a details element unless `details` is False)."""
        table = self.table.html()
        if details:
            table = format_html(
                '<details class="govuk-details"><summary class="govuk-details__summary"><span '
                'class="govuk-details__summary-text">Show the figures in “{}” as a table</span>'
                '</summary><div class="govuk-details__text">{}</div></details>',
                self.title,
                table,
            )
        return format_html('<figure class="lantern-chart">{}</figure>{}', self.svg, table)

    def __html__(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.html()


def _svg(title: str, description: str, kind: str, width: int, height: int, body: str) -> SafeString:
    ident = _id(title, kind)
    # The drawing is markup built here: every value in it is a number, one of this module's colours, or text
    # passed through _e (as the title and description are below).
    return mark_safe(  # noqa: S308 - as the comment above says
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{FONT}" font-size="14" class="lantern-chart__svg">'
        f'<title id="{ident}-t">{_e(title)}</title><desc id="{ident}-d">{_e(description)}</desc>'
        f'<text x="0" y="18" font-size="16" font-weight="bold" fill="{TEXT}">{_e(title)}</text>{body}</svg>'
    )


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float | int | str | None]],
    *,
    description: str = "",
    value_label: str = "Count",
) -> Chart:
    """A horizontal bar chart, one bar per (label, value), drawn in the order given.

    A value that is text (e.g. "fewer than 5") or None is written beside the label instead of a bar.
    """
    bars = list(bars)
    numbers = [v for _, v in bars if isinstance(v, int | float) and not isinstance(v, bool)]
    top = _nice_max(max(numbers, default=0))
    label_w, row_h, left_pad = 210, 26, 8
    plot_w = WIDTH - label_w - 70
    height = 40 + row_h * max(1, len(bars)) + 30
    parts = []
    for tick in range(TICKS + 1):
        x = label_w + plot_w * tick / TICKS
        parts.append(
            f'<line x1="{x:.1f}" y1="32" x2="{x:.1f}" y2="{height - 26}" stroke="{GRID}" '
            f'stroke-width="1"/><text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}" '
            f'font-size="12">{_e(_tick(top * tick / TICKS))}</text>'
        )
    for index, (label, value) in enumerate(bars):
        y = 36 + index * row_h
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_w - left_pad}" y="{y + 17}" text-anchor="end" fill="{TEXT}">{_e(short)}</text>'
        )
        if isinstance(value, int | float) and not isinstance(value, bool):
            w = plot_w * max(0.0, float(value)) / top
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{BAR}"/>'
                f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" fill="{TEXT}">{_e(_fmt(value))}</text>'
            )
        else:
            parts.append(
                f'<text x="{label_w + 6}" y="{y + 17}" fill="{MUTED}" font-style="italic">'
                f"{_e(value or 'not available')}</text>"
            )
    description = description or _describe_bars(bars, value_label)
    table = Table(caption=title, headers=["", value_label], rows=[[label, value] for label, value in bars])
    return Chart(
        title, description, _svg(title, description, "bar", WIDTH, height, "".join(parts)), table, "bar"
    )


def _describe_bars(bars, value_label: str) -> str:
    numbers = [(label, v) for label, v in bars if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return f"A bar chart of {value_label.lower()}; no figures to show."
    high = max(numbers, key=lambda item: item[1])
    return (
        f"A bar chart of {value_label.lower()} for {len(bars)} categories; the highest is {high[0]} "
        f"with {_fmt(high[1])}. The figures are in the table that follows."
    )


@dataclass(frozen=True)
class Shade:
    """A span of the x axis to shade, from index `first` to `last`, with a label."""

    first: int
    last: int
    label: str


def trend_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    fitted: Sequence[float] | None = None,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    shades: Sequence[Shade] = (),
    description: str = "",
    value_label: str = "Count",
) -> Chart:
    """A line of values over time, with the fitted trend and its confidence band where given, and shaded spans."""
    n = len(labels)
    height, left, right, top_y, bottom = 300, 56, 16, 40, 250
    highest = max([*values, *(upper or []), *(fitted or []), 0])
    top = _nice_max(highest)
    plot_w = WIDTH - left - right

    def x(i: float) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return bottom - (bottom - top_y) * float(v) / top

    parts = []
    for shade in shades:
        x0, x1 = x(max(shade.first - 0.5, 0)), x(min(shade.last + 0.5, n - 1))
        parts.append(
            f'<rect x="{x0:.1f}" y="{top_y}" width="{max(x1 - x0, 2):.1f}" height="{bottom - top_y}" '
            f'fill="{SHADE}" stroke="{GRID}"/><text x="{x0 + 4:.1f}" y="{top_y + 14}" fill="{MUTED}" '
            f'font-size="12">{_e(shade.label)}</text>'
        )
    for tick in range(TICKS + 1):
        v = top * tick / TICKS
        parts.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{WIDTH - right}" y2="{y(v):.1f}" stroke="{GRID}" '
            f'stroke-width="0.5"/><text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}" font-size="12">{_e(_tick(v))}</text>'
        )
    if n and lower is not None and upper is not None:
        band = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(upper)]
        band += [f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(lower)))]
        parts.append(f'<polygon points="{" ".join(band)}" fill="{BAND}" fill-opacity="0.7" stroke="none"/>')
    if n and fitted is not None:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(fitted))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
    if n:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2"/>')
        step = max(1, math.ceil(n / 8))
        for i in range(0, n, step):
            parts.append(
                f'<text x="{x(i):.1f}" y="{bottom + 18}" text-anchor="middle" fill="{MUTED}" '
                f'font-size="12">{_e(labels[i])}</text>'
            )
    legend = [(BAR, "solid", "Recorded")]
    if fitted is not None:
        legend.append((LINE, "dashed", "Trend with 95% confidence band"))
    for index, (colour, style, text) in enumerate(legend):
        lx = left + index * 220
        dash = ' stroke-dasharray="6 4"' if style == "dashed" else ""
        parts.append(
            f'<line x1="{lx}" y1="{height - 12}" x2="{lx + 24}" y2="{height - 12}" stroke="{colour}" '
            f'stroke-width="2"{dash}/><text x="{lx + 30}" y="{height - 8}" fill="{TEXT}" '
            f'font-size="12">{_e(text)}</text>'
        )
    description = description or (
        f"A line chart of {value_label.lower()} by month from {labels[0]} to {labels[-1]}."
        if n
        else "A line chart with no figures to show."
    )
    table = _trend_table(
        title, labels, values, fitted=fitted, lower=lower, upper=upper, value_label=value_label
    )
    return Chart(
        title, description, _svg(title, description, "trend", WIDTH, height, "".join(parts)), table, "trend"
    )


def _trend_table(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    fitted: Sequence[float] | None,
    lower: Sequence[float] | None,
    upper: Sequence[float] | None,
    value_label: str,
) -> Table:
    """The figures behind a trend chart: each month's value, with the trend and its band where given."""
    headers = ["Month", value_label]
    if fitted is not None:
        headers.append("Trend")
    if lower is not None and upper is not None:
        headers += ["Trend, 95% lower", "Trend, 95% upper"]
    rows = []
    for i in range(len(labels)):
        row = [labels[i], values[i]]
        if fitted is not None:
            row.append(round(float(fitted[i]), 1))
        if lower is not None and upper is not None:
            row += [round(float(lower[i]), 1), round(float(upper[i]), 1)]
        rows.append(row)
    return Table(caption=title, headers=headers, rows=rows)


def _blend(share: float) -> str:
    """A colour from light grey (0) to dark blue (1)."""
    light, dark = (0xF3, 0xF2, 0xF1), (0x00, 0x30, 0x78)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(light, dark, strict=True))


def heat_map(
    title: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    description: str = "",
    value_label: str = "Count",
) -> Chart:
    """A grid of cells shaded by value (darker is more), rows by columns."""
    rows, cols = len(row_labels), len(col_labels)
    label_w, top_y = 190, 56
    cell_w = max(12.0, (WIDTH - label_w - 10) / max(cols, 1))
    cell_h = 24
    width = int(label_w + cell_w * cols + 10)
    height = top_y + cell_h * rows + 40
    highest = max((v for row in values for v in row), default=0) or 1
    parts = []
    step = 1 if cols <= 12 else 3
    for j in range(0, cols, step):
        parts.append(
            f'<text x="{label_w + cell_w * (j + 0.5):.1f}" y="{top_y - 8}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="11">{_e(col_labels[j])}</text>'
        )
    for i, label in enumerate(row_labels):
        y = top_y + i * cell_h
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="{TEXT}" font-size="12">'
            f"{_e(short)}</text>"
        )
        for j in range(cols):
            v = values[i][j]
            parts.append(
                f'<rect x="{label_w + cell_w * j:.1f}" y="{y}" width="{cell_w - 1:.1f}" '
                f'height="{cell_h - 1}" fill="{_blend(float(v) / highest)}"/>'
            )
    # Key: five steps from none to the highest value.
    for k in range(5):
        kx = label_w + k * 56
        parts.append(
            f'<rect x="{kx}" y="{height - 26}" width="18" height="14" fill="{_blend(k / 4)}" '
            f'stroke="{GRID}"/><text x="{kx + 22}" y="{height - 14}" fill="{MUTED}" font-size="11">'
            f"{_e(_fmt(round(highest * k / 4)))}</text>"
        )
    if not description:
        flat = [(values[i][j], row_labels[i], col_labels[j]) for i in range(rows) for j in range(cols)]
        peak = max(flat, default=(0, "", ""))
        description = (
            f"A heat map of {value_label.lower()} by {rows} rows and {cols} columns; darker cells are "
            f"higher. The highest is {peak[1]}, {peak[2]}, with {_fmt(peak[0])}. The figures are in "
            "the table that follows."
        )
    table = Table(
        caption=title, headers=["", *col_labels], rows=[[row_labels[i], *values[i]] for i in range(rows)]
    )
    return Chart(
        title, description, _svg(title, description, "heat", width, height, "".join(parts)), table, "heat"
    )
