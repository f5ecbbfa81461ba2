"""Background tasks of the intel app. Thin: they take ids, fetch again and call the service."""

from django_tasks import task


@task()
def match_report(*, referral_id: int | None = None, item_id: int | None = None) -> None:
    """Resolve a committed referral's or intelligence item's mentions and raise any link alerts."""
    from lantern.intake.models import Referral
    from lantern.intel.linking.realtime import report_received
    from lantern.intel.models import IntelligenceItem

    referral = Referral.objects.filter(pk=referral_id).first() if referral_id else None
    item = IntelligenceItem.objects.filter(pk=item_id).first() if item_id else None
    if referral is not None or item is not None:
        report_received(referral=referral, item=item)
