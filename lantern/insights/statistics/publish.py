"""The transparency report: aggregate figures for one quarter, safe to publish, each traceable to its data.

**Suppression.** Every count below 5 (zero included) is shown as "fewer than 5" (primary suppression). Where a
table has totals, each row and column, totals included, is an equation (the cells add up to the total), so one
hidden cell in an equation could be worked out by subtraction; `protect` hides further cells (secondary
suppression, shown as "withheld"): first the smallest visible cell of any equation with exactly one hidden cell,
until none has; then it checks the whole table as an attacker would, by linear programming over every equation at
once, knowing that a "fewer than 5" cell is between 0 and 4 and a "withheld" one is 5 or more, and hides more
wherever a hidden cell's value is still pinned down. Ratios are published only when both counts are 5 or more.

**Reproducibility.** Each figure carries the SQL of the query whose rows it counts, how the rows are grouped, and
the SHA-256 of those rows (each row as a JSON array of strings, datetimes in UTC ISO 8601, rows ordered by the
first column, joined by newlines). The report's snapshot hash is the SHA-256 of its figures' hashes in order.
Anyone with read access to the database can run the query, hash its rows the same way and group them to get the
same figures.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Protocol

import numpy as np
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from scipy.optimize import linprog

from lantern.audit import events
from lantern.core import charts
from lantern.core.calendar import LONDON
from lantern.core.exceptions import Invalid
from lantern.insights.statistics.models import Measure, PublishedReport
from lantern.insights.statistics.selectors import (
    AT_RISK_LEVELS,
    MEASURE_DEFINITIONS,
    Period,
    _first_identified,
    add_months,
    month_name,
    monthly_counts_raw,
    rate_ratio,
    source_key,
    source_label,
    this_month,
)

THRESHOLD = 5
FEWER = "fewer than 5"
WITHHELD = "withheld"
QUARTER = re.compile(r"(\d{4})Q([1-4])")


# Periods
def parse_quarter(text: str | None) -> Period:
    """A quarter written "2025Q4" as a period of three months; `Invalid` for anything else or one not yet ended."""
    text = (text or "").strip().upper()
    match = QUARTER.fullmatch(text)
    if not match:
        raise Invalid.field(
            "period", "Enter a quarter as a year, Q and a number from 1 to 4, for example 2025Q4."
        )
    year, quarter = int(match.group(1)), int(match.group(2))
    if year < 2000:
        raise Invalid.field("period", "Enter a quarter in the year 2000 or later.")
    start = date(year, 3 * quarter - 2, 1)
    period = Period(start, add_months(start, 2))
    if period.end >= this_month():
        raise Invalid.field("period", f"{text} has not ended yet; publish a quarter that has ended.")
    return period


def quarter_label(period: Period) -> str:
    """ "2025Q4"."""
    return f"{period.start.year}Q{(period.start.month - 1) // 3 + 1}"


def last_quarter() -> str:
    """The most recent quarter that has ended."""
    month = add_months(this_month(), -1)
    while month.month % 3 != 0:
        month = add_months(month, -1)
    return quarter_label(Period(add_months(month, -2), month))


# Suppression
@dataclass
class Relation:
    """An equation of a table: the cells at `parts` add up to the cell at `total`."""

    parts: list[tuple[int, int]]
    total: tuple[int, int]

    @property
    def cells(self) -> list[tuple[int, int]]:
        """Every cell in the equation."""
        return [*self.parts, self.total]


def table_relations(rows: int, cols: int, *, row_totals: bool, col_totals: bool) -> list[Relation]:
    """The equations of a table of `rows` × `cols` body cells whose last column (`row_totals`) and last row
    (`col_totals`) hold totals; the corner is the grand total."""
    relations = []
    body_rows = rows - (1 if col_totals else 0)
    body_cols = cols - (1 if row_totals else 0)
    if row_totals:
        for i in range(rows):
            relations.append(Relation([(i, j) for j in range(body_cols)], (i, body_cols)))
    if col_totals:
        for j in range(cols):
            relations.append(Relation([(i, j) for i in range(body_rows)], (body_rows, j)))
    return relations


def _ranges(values: np.ndarray, hidden: set, primary: set, relations: list[Relation]) -> dict:
    """The least and greatest value each hidden cell can take, given what is shown (the attacker's view)."""
    order = sorted(hidden)
    index = {cell: k for k, cell in enumerate(order)}
    a_eq, b_eq = [], []
    for relation in relations:
        row = np.zeros(len(order))
        rhs = 0.0
        for cell, sign in [(c, 1.0) for c in relation.parts] + [(relation.total, -1.0)]:
            if cell in index:
                row[index[cell]] += sign
            else:
                rhs -= sign * values[cell]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(0, THRESHOLD - 1) if cell in primary else (THRESHOLD, None) for cell in order]
    out = {}
    for cell in order:
        c = np.zeros(len(order))
        c[index[cell]] = 1.0
        low = linprog(c, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds, method="highs")
        lo = low.fun if low.status == 0 else -np.inf
        hi = -high.fun if high.status == 0 else np.inf
        out[cell] = (lo, hi)
    return out


