"""The transparency report: suppression that cannot be undone, no count below 5 anywhere, figures that an
independent party can reproduce from their query and hash, the command, and the page."""

import hashlib
import json
import re
from datetime import UTC

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from lantern.accounts.models import AgencyKind, Role
from lantern.accounts.testing import AgencyFactory, UserFactory
from lantern.audit.models import AuditEvent
from lantern.core.exceptions import Invalid
from lantern.insights.statistics import publish
from lantern.insights.statistics.models import PublishedReport
from lantern.insights.statistics.publish import FEWER, WITHHELD, protect, table_relations
from lantern.insights.statistics.tests.support import at, referral


# Suppression
def _with_totals(body: np.ndarray) -> np.ndarray:
    rows = np.column_stack([body, body.sum(axis=1)])
    return np.vstack([rows, rows.sum(axis=0)])


def _subtraction_attack(full: np.ndarray, hidden: dict) -> dict:
    """What an attacker recovers by subtraction alone: any row or column (totals included) with one unknown cell
    gives it away, and each cell recovered may give away another."""
    known = {cell: full[cell] for cell in np.ndindex(full.shape) if cell not in hidden}
    recovered = {}
    rows, cols = full.shape
    lines = [([(i, j) for j in range(cols - 1)], (i, cols - 1)) for i in range(rows)]
    lines += [([(i, j) for i in range(rows - 1)], (rows - 1, j)) for j in range(cols)]
    changed = True
    while changed:
        changed = False
        for parts, total in lines:
            unknown = [c for c in [*parts, total] if c not in known]
            if len(unknown) == 1:
                cell = unknown[0]
                value = (
                    (known.get(total, 0) - sum(known[c] for c in parts if c in known))
                    if cell != total
                    else sum(known[c] for c in parts)
                )
                known[cell] = recovered[cell] = value
                changed = True
    return recovered


def _lp_ranges(full: np.ndarray, hidden: dict) -> dict:
    """The least and greatest value of each hidden cell that every row and column equation allows, for an attacker
    who also knows that "fewer than 5" means 0 to 4 and "withheld" means 5 or more."""
    cells = sorted(hidden)
    index = {cell: k for k, cell in enumerate(cells)}
    rows, cols = full.shape
    equations = [[(i, j) for j in range(cols - 1)] + [(i, cols - 1, "total")] for i in range(rows)]
    equations += [[(i, j) for i in range(rows - 1)] + [(rows - 1, j, "total")] for j in range(cols)]
    a, b = [], []
    for equation in equations:
        row, rhs = np.zeros(len(cells)), 0.0
        for entry in equation:
            cell, sign = (entry[:2], -1.0) if len(entry) == 3 else (entry, 1.0)
            if cell in index:
                row[index[cell]] += sign
            else:
                rhs -= sign * full[cell]
        a.append(row)
        b.append(rhs)
    bounds = [(0, 4) if hidden[c] == FEWER else (5, None) for c in cells]
    out = {}
    for cell in cells:
        objective = np.zeros(len(cells))
        objective[index[cell]] = 1
        low = linprog(objective, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        assert low.status == 0, "the true table must be feasible"
        out[cell] = (low.fun, -high.fun if high.status == 0 else np.inf)
    return out


small_or_large = st.one_of(st.integers(0, 6), st.integers(0, 60))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 5).flatmap(
        lambda r: st.integers(2, 4).flatmap(
            lambda c: st.lists(st.lists(small_or_large, min_size=c, max_size=c), min_size=r, max_size=r)
        )
    )
)
# Found by hypothesis: every equation through (0, 0) was hidden, yet the shown 5, 6 and 7 pinned it to 0.
@example([[0, 0, 0], [0, 1, 0], [0, 5, 1]])
def test_suppressed_cells_cannot_be_recovered_by_subtraction_or_any_combination_of_totals(body):
    """For any table with row, column and grand totals: every count below 5 is hidden as "fewer than 5", every
    shown count is 5 or more, no row or column equation has exactly one hidden cell, subtraction recovers nothing,
    and no combination of the equations pins a hidden cell to a single value."""
    full = _with_totals(np.array(body))
    hidden = protect(full, table_relations(*full.shape, row_totals=True, col_totals=True))
    for cell in np.ndindex(full.shape):
        if full[cell] < 5:
            assert hidden.get(cell) == FEWER
        elif cell in hidden:
            assert hidden[cell] == WITHHELD
    assert _subtraction_attack(full, hidden) == {}
    for cell, (low, high) in _lp_ranges(full, hidden).items():
        assert low <= full[cell] <= high
        assert high - low >= 1 - 1e-6, (cell, full[cell], low, high)


