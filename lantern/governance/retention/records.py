"""The records the schedule covers: how each class is found, when its review falls, and what stops its disposal.

Retention sits above every room whose records it keeps, so it reads their models directly. Each record is named by
its class and key (`RecordRef`); only its reference and agency leave this module, never its content.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from lantern.casework.models import Case, CaseKind, CaseStatus
from lantern.governance.retention import hooks
from lantern.governance.retention.models import HoldStatus, LegalHold, RecordClass
from lantern.governance.retention.schedule import rule_for
from lantern.intake.models import Referral, ReferralStatus
from lantern.intel.items.models import IntelligenceItem
from lantern.oversight.complaints.models import Complaint, ComplaintStatus, ConductMatter, ConductStatus
from lantern.oversight.reviews.models import CaseAuditItem, EvidenceLink, Review, ReviewStatus

MODELS = {
    RecordClass.REFERRAL: Referral,
    RecordClass.CASE: Case,
    RecordClass.INTELLIGENCE_ITEM: IntelligenceItem,
    RecordClass.COMPLAINT: Complaint,
    RecordClass.CONDUCT_MATTER: ConductMatter,
}
CLOSED_REFERRAL = (ReferralStatus.CLOSED, ReferralStatus.NO_FURTHER_ACTION)


@dataclass(frozen=True)
class RecordRef:
    """A record named without its content: its class, key, reference and agency, and its review date."""

    record_class: str
    object_id: int
    reference: str
    agency_id: int | None
    review_date: date | None


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a year that has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def _start_of_day_after(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def load(record_class: str, object_id: int):
    """The record itself, or None if there is no such record."""
    model = MODELS.get(record_class)
    if model is None:
        return None
    return model.objects.filter(pk=object_id).first()


def _agency_id(record_class: str, obj) -> int | None:
    if record_class == RecordClass.REFERRAL:
        return obj.referrer_agency_id
    if record_class == RecordClass.CASE:
        return obj.lead_agency_id
    return obj.agency_id


def review_date(record_class: str, obj) -> date | None:
    """When the schedule says the record is due for review, or None while it is still open (no date runs yet)."""
    years = rule_for(record_class).years
    if record_class == RecordClass.REFERRAL:
        return add_years(_day(obj.closed_at or obj.received_at), years)
    if record_class == RecordClass.CASE:
        if obj.kind == CaseKind.CHILD and obj.date_of_birth:
            return add_years(obj.date_of_birth, years)
        return add_years(_day(obj.closed_at), years) if obj.closed_at else None
    if record_class == RecordClass.INTELLIGENCE_ITEM:
        return add_years(_day(obj.submitted_at), years)
    if record_class == RecordClass.COMPLAINT:
        return add_years(_day(obj.closed_at), years) if obj.closed_at else None
    if record_class == RecordClass.CONDUCT_MATTER:
        return add_years(_day(obj.recorded_at), years) if obj.status == ConductStatus.CONCLUDED else None
    raise KeyError(record_class)


def ref(record_class: str, obj) -> RecordRef:
    """The record named without its content."""
    return RecordRef(
        record_class=record_class,
        object_id=obj.pk,
        reference=obj.reference,
        agency_id=_agency_id(record_class, obj),
        review_date=review_date(record_class, obj),
    )


def _candidates(record_class: str, today: date):
    """The records of a class whose review date may have come, narrowed in the database where it can be."""
    cutoff = _start_of_day_after(add_years(today, -rule_for(record_class).years))
    if record_class == RecordClass.REFERRAL:
        return Referral.objects.filter(
            Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, received_at__lt=cutoff)
        )
    if record_class == RecordClass.CASE:
        # A child's case falls due from the date of birth, so it is checked in Python: cases are few.
        return Case.objects.filter(Q(date_of_birth__isnull=False) | Q(closed_at__lt=cutoff))
    if record_class == RecordClass.INTELLIGENCE_ITEM:
        return IntelligenceItem.objects.filter(submitted_at__lt=cutoff)
    if record_class == RecordClass.COMPLAINT:
        return Complaint.objects.filter(closed_at__lt=cutoff)
    return ConductMatter.objects.filter(status=ConductStatus.CONCLUDED, recorded_at__lt=cutoff)


def falling_due(*, today: date) -> Iterator[RecordRef]:
    """Every record whose review date, by the schedule, is today or earlier."""
    for record_class in RecordClass.values:
        for obj in _candidates(record_class, today).order_by("pk").iterator(chunk_size=2000):
            found = ref(record_class, obj)
            if found.review_date is not None and found.review_date <= today:
                yield found


# What stops a disposal
def active_holds(record_class: str, object_id: int):
    """The legal holds in force on the record."""
    return LegalHold.objects.filter(record_class=record_class, object_id=object_id, status=HoldStatus.ACTIVE)


def _still_open(record_class: str, obj) -> str:
    if record_class == RecordClass.REFERRAL and obj.status not in CLOSED_REFERRAL:
        return "The referral is still open."
    if record_class == RecordClass.CASE and obj.status != CaseStatus.CLOSED:
        return "The case is still open."
    if record_class == RecordClass.COMPLAINT and obj.status != ComplaintStatus.CLOSED:
        return "The complaint is still open."
    if record_class == RecordClass.CONDUCT_MATTER and obj.status != ConductStatus.CONCLUDED:
        return "The conduct matter has not concluded."
    return ""


def _referral_ids(record_class: str, obj) -> list[int]:
    if record_class == RecordClass.REFERRAL:
        return [obj.pk]
    if record_class == RecordClass.CASE:
        return list(obj.referrals.values_list("pk", flat=True))
    return []


def _under_open_review(record_class: str, obj) -> bool:
    evidence = EvidenceLink.objects.filter(allegation__review__status=ReviewStatus.OPEN)
    referral_ids = _referral_ids(record_class, obj)
    if record_class == RecordClass.INTELLIGENCE_ITEM:
        return evidence.filter(intelligence_item=obj).exists()
    if (
        referral_ids
        and evidence.filter(
            Q(referral_id__in=referral_ids)
            | Q(task__referral_id__in=referral_ids)
            | Q(escalation__referral_id__in=referral_ids)
        ).exists()
    ):
        return True
    case_ids = [obj.pk] if record_class == RecordClass.CASE else []
    if record_class == RecordClass.REFERRAL:
        case_ids = list(obj.cases.values_list("pk", flat=True))
    if not case_ids:
        return False
    return (
        Review.objects.filter(status=ReviewStatus.OPEN, scope_cases__in=case_ids).exists()
        or CaseAuditItem.objects.filter(
            audit__review__status=ReviewStatus.OPEN, case_id__in=case_ids
        ).exists()
    )


def _open_complaint_or_conduct(record_class: str, obj) -> bool:
    open_complaints = Complaint.objects.exclude(status=ComplaintStatus.CLOSED)
    open_matters = ConductMatter.objects.exclude(status=ConductStatus.CONCLUDED)
    if record_class == RecordClass.COMPLAINT:
        return open_matters.filter(complaint=obj).exists()
    if record_class == RecordClass.CONDUCT_MATTER:
        return obj.complaint_id is not None and open_complaints.filter(pk=obj.complaint_id).exists()
    referral_ids = _referral_ids(record_class, obj)
    if not referral_ids:
        return False
    about = Q(referrals__in=referral_ids) | Q(tasks__referral_id__in=referral_ids)
    if open_complaints.filter(about).exists():
        return True
    return open_matters.filter(
        Q(complaint__referrals__in=referral_ids) | Q(complaint__tasks__referral_id__in=referral_ids)
    ).exists()


def blockers(record_class: str, obj) -> list[str]:
    """Why the record must not be disposed of now, in words; empty when a records manager may dispose of it."""
    reasons = []
    if active_holds(record_class, obj.pk).exists():
        reasons.append("A legal hold is in force on the record.")
    still_open = _still_open(record_class, obj)
    if still_open:
        reasons.append(still_open)
    if _under_open_review(record_class, obj):
        reasons.append("An open independent review covers the record.")
    if _open_complaint_or_conduct(record_class, obj):
        reasons.append("An open complaint or conduct matter concerns the record.")
    reasons.extend(hooks.registered_blockers(record_class=record_class, object_id=obj.pk))
    return reasons