def protect(values, relations: list[Relation], *, threshold: int = THRESHOLD) -> dict[tuple[int, int], str]:
    """Which cells to hide and why: {cell: FEWER or WITHHELD}. See the module's docstring."""
    values = np.asarray(values, dtype=float)
    primary = {
        (i, j) for i in range(values.shape[0]) for j in range(values.shape[1]) if values[i, j] < threshold
    }
    hidden = set(primary)
    in_relation = {cell for relation in relations for cell in relation.cells}

    def hide_smallest(cells) -> bool:
        candidates = [c for c in cells if c not in hidden]
        if not candidates:
            return False
        totals = {r.total for r in relations}
        # Hide a body cell before a total, and the smallest value first: the least information lost.
        hidden.add(min(candidates, key=lambda c: (c in totals, values[c], c)))
        return True

    while True:
        changed = False
        for relation in relations:
            if sum(cell in hidden for cell in relation.cells) == 1:
                changed |= hide_smallest(relation.cells)
        if changed:
            continue
        secret = hidden & in_relation
        if not secret:
            break
        ranges = _ranges(values, secret, primary, relations)
        pinned = [cell for cell, (lo, hi) in sorted(ranges.items()) if hi - lo < 0.5]
        if not pinned:
            break
        for cell in pinned:
            lines = [r for r in relations if cell in r.cells]
            if any(hide_smallest(r.cells) for r in lines):
                changed = True
                break
        if not changed:
            # Every equation through a pinned cell is hidden already, yet shown cells elsewhere pin it (a chain
            # of totals): hide the smallest shown cell of any equation that holds a hidden one, and look again.
            connected = {c for r in relations if any(c in secret for c in r.cells) for c in r.cells}
            if not hide_smallest(sorted(connected)):
                break  # everything that bears on it is hidden
    return {cell: (FEWER if cell in primary else WITHHELD) for cell in hidden}


# Figures
def _rows_hash(rows) -> str:
    def text(value) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        return "" if value is None else str(value)

    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([text(v) for v in row], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass
class Figure:
    """One published table: its cells after suppression, where it came from, and the hash of its rows."""

    key: str
    title: str
    definition: str
    headers: list[str]
    row_labels: list[str]
    cells: list[list]  # int, FEWER or WITHHELD
    query: str
    grouping: str
    snapshot_hash: str
    rows_counted: int
    notes: list[str] = field(default_factory=list)

    @property
    def row_pairs(self) -> list[tuple[str, list]]:
        """(row label, cells) for each row, for the template."""
        return list(zip(self.row_labels, self.cells, strict=True))

    def as_dict(self) -> dict:
        """For figures.json."""
        return {
            "key": self.key,
            "title": self.title,
            "definition": self.definition,
            "headers": self.headers,
            "rows": [[label, *cells] for label, cells in zip(self.row_labels, self.cells, strict=True)],
            "query": self.query,
            "grouping": self.grouping,
            "snapshot_sha256": self.snapshot_hash,
            "rows_counted": self.rows_counted,
            "notes": self.notes,
        }


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, dtime.min, tzinfo=LONDON),
        datetime.combine(add_months(period.end, 1), dtime.min, tzinfo=LONDON),
    )