def test_a_lone_small_cell_takes_a_complement_in_its_row_and_column():
    """One 3 among large counts: a cell in its row and one in its column are withheld, and so is the fourth corner."""
    full = _with_totals(np.array([[3, 40, 50], [20, 30, 60], [25, 35, 45]]))
    hidden = protect(full, table_relations(4, 4, row_totals=True, col_totals=True))
    assert hidden[0, 0] == FEWER
    assert sum(1 for (i, j) in hidden if i == 0) >= 2 and sum(1 for (i, j) in hidden if j == 0) >= 2
    assert list(hidden.values()).count(WITHHELD) >= 3


# Quarters
@pytest.mark.parametrize(
    "text, message",
    [
        ("2025-Q4", "for example 2025Q4"),
        ("2025Q5", "for example 2025Q4"),
        ("", "for example 2025Q4"),
        ("1999Q1", "2000 or later"),
        ("2999Q1", "has not ended yet"),
    ],
)
def test_bad_quarters_are_refused_with_a_clear_message(text, message):
    """A quarter is written 2025Q4 and must have ended."""
    with pytest.raises(Invalid) as error:
        publish.parse_quarter(text)
    assert message in error.value.fields["period"][0]


def test_quarter_is_three_whole_months():
    """2025Q4 is October to December 2025."""
    period = publish.parse_quarter("2025q4")
    assert (period.start.month, period.end.month, publish.quarter_label(period)) == (10, 12, "2025Q4")


# The report
@pytest.fixture
def quarter(db):
    """2025Q4 and 2024Q4 with a mix of large and small counts, places, people and crimes."""
    for month in (10, 11, 12):
        for n in range(9):
            referral(
                at(2025, month, 2 + n),
                source="public" if n % 3 else "professional",
                risk="medium",
                children=[f"Child {month}-{n}"],
                persons=[f"Adult {n}"],
                crime=n < 2,
                places=[("Riverside Station Hotel", "hotel", 54.0, 1.2)] if n < 6 else [],
            )
        referral(at(2025, month, 20), source="self", kind=None)
        for n in range(6):
            referral(at(2024, month, 2 + n))
    return "2025Q4"


# What a cell may hold besides a count of 5 or more: a suppression mark, or a measure that is not a count (a share,
# a median caseload, a wait), always written with its unit so that it cannot be taken for one.
MEASURE = re.compile(r"\d+(\.\d+)?(%| cases?| days?)")


def is_safe(cell) -> bool:
    """A count of 5 or more, a suppression mark, or a measure with its unit."""
    if isinstance(cell, int):
        return cell >= 5
    return cell in (FEWER, WITHHELD, publish.NOT_PUBLISHED) or bool(MEASURE.fullmatch(cell))


NUMERIC_CELL = re.compile(r'<td class="(?:num|govuk-table__cell govuk-table__cell--numeric)">([^<]*)</td>')


def test_published_report_has_no_count_below_five(quarter, tmp_path):
    """`lantern publish` writes HTML, PDF and figures.json; no table cell in either holds a count below 5."""
    call_command("publish", "--period", quarter, "--out", str(tmp_path))
    figures = json.loads((tmp_path / "figures.json").read_text())
    cells = [cell for figure in figures["figures"] for row in figure["rows"] for cell in row[1:]]
    assert cells and all(is_safe(cell) for cell in cells), cells
    assert FEWER in cells
    html = (tmp_path / "report.html").read_text()
    shown = NUMERIC_CELL.findall(html)
    counts = [int(v.replace(",", "")) if v.replace(",", "").isdigit() else v for v in shown]
    assert shown and all(is_safe(v) for v in counts), shown
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "<svg" in html and 'role="img"' in html
    report = PublishedReport.objects.get()
    assert report.snapshot_hash == figures["snapshot_sha256"] and report.period == "2025Q4"
    assert AuditEvent.objects.filter(event_type="insights.report_published").exists()
    assert figures["comparison"]["before"] == "2024Q4"
    # The report opens with the question, answered from the adjusted ratio, with the limits of the counts.
    same_scale = figures["comparison"]["question"]
    assert same_scale["title"] == "Is exploitation continuing on the same scale?"
    assert same_scale["direction"] in ("higher", "lower", "same", "unknown") and same_scale["sentence"]
    assert same_scale["adjusted"]["method"] in ("quasi-poisson", "exact-poisson")
    assert html.index('id="same-scale"') < html.index('<h2 id="referrals_by_source"')
    assert same_scale["limits"][0].split(":")[0] in html


