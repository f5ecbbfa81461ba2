"""`lantern retention_report`: figures on retention, for a records manager's report or a release note."""

import json

from django.core.management.base import BaseCommand

from lantern.governance.retention import records
from lantern.governance.retention.models import (
    DecisionKind,
    HoldStatus,
    LegalHold,
    RecordClass,
    RecordReview,
    RetentionDecision,
    ReviewState,
)


def figures() -> dict:
    """Records listed for review, reviewed (a decision taken), retained, disposed of, held, and still due."""
    decided = RetentionDecision.objects.filter(kind__in=[DecisionKind.RETAIN, DecisionKind.DISPOSE])
    due = list(RecordReview.objects.filter(state=ReviewState.DUE))
    blocked = 0
    for review in due:
        obj = records.load(review.record_class, review.object_id)
        if obj is not None and records.blockers(review.record_class, obj):
            blocked += 1
    return {
        "listed_for_review": RecordReview.objects.count(),
        "reviewed": decided.values("record_class", "object_id").distinct().count(),
        "retained": RecordReview.objects.filter(state=ReviewState.RETAINED).count(),
        "disposed": RecordReview.objects.filter(state=ReviewState.DISPOSED).count(),
        "held": LegalHold.objects.filter(status=HoldStatus.ACTIVE)
        .values("record_class", "object_id")
        .distinct()
        .count(),
        "due_now": len(due),
        "due_but_blocked": blocked,
        "by_class": {
            record_class: RecordReview.objects.filter(record_class=record_class).count()
            for record_class in RecordClass.values
        },
    }


class Command(BaseCommand):
    """Print the retention figures as a table, or as one JSON object with --json."""

    help = "Print retention figures: records listed for review, reviewed, retained, disposed of, held, still due."

    def add_arguments(self, parser):
        """--json for one JSON object."""
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of a table.")

    def handle(self, *args, **options):
        """Print the figures."""
        found = figures()
        if options["json"]:
            self.stdout.write(json.dumps(found, sort_keys=True))
            return
        rows = [
            ("Records listed for review", found["listed_for_review"]),
            ("Reviewed (retained or disposed of)", found["reviewed"]),
            ("Retained to a later review", found["retained"]),
            ("Disposed of", found["disposed"]),
            ("Under a legal hold", found["held"]),
            ("Due for review now", found["due_now"]),
            ("  of which blocked (hold, open record, review, complaint, request)", found["due_but_blocked"]),
        ]
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            self.stdout.write(f"{label.ljust(width)}  {value:>6,}")