def _month_index(value: datetime, period: Period) -> int:
    local = timezone.localtime(value, LONDON)
    return (local.year - period.start.year) * 12 + local.month - period.start.month


def _safe_table(
    key, title, definition, row_labels, matrix, month_headers, query, grouping, rows, *, totals: bool
) -> Figure:
    """Add totals (if `totals`), protect the table and build the figure."""
    body = np.asarray(matrix, dtype=int).reshape(len(row_labels), len(month_headers))
    if totals:
        with_rows = np.column_stack([body, body.sum(axis=1)])
        full = np.vstack([with_rows, with_rows.sum(axis=0)])
        labels, headers = [*row_labels, "Total"], ["", *month_headers, "Quarter"]
        relations = table_relations(full.shape[0], full.shape[1], row_totals=True, col_totals=True)
    else:
        full, labels, headers = body, list(row_labels), ["", *month_headers]
        relations = []
    hidden = protect(full, relations)
    cells = [
        [hidden.get((i, j), int(full[i, j])) for j in range(full.shape[1])] for i in range(full.shape[0])
    ]
    notes = []
    if any(v == WITHHELD for row in cells for v in row):
        notes.append(
            "Some figures are withheld so that a figure below 5 cannot be worked out from the others."
        )
    return Figure(
        key, title, definition, headers, labels, cells, query, grouping, _rows_hash(rows), len(rows), notes
    )


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def query_sql(queryset) -> str:
    """The query as SQL that can be run as it stands on this database (parameters written in as literals)."""
    sql, params = queryset.query.sql_with_params()
    return sql % tuple(_literal(p) for p in params)


# Resourcing (issue 19): the resourcing room's figures in aggregate. That room sits beside this one, so the insights
# app registers its source at start-up (`register_resourcing_source`); with none registered the report has none.
class QuarterCompletions(Protocol):
    """Tasks completed in a quarter, and how many by someone holding the training their team requires."""

    quarter: str
    completed: int
    by_trained: int


class ResourcingFacts(Protocol):
    """The partnership's resourcing taken together (`insights.resourcing.selectors.PartnershipResourcing`)."""

    as_at: date
    staff: int
    trained_staff: int
    caseloads: list[int]
    unallocated: int
    oldest_wait_days: int | None
    established_posts: int | None
    vacancies: int | None
    quarters: list[QuarterCompletions]
    staff_rows: list[tuple]
    completion_rows: list[tuple]
    staff_query: object
    completion_query: object


class ResourcingSource(Protocol):
    """The facts for `quarters` (label, first day), completions up to `until`, the rest as at `as_at`."""

    def __call__(self, *, quarters: list[tuple[str, date]], until: date, as_at: date) -> ResourcingFacts: ...


_resourcing_source: ResourcingSource | None = None
NOT_PUBLISHED = "not published"


def register_resourcing_source(source: ResourcingSource | None) -> None:
    """Have the report's resourcing figures come from `source` (the insights app registers it at start-up)."""
    global _resourcing_source
    _resourcing_source = source


def resourcing_source() -> ResourcingSource | None:
    """The registered source of resourcing figures, or None."""
    return _resourcing_source


def _measure(value: float, unit: str) -> str:
    """A measure that is not a count of anything (a median caseload, a wait), written with its unit so that it is
    never read as one: "2.5 cases", "1 day"."""
    return f"{value:g} {unit}{'' if value == 1 else 's'}"


def _share(part, whole) -> str:
    """A percentage, published only when both counts are shown (5 or more)."""
    if not isinstance(part, int) or not isinstance(whole, int) or whole == 0:
        return NOT_PUBLISHED
    return f"{part / whole:.0%}"


def _counted_rows(values: np.ndarray, relations: list[Relation]) -> list[list]:
    hidden = protect(values, relations)
    return [
        [hidden.get((i, j), int(values[i, j])) for j in range(values.shape[1])]
        for i in range(values.shape[0])
    ]


def _withheld_note(cells) -> list[str]:
    if any(v == WITHHELD for row in cells for v in row):
        return ["Some figures are withheld so that a figure below 5 cannot be worked out from the others."]
    return []