def test_each_figure_can_be_reproduced_from_its_query_and_hash(quarter, tmp_path):
    """An independent party who runs the published query and hashes its rows as documented gets the same hash,
    and grouping the rows gives the published figure; the snapshot hash is the hash of the figures' hashes."""
    from django.db import connection

    call_command("publish", "--period", quarter, "--out", str(tmp_path))
    figures = json.loads((tmp_path / "figures.json").read_text())
    by_source = next(f for f in figures["figures"] if f["key"] == "referrals_by_source")
    with connection.cursor() as cursor:
        cursor.execute(by_source["query"])
        rows = cursor.fetchall()
    digest = hashlib.sha256()
    for row in rows:
        values = []
        for value in row:
            if hasattr(value, "astimezone"):  # the database stores UTC; SQLite hands it back without a zone
                aware = value if value.tzinfo else value.replace(tzinfo=UTC)
                values.append(aware.astimezone(UTC).isoformat())
            elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?", value):
                from datetime import datetime

                values.append(datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat())  # SQLite's text
            else:
                values.append("" if value is None else str(value))
        digest.update(json.dumps(values, ensure_ascii=False).encode() + b"\n")
    assert digest.hexdigest() == by_source["snapshot_sha256"]
    assert len(rows) == by_source["rows_counted"] == 30
    public = next(row for row in by_source["rows"] if row[0] == "Member of the public")
    assert public[1:] == [6, 6, 6, 18]
    combined = hashlib.sha256(
        "\n".join(f["snapshot_sha256"] for f in figures["figures"]).encode()
    ).hexdigest()
    assert combined == figures["snapshot_sha256"]


