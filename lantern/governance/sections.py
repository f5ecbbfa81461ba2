"""The sections of the data protection view, defined in one place, in the order the page shows them.

Each section gives a table for a user: headings, rows (cells in words, and a link), how many there are in all, and
what to say when there are none. The view sits above the rooms it reads: retention's selectors, subject access's
requests due, case work's break-glass uses awaiting sign-off, and case work's and intelligence's sharing decisions,
by reference and agency only.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from lantern.casework import selectors as casework_selectors
from lantern.casework.models import InformationShare
from lantern.governance.retention import selectors
from lantern.governance.retention.models import RecordReview
from lantern.governance.subject_access import selectors as subject_access_selectors
from lantern.intel.items.models import Disclosure

ROWS = 10


@dataclass(frozen=True)
class Row:
    """One row of a section's table: its cells in order, and where it links (optional)."""

    cells: Sequence[str]
    url: str = ""


@dataclass(frozen=True)
class Table:
    """What one section shows."""

    headings: tuple[str, ...]
    rows: list[Row]
    total: int
    empty: str
    more_url: str = ""
    more_text: str = ""


@dataclass(frozen=True)
class Section:
    """A section of the view: its anchor, its heading, a sentence saying what it lists, and its table."""

    key: str
    title: str
    intro: str
    table: Callable[..., Table] = field(repr=False)


def _day(value) -> str:
    return (
        date_format(timezone.localtime(value) if hasattr(value, "tzinfo") else value, "j M Y")
        if value
        else ""
    )


def _record_url(row) -> str:
    return reverse("governance:retention_record", args=[row.record_class, row.object_id])


def records_due(user) -> Table:
    """Records whose retention review has come, oldest first."""
    queue = selectors.review_queue_for(user=user)
    rows: list[RecordReview] = list(queue[:ROWS])
    return Table(
        headings=("Reference", "Class", "Agency", "Review due"),
        rows=[
            Row(
                (
                    r.reference,
                    r.get_record_class_display(),
                    r.agency.name if r.agency_id else "",
                    _day(r.review_due),
                ),
                _record_url(r),
            )
            for r in rows
        ],
        total=queue.count(),
        empty="No records are due for review.",
        more_url=reverse("governance:retention_queue"),
        more_text="See the whole review queue",
    )


def holds(user) -> Table:
    """Legal holds in force."""
    found = selectors.holds_for(user=user)
    return Table(
        headings=("Reference", "Class", "Placed", "By"),
        rows=[
            Row(
                (h.reference, h.get_record_class_display(), _day(h.placed_at), h.placed_by.display_name),
                reverse("governance:retention_record", args=[h.record_class, h.object_id]),
            )
            for h in found[:ROWS]
        ],
        total=found.count(),
        empty="No legal holds are in force.",
        more_url=reverse("governance:retention_holds"),
        more_text="See every legal hold",
    )


def disposals(user) -> Table:
    """Records disposed of, newest first: which, when and by whom."""
    found = selectors.disposals_for(user=user)
    return Table(
        headings=("Reference", "Class", "Disposed of", "By"),
        rows=[
            Row(
                (d.reference, d.get_record_class_display(), _day(d.decided_at), d.decided_by.display_name),
                reverse("governance:retention_record", args=[d.record_class, d.object_id]),
            )
            for d in found[:ROWS]
        ],
        total=found.count(),
        empty="No records have been disposed of.",
    )


def sharing_decisions(user) -> Table:
    """Recent decisions to share or not to share, and intelligence disclosures: who, to whom, on what basis."""
    selectors.review_queue_for(user=user)  # the same refusal as every retention read
    shares = list(
        InformationShare.objects.select_related("from_agency", "to_agency", "case", "referral").order_by(
            "-decided_at", "-pk"
        )[:ROWS]
    )
    disclosures = list(
        Disclosure.objects.select_related("item", "recipient_agency").order_by("-disclosed_at", "-pk")[:ROWS]
    )
    rows = [
        (
            s.decided_at,
            Row(
                (
                    _day(s.decided_at),
                    (s.case.reference if s.case_id else s.referral.reference if s.referral_id else ""),
                    f"{s.from_agency.name} to {s.to_agency.name if s.to_agency_id else 'a recipient outside'}",
                    "Shared" if s.shared else "Not shared",
                    s.get_lawful_basis_display() if s.lawful_basis else "",
                )
            ),
        )
        for s in shares
    ] + [
        (
            d.disclosed_at,
            Row(
                (
                    _day(d.disclosed_at),
                    d.item.reference,
                    f"Intelligence disclosed to {d.recipient_agency.name if d.recipient_agency_id else 'a recipient'}",
                    "Shared",
                    "Handling conditions acknowledged" if d.conditions_acknowledged else "",
                )
            ),
        )
        for d in disclosures
    ]
    rows.sort(key=lambda pair: pair[0], reverse=True)
    return Table(
        headings=("Decided", "Record", "From and to", "Decision", "Basis"),
        rows=[row for _, row in rows[:ROWS]],
        total=InformationShare.objects.count() + Disclosure.objects.count(),
        empty="No sharing decisions have been recorded.",
    )


def requests_due(user) -> Table:
    """Subject access requests due within ten days or overdue, soonest first (by reference: the subject's name is on
    the request's own page)."""
    due = subject_access_selectors.requests_due(user)
    return Table(
        headings=("Request", "Status", "Due"),
        rows=[
            Row(
                (
                    r.reference,
                    r.get_status_display(),
                    _day(r.deadline) + (" (overdue)" if r.is_overdue else ""),
                ),
                reverse("governance:subject_access_detail", args=[r.pk]),
            )
            for r in due[:ROWS]
        ],
        total=len(due),
        empty="No subject access request is due in the next ten days.",
        more_url=reverse("governance:subject_access_list"),
        more_text="See every subject access request",
    )


def break_glass(user) -> Table:
    """Uses of break glass awaiting sign-off, oldest first, with the reason given (empty for a records manager, who
    does not sign them off)."""
    uses = casework_selectors.break_glass_uses_for_review(user)
    return Table(
        headings=("Opened", "Record", "Opened by", "Reason given"),
        rows=[
            Row(
                (_day(u.opened_at), u.case.reference, u.user.display_name, u.reason),
                reverse("casework:break_glass_sign_off", args=[u.pk]),
            )
            for u in uses[:ROWS]
        ],
        total=uses.count(),
        empty="No use of break glass is awaiting sign-off.",
        more_url=reverse("casework:break_glass_review"),
        more_text="See the break-glass review list",
    )


SECTIONS: tuple[Section, ...] = (
    Section(
        "requests-due",
        "Subject access requests due",
        "Requests for a person's own records, with the date each must be answered by.",
        requests_due,
    ),
    Section(
        "records-due",
        "Records due for review",
        "Records whose retention period has ended: retain each with a reason, hold it, or dispose of it.",
        records_due,
    ),
    Section(
        "holds", "Legal holds", "Records that must not be disposed of while the hold is in force.", holds
    ),
    Section(
        "break-glass",
        "Break-glass uses",
        "Times someone opened a restricted record they were not named on, with the reason they gave.",
        break_glass,
    ),
    Section(
        "sharing",
        "Sharing decisions",
        "The latest decisions to share information with another agency, or not to, and intelligence disclosures.",
        sharing_decisions,
    ),
    Section("disposals", "Disposal history", "Records disposed of under the retention schedule.", disposals),
)