def resourcing_figures(period: Period, source: ResourcingSource) -> list[Figure]:
    """Two figures: staff, training, caseloads, unallocated work and posts as at the day the report is built; and
    the exploitation tasks completed, and by trained staff, in the report's quarter and the three before it. Counts
    below 5 are suppressed (a subtraction that would reveal one, withheld); a share, median, largest caseload or
    wait is published only when the counts it is worked from are."""
    firsts = [add_months(period.start, -3 * k) for k in (3, 2, 1, 0)]
    quarters = [(quarter_label(Period(first, add_months(first, 2))), first) for first in firsts]
    as_at = timezone.localdate()
    facts = source(quarters=quarters, until=add_months(period.end, 1), as_at=as_at)

    staff = np.array(
        [[facts.staff], [facts.trained_staff], [facts.staff - facts.trained_staff], [facts.unallocated]]
        + [[facts.established_posts or 0], [facts.vacancies or 0]]
    )
    cells = _counted_rows(staff, [Relation([(1, 0), (2, 0)], (0, 0))])
    (
        (staff_cell,),
        (trained_cell,),
        (untrained_cell,),
        (unallocated_cell,),
        (posts_cell,),
        (vacancies_cell,),
    ) = cells
    enough_staff = isinstance(staff_cell, int)
    caseloads = sorted(facts.caseloads)
    median = float(np.median(caseloads)) if caseloads else None
    rows = [
        ("Staff in teams", staff_cell),
        ("with the current training their team requires", trained_cell),
        ("without it", untrained_cell),
        ("Share with the current training their team requires", _share(trained_cell, staff_cell)),
        (
            "Open caseload per worker: median",
            _measure(median, "case") if enough_staff and median is not None else NOT_PUBLISHED,
        ),
        (
            "Open caseload per worker: largest",
            _measure(max(caseloads), "case") if enough_staff and caseloads else NOT_PUBLISHED,
        ),
        ("Tasks and cases with nobody allocated", unallocated_cell),
        (
            "Days the oldest unallocated work has waited",
            _measure(facts.oldest_wait_days, "day")
            if isinstance(unallocated_cell, int) and facts.oldest_wait_days is not None
            else NOT_PUBLISHED,
        ),
        ("Established posts", posts_cell if facts.established_posts is not None else NOT_PUBLISHED),
        ("Vacancies", vacancies_cell if facts.vacancies is not None else NOT_PUBLISHED),
    ]
    figures = [
        Figure(
            "resourcing_staff",
            "Staff, training, caseloads and unallocated work",
            f"Every active agency's teams taken together, as at {as_at:%-d %B %Y} (the day this report was built: "
            "the record keeps no history of who was in which team). A worker's open caseload is their open tasks "
            "and the open cases they own; training is current when every course the team requires is held and "
            "not expired; posts and vacancies are each team's latest staffing record.",
            ["", f"As at {as_at:%-d %B %Y}"],
            [label for label, _ in rows],
            [[value] for _, value in rows],
            query_sql(facts.staff_query),
            "Each row of the query is a worker (id, team): count them, those holding their team's required "
            "courses on the day, and sum their open tasks and cases.",
            _rows_hash(facts.staff_rows),
            len(facts.staff_rows),
            _withheld_note(cells)
            + [
                'A share, median, largest caseload or wait is "not published" where the count it comes from is not.'
            ],
        )
    ]

    done = np.array(
        [
            [q.completed for q in facts.quarters],
            [q.by_trained for q in facts.quarters],
            [q.completed - q.by_trained for q in facts.quarters],
        ]
    )
    relations = [Relation([(1, j), (2, j)], (0, j)) for j in range(done.shape[1])]
    cells = _counted_rows(done, relations)
    shares = [_share(cells[1][j], cells[0][j]) for j in range(done.shape[1])]
    figures.append(
        Figure(
            "resourcing_trained_completion",
            "Exploitation tasks completed, and by trained staff, by quarter",
            "Every agency task completed in the quarter by a team's worker (every task in Lantern is work on a "
            "child-exploitation referral), and how many were completed by someone who held, on the day, every "
            "course their team requires.",
            ["", *[label for label, _ in quarters]],
            ["Tasks completed", "by trained staff", "by others", "Share completed by trained staff"],
            [*cells, shares],
            query_sql(facts.completion_query),
            "Count rows by quarter of completed_at (Europe/London), and those whose worker held the team's "
            "required courses on that day.",
            _rows_hash(facts.completion_rows),
            len(facts.completion_rows),
            _withheld_note(cells),
        )
    )
    return figures


