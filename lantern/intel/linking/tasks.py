"""Background tasks of the intel app. Thin: they take ids, fetch again and call the service."""

from django_tasks import task


@task()
def match_report(*, referral_id: int | None = None, item_id: int | None = None) -> None:
    """Resolve a committed referral's or intelligence item's mentions and raise any link alerts."""
    from lantern.intel.linking.realtime import report_received

    referral = _report("referral", referral_id)
    item = _report("item", item_id)
    if referral is not None or item is not None:
        report_received(referral=referral, item=item)


def _report(field: str, pk: int | None):
    """The referral or item with this id, or None. Its model is the one a mention's `field` points to: linking sits
    below intake and items, so it names their models only as strings and never imports them."""
    from lantern.intel.linking.models import PersonMention

    if not pk:
        return None
    return PersonMention._meta.get_field(field).related_model.objects.filter(pk=pk).first()
