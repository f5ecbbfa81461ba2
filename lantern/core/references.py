"""Human references such as RIV-2026-000123, issued from locked counters so they never repeat."""

from django.conf import settings
from django.db import IntegrityError, transaction

from lantern.core.models import Counter


def next_number(name: str) -> int:
    """The next value of the named counter, inside the caller's transaction."""
    if not Counter.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Counter.objects.create(name=name)
        except IntegrityError:
            pass  # another request created it first
    with transaction.atomic():
        counter = Counter.objects.select_for_update().get(name=name)
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value


def referral_reference(year: int) -> str:
    """The next referral reference for `year`, e.g. RIV-2026-000123."""
    return f"{settings.REFERENCE_PREFIX}-{year}-{next_number(f'referral-{year}'):06d}"


def case_reference() -> str:
    """The next case reference, e.g. RIV-C-000042."""
    return f"{settings.REFERENCE_PREFIX}-C-{next_number('case'):06d}"