def build_figures(period: Period) -> list[Figure]:
    """The report's figures for a quarter, computed from the record (not the pre-aggregates)."""
    from lantern.accounts.models import AgencyKind
    from lantern.casework.models import AgencyTask, TaskOutcome
    from lantern.core.vocabulary import PlaceType
    from lantern.intake.models import DecisionKind, Referral, ReferralDecision, RiskLevel
    from lantern.intel.models import PersonMention, PersonRole, PlaceMention

    start, end = _bounds(period)
    months = [month_name(m) for m in period.months]
    figures = []

    referrals = (
        Referral.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by("id")
        .values_list("id", "received_at", "source", "referrer_agency__kind", "risk_level")
    )
    rows = list(referrals)
    sources = sorted(
        {
            source_key(s, k)
            for s, k in Referral.objects.order_by().values_list("source", "referrer_agency__kind").distinct()
        }
        | {"public", "professional:police"}
    )
    matrix = [[0] * 3 for _ in sources]
    risks = [level for level in RiskLevel.values]
    by_risk = [[0] * 3 for _ in risks]
    for _, received_at, source, kind, risk in rows:
        m = _month_index(received_at, period)
        matrix[sources.index(source_key(source, kind))][m] += 1
        by_risk[risks.index(risk)][m] += 1
    grouping = "Count rows by month of received_at (Europe/London) and by {}."
    figures.append(
        _safe_table(
            "referrals_by_source",
            "Referrals received, by source",
            MEASURE_DEFINITIONS[Measure.REFERRALS]
            + " Professionals are grouped by the kind of their agency.",
            [source_label(s) for s in sources],
            matrix,
            months,
            query_sql(referrals),
            grouping.format("source (professionals by referrer_agency.kind)"),
            rows,
            totals=True,
        )
    )
    figures.append(
        _safe_table(
            "referrals_by_risk",
            "Referrals received, by risk level at screening",
            'Every referral received, by the risk level of its latest screening ("Not assessed" until screened).',
            [dict(RiskLevel.choices)[r] for r in risks],
            by_risk,
            months,
            query_sql(referrals),
            grouping.format("risk_level"),
            rows,
            totals=True,
        )
    )

    decisions = (
        ReferralDecision.objects.filter(decided_at__gte=start, decided_at__lt=end)
        .order_by("id")
        .values_list("id", "decided_at", "kind")
    )
    rows = list(decisions)
    kinds = list(DecisionKind.values)
    matrix = [[0] * 3 for _ in kinds]
    for _, decided_at, kind in rows:
        matrix[kinds.index(kind)][_month_index(decided_at, period)] += 1
    figures.append(
        _safe_table(
            "decisions_by_kind",
            "Front-door decisions, by kind",
            "Every decision the front door recorded on a referral, in the month it was made (a referral decided "
            'again after a manager rejected "no further action" counts twice).',
            [dict(DecisionKind.choices)[k] for k in kinds],
            matrix,
            months,
            query_sql(decisions),
            "Count rows by month of decided_at (Europe/London) and by kind.",
            rows,
            totals=True,
        )
    )

    # Children, persons of concern and crimes: not additive across rows, so no column totals.
    people_rows = []
    measure_rows = []
    queries = []
    for role, extra in (
        (PersonRole.CHILD, {"referral__risk_level__in": AT_RISK_LEVELS}),
        (PersonRole.PERSON_OF_CONCERN, {}),
    ):
        mentions = (
            PersonMention.objects.filter(role=role, referral__isnull=False, **extra)
            .order_by("id")
            .values_list(
                "id",
                "entity_id",
                "name",
                "nickname",
                "date_of_birth",
                "referral__received_at",
                "referral__source",
                "referral__referrer_agency__kind",
            )
        )
        rows = list(mentions)
        people_rows.extend(rows)
        queries.append(query_sql(mentions))
        counts = _first_identified(rows)
        measure_rows.append([sum(n for (m, _), n in counts.items() if m == month) for month in period.months])
    crimes = (
        AgencyTask.objects.filter(
            outcome=TaskOutcome.CRIME_RECORDED, completed_at__gte=start, completed_at__lt=end
        )
        .order_by("id")
        .values_list("id", "completed_at")
    )
    crime_rows = list(crimes)
    queries.append(query_sql(crimes))
    measure_rows.append([sum(1 for _, at in crime_rows if _month_index(at, period) == k) for k in range(3)])
    matrix = [row + [sum(row)] for row in measure_rows]
    body = np.asarray(matrix)
    relations = table_relations(3, 4, row_totals=True, col_totals=False)
    hidden = protect(body, relations)
    cells = [[hidden.get((i, j), int(body[i, j])) for j in range(4)] for i in range(3)]
    figures.append(
        Figure(
            "identified",
            "Children at risk, persons of concern and crimes",
            " ".join(
                MEASURE_DEFINITIONS[m]
                for m in (Measure.CHILDREN_AT_RISK, Measure.PERSONS_OF_CONCERN, Measure.CRIMES)
            ),
            ["", *months, "Quarter"],
            [Measure.CHILDREN_AT_RISK.label, Measure.PERSONS_OF_CONCERN.label, Measure.CRIMES.label],
            cells,
            "\n;\n".join(queries),
            "Children and persons of concern: each person once, in the month of their first qualifying referral "
            "over the whole record (the queries cover the whole record); crimes: count rows by month of completed_at.",
            _rows_hash([*people_rows, *crime_rows]),
            len(people_rows) + len(crime_rows),
            [
                "The rows are not added together: a child can also be named as at risk in a referral that records a "
                "crime."
            ]
            + (
                ["Some figures are withheld so that a figure below 5 cannot be worked out."]
                if any(v == WITHHELD for row in cells for v in row)
                else []
            ),
        )
    )

    places = (
        PlaceMention.objects.filter(referral__received_at__gte=start, referral__received_at__lt=end)
        .order_by("id")
        .values_list("id", "referral_id", "place_type")
    )
    rows = list(places)
    types = [t for t in PlaceType.values]
    seen = {(r, t) for _, r, t in rows}
    counts = [[sum(1 for r, t in seen if t == kind)] for kind in types]
    figures.append(
        _safe_table(
            "place_types",
            "Referrals mentioning each type of place",
            "Referrals received in the quarter that mention at least one place of each type. A referral can mention "
            "places of several types, so the rows are not added together.",
            [dict(PlaceType.choices)[t] for t in types],
            counts,
            ["Quarter"],
            query_sql(places),
            "Count distinct referral_id by place_type.",
            rows,
            totals=False,
        )
    )
    _ = AgencyKind  # professionals' agencies are named through source_label
    if _resourcing_source is not None:
        figures.extend(resourcing_figures(period, _resourcing_source))
    return figures


