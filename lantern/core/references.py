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


def reserve_numbers(name: str, count: int) -> int:
    """Reserve `count` consecutive values of the named counter at once (for bulk imports); returns the first."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        first = next_number(name)  # locks the counter row until this block ends
        Counter.objects.filter(name=name).update(value=first + count - 1)
    return first


def referral_reference_for(year: int, number: int) -> str:
    """The referral reference with a given number, e.g. RIV-2026-000123 (numbers from `reserve_numbers`)."""
    return f"{settings.REFERENCE_PREFIX}-{year}-{number:06d}"


def referral_reference(year: int) -> str:
    """The next referral reference for `year`, e.g. RIV-2026-000123."""
    return f"{settings.REFERENCE_PREFIX}-{year}-{next_number(f'referral-{year}'):06d}"


def case_reference() -> str:
    """The next case reference, e.g. RIV-C-000042."""
    return f"{settings.REFERENCE_PREFIX}-C-{next_number('case'):06d}"