def test_publish_command_refuses_a_bad_period(db, tmp_path):
    """A bad --period is a clear error and writes nothing."""
    with pytest.raises(CommandError, match="for example 2025Q4"):
        call_command("publish", "--period", "Q4 2025", "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    assert not PublishedReport.objects.exists()


def test_partnership_lead_publishes_and_downloads_from_the_page(quarter, client_for):
    """The lead publishes a quarter from the page and downloads its HTML and PDF; a bad quarter shows the error."""
    lead = UserFactory(role=Role.PARTNERSHIP_LEAD, agency=AgencyFactory(kind=AgencyKind.PARTNERSHIP))
    client = client_for(lead)
    response = client.post(reverse("insights:publish"), {"period": "2025Q4"}, follow=True)
    assert "The transparency report for 2025Q4 has been published." in response.content.decode()
    report = PublishedReport.objects.get()
    pdf = client.get(reverse("insights:report_download", args=[report.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    html = client.get(reverse("insights:report_download", args=[report.pk, "html"])).content.decode()
    assert "fewer than 5" in html
    error = client.post(reverse("insights:publish"), {"period": "next year"}).content.decode()
    assert "govuk-error-summary" in error and 'href="#period"' in error


def test_only_the_partnership_lead_may_publish(quarter, client_for):
    """An analyst may read the statistics but not publish them."""
    analyst = UserFactory(role=Role.ANALYST, agency=AgencyFactory(kind=AgencyKind.POLICE))
    assert client_for(analyst).get(reverse("insights:publish")).status_code == 403
    assert client_for(analyst).post(reverse("insights:publish"), {"period": "2025Q4"}).status_code == 403
    assert not PublishedReport.objects.exists()


# Resourcing in aggregate (issue 19)
def _resourcing_world(*, staff: int, trained: int, completed_by_trained: int, completed_by_others: int):
    """One police team of `staff` workers, `trained` of them holding the course it requires, with 6 posts and
    1 vacancy; in 2025Q4 its workers completed tasks, so many by trained and so many by other workers."""
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from lantern.accounts import training
    from lantern.accounts.testing import TeamFactory
    from lantern.casework.models import AgencyTask, TaskStatus
    from lantern.intake.models import Referral

    agency = AgencyFactory(kind=AgencyKind.POLICE)
    team = TeamFactory(agency=agency, name="Child Exploitation Team")
    course = training.course_create(actor=None, code="cse", name="CSE awareness", valid_for_months=120)
    training.team_course_require(actor=None, team=team, course=course)
    training.team_staffing_record(
        actor=None, team=team, recorded_on=date(2025, 9, 1), established_posts=6, vacancies=1, absences=0
    )
    workers = [
        UserFactory(username=f"ce-{n}", agency=agency, team=team, role=Role.PRACTITIONER)
        for n in range(staff)
    ]
    for worker in workers[:trained]:
        training.training_record(actor=None, user=worker, course=course, completed_on=date(2025, 1, 1))
    london = ZoneInfo("Europe/London")
    for n in range(completed_by_trained + completed_by_others):
        done = datetime(2025, 11, 3, 10, tzinfo=london) + timedelta(hours=n)
        worker = workers[0] if n < completed_by_trained else workers[-1]
        AgencyTask.objects.create(
            referral=Referral.objects.create(
                reference=f"RIV-RES-{n}",
                source="professional",
                summary="A concern.",
                received_at=datetime(2025, 10, 1, 9, tzinfo=london),
                decision_due_at=datetime(2025, 10, 2, 9, tzinfo=london),
            ),
            agency=agency,
            team=team,
            status=TaskStatus.COMPLETED,
            ack_due_at=done,
            due_at=done,
            completed_at=done,
            completed_by=worker,
        )
    return team


def _figure(key: str) -> dict:
    figures = publish.build_figures(publish.parse_quarter("2025Q4"))
    figure = next(f for f in figures if f.key == key)
    return {label: cells for label, cells in figure.row_pairs} | {"_headers": figure.headers}


def test_resourcing_figures_are_published_in_aggregate(db):
    """12 staff, 9 trained; in 2025Q4 8 tasks completed by a trained worker and 6 by an untrained one: counts of 5
    or more are shown unless one would reveal a small one by subtraction; shares are worked from shown counts."""
    _resourcing_world(staff=12, trained=9, completed_by_trained=8, completed_by_others=6)
    staff = _figure("resourcing_staff")
    assert staff["Staff in teams"] == [12]
    assert staff["without it"] == [FEWER]
    # 3 untrained would follow from 12 - 9, so the subtraction is closed: the trained count is withheld too.
    assert staff["with the current training their team requires"] == [WITHHELD]
    assert staff["Share with the current training their team requires"] == [publish.NOT_PUBLISHED]
    assert staff["Established posts"] == [6] and staff["Vacancies"] == [FEWER]
    assert staff["Open caseload per worker: median"] == ["0 cases"]
    assert staff["Tasks and cases with nobody allocated"] == [FEWER]
    assert staff["Days the oldest unallocated work has waited"] == [publish.NOT_PUBLISHED]
    done = _figure("resourcing_trained_completion")
    assert done["_headers"] == ["", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert done["Tasks completed"][-1] == 14
    assert done["by trained staff"][-1] == 8 and done["by others"][-1] == 6
    assert done["Share completed by trained staff"][-1] == "57%"
    assert (
        done["Tasks completed"][0] == FEWER
        and done["Share completed by trained staff"][0] == publish.NOT_PUBLISHED
    )


def test_resourcing_suppression_closes_every_subtraction(db):
    """With 7 staff of whom 3 are trained (and 4 not) every part is below 5, and the total, which would reveal
    the pair's sum, is withheld or shown only where neither part could be worked out; no share is published."""
    _resourcing_world(staff=7, trained=3, completed_by_trained=2, completed_by_others=9)
    staff = _figure("resourcing_staff")
    assert staff["with the current training their team requires"] == [FEWER]
    assert staff["without it"] == [FEWER]
    assert staff["Share with the current training their team requires"] == [publish.NOT_PUBLISHED]
    done = _figure("resourcing_trained_completion")
    # 2 by trained staff is hidden; 9 by others would give it away from the total of 11, so one more is withheld.
    assert done["by trained staff"][-1] == FEWER
    assert WITHHELD in (done["by others"][-1], done["Tasks completed"][-1])
    assert done["Share completed by trained staff"][-1] == publish.NOT_PUBLISHED


def test_without_a_resourcing_source_the_report_has_no_resourcing_figures(db, monkeypatch):
    """The statistics room builds its report alone when no source of resourcing figures is registered."""
    monkeypatch.setattr(publish, "_resourcing_source", None)
    keys = [f.key for f in publish.build_figures(publish.parse_quarter("2025Q4"))]
    assert "resourcing_staff" not in keys and "referrals_by_source" in keys