def comparison(period: Period) -> dict | None:
    """Referrals this quarter against the same quarter a year before, if both are 5 or more: the report's first
    section, "Is exploitation continuing on the same scale?", answered as the page answers it (the adjusted
    ratio), with the crude rate ratio beside it, from counts taken from the record."""
    from lantern.insights.statistics import question
    from lantern.intake.models import Referral

    before = Period(add_months(period.start, -12), add_months(period.end, -12))
    counts = []
    for p in (period, before):
        start, end = _bounds(p)
        counts.append(Referral.objects.filter(received_at__gte=start, received_at__lt=end).count())
    if min(counts) < THRESHOLD:
        return None
    ratio = rate_ratio(counts[0], period.days(), counts[1], before.days())
    answer = question.same_scale(
        period=period,
        compare=before,
        counts=monthly_counts_raw(Measure.REFERRALS, end=period.end),
        until=period.end,
    )
    return {
        "before": quarter_label(before),
        "rate_ratio": round(ratio.rate_ratio, 3),
        "ci_low": round(ratio.ci_low, 3),
        "ci_high": round(ratio.ci_high, 3),
        "reading": ratio.reading(earlier=True),
        "question": {
            "title": question.TITLE,
            "direction": answer["answer"]["direction"],
            "headline": answer["answer"]["headline"],
            "sentence": answer["answer"]["sentence"],
            "adjusted": answer["answer"]["adjusted"],
            "where": answer["where"]["text"],
            "limits": answer["limits"],
        },
    }


def quarterly_chart(period: Period) -> charts.Chart:
    """Referrals per quarter over the three years to this one, suppressed like every other figure."""
    from lantern.intake.models import Referral

    labels, values = [], []
    for back in range(11, -1, -1):
        start = add_months(period.start, -3 * back)
        quarter = Period(start, add_months(start, 2))
        lo, hi = _bounds(quarter)
        n = Referral.objects.filter(received_at__gte=lo, received_at__lt=hi).count()
        labels.append(quarter_label(quarter))
        values.append(n if n >= THRESHOLD else FEWER)
    return charts.bar_chart(
        "Referrals received per quarter, last three years",
        list(zip(labels, values, strict=True)),
        value_label="Referrals",
    )


@dataclass
class Report:
    """A built report: its figures, charts, comparison, snapshot hash and the rendered HTML."""

    period: Period
    figures: list[Figure]
    comparison: dict | None
    snapshot_hash: str
    html: str
    built_at: datetime

    def figures_json(self) -> str:
        """figures.json: every figure with its query and hash, and the report's snapshot hash."""
        return json.dumps(
            {
                "period": quarter_label(self.period),
                "built_at": self.built_at.isoformat(),
                "snapshot_sha256": self.snapshot_hash,
                "threshold": THRESHOLD,
                "hash_method": (
                    "SHA-256 of the query's rows, each a JSON array of strings (datetimes in UTC ISO 8601, "
                    'as stored; null as ""), ordered by the first column, each followed by a newline. The report\'s '
                    "snapshot hash is the SHA-256 of the figures' hashes joined by newlines."
                ),
                "comparison": self.comparison,
                "figures": [f.as_dict() for f in self.figures],
            },
            indent=2,
            ensure_ascii=False,
        )


def report_build(period: Period) -> Report:
    """Compute the figures, protect them and render the report's HTML (no writes)."""
    figures = build_figures(period)
    snapshot = hashlib.sha256("\n".join(f.snapshot_hash for f in figures).encode()).hexdigest()
    built_at = timezone.now()
    source_figure = figures[0]
    bars = [
        (label, cells[-1])
        for label, cells in zip(source_figure.row_labels[:-1], source_figure.cells[:-1], strict=True)
    ]
    chart_list = [
        charts.bar_chart(
            f"Referrals received in {quarter_label(period)}, by source", bars, value_label="Referrals"
        ),
        quarterly_chart(period),
    ]
    compared = comparison(period)
    html = render_to_string(
        "insights/statistics/report.html",
        {
            "period": period,
            "quarter": quarter_label(period),
            "figures": figures,
            "charts": chart_list,
            "comparison": compared,
            "snapshot_hash": snapshot,
            "built_at": built_at,
            "threshold": THRESHOLD,
        },
    )
    return Report(period, figures, compared, snapshot, html, built_at)


def report_pdf(html: str) -> bytes:
    """The report as PDF (WeasyPrint)."""
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


@transaction.atomic
def transparency_report_publish(*, actor, period: str, out_dir: Path | None = None) -> PublishedReport:
    """Build the report for a quarter ("2025Q4"), keep it as issued, audit it, and write it to `out_dir` if given
    (report.html, report.pdf, figures.json)."""
    quarter = parse_quarter(period)
    report = report_build(quarter)
    pdf = report_pdf(report.html)
    published = PublishedReport.objects.create(
        period=quarter_label(quarter),
        snapshot_hash=report.snapshot_hash,
        figures=json.loads(report.figures_json()),
        html=report.html,
        pdf=pdf,
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    events.transparency_report_published(actor=actor, report=published)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.html").write_text(report.html, encoding="utf-8")
        (out_dir / "report.pdf").write_bytes(pdf)
        (out_dir / "figures.json").write_text(report.figures_json(), encoding="utf-8")
    return published
