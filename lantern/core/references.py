"""Human references such as RIV-2026-000123, issued from named counters so that they never repeat.

On PostgreSQL each counter is a sequence of its own (`nextval` takes no row lock, so referrals created at the
same time do not wait for one another's commits); a number taken by a transaction that then rolls back is not
used again, so references may have gaps but never repeat. On SQLite, whose writers take turns anyway, a counter
is a `Counter` row, advanced by one upsert. See docs/decisions/0009-reference-numbers.md.
"""

import hashlib
import re

from django.conf import settings
from django.db import IntegrityError, ProgrammingError, connection, models, transaction

from lantern.core.bulk import reserve_ids
from lantern.core.models import Counter


def sequence_name(name: str) -> str:
    """The PostgreSQL sequence behind a counter: "referral-2026" → lantern_counter_referral_2026_<hash>."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:30]
    return f"lantern_counter_{slug}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _create_sequence(name: str, sequence: str) -> None:
    """Create the counter's sequence, continuing from its `Counter` row if it has one (numbers issued before)."""
    start = (Counter.objects.filter(name=name).values_list("value", flat=True).first() or 0) + 1
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: losing a race spoils nothing
            cursor.execute(f"CREATE SEQUENCE {connection.ops.quote_name(sequence)} START WITH {int(start)}")
    except (IntegrityError, ProgrammingError):
        pass  # another transaction created it first and has committed (CREATE waits for it to end)


def _nextval(name: str) -> int:
    """`nextval` of the counter's sequence, creating the sequence the first time."""
    sequence = sequence_name(name)
    with connection.cursor() as cursor:
        # to_regclass gives NULL for a sequence that does not exist, and nextval(NULL) is NULL: one statement
        # either way, and no error to spoil the caller's transaction.
        cursor.execute("SELECT nextval(to_regclass(%s))", [sequence])
        value = cursor.fetchone()[0]
        if value is None:
            _create_sequence(name, sequence)
            cursor.execute("SELECT nextval(%s)", [sequence])
            value = cursor.fetchone()[0]
    return value


def _advance_row(name: str, count: int) -> int:
    """Advance the counter's row by `count` in one statement (creating it at need); returns its new value."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Counter._meta.db_table} (name, value) VALUES (%s, %s) "  # noqa: S608 - the model's table; values are parameters
            f"ON CONFLICT (name) DO UPDATE SET value = {Counter._meta.db_table}.value + excluded.value "
            "RETURNING value",
            [name, count],
        )
        return cursor.fetchone()[0]


def next_number(name: str) -> int:
    """The next value of the named counter. Never repeats; on PostgreSQL, a rolled-back caller leaves a gap."""
    if connection.vendor == "postgresql":
        return _nextval(name)
    return _advance_row(name, 1)


def next_number_and_key(name: str, model: type[models.Model]) -> tuple[int, int]:
    """The named counter's next value and a fresh primary key for a new `model` row, to write it in one statement.

    On PostgreSQL both come from sequences in one round trip (a new referral is the hot path); on SQLite, inside
    the caller's transaction, which holds the write lock, from the counter's row and the table's highest key.
    """
    if connection.vendor != "postgresql":
        return next_number(name), reserve_ids(model, 1)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(to_regclass(%s)), nextval(pg_get_serial_sequence(%s, %s))",
            [sequence_name(name), connection.ops.quote_name(model._meta.db_table), model._meta.pk.column],
        )
        number, key = cursor.fetchone()
    if number is None:  # the counter's first use: its sequence is created on the way
        number = next_number(name)
    return number, key


def reserve_numbers(name: str, count: int) -> int:
    """Reserve `count` consecutive values of the named counter at once (for bulk imports); returns the first.

    On PostgreSQL, `ALTER SEQUENCE` holds off every other `nextval` on that sequence until this block commits,
    so nobody can take a number inside the reserved block.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if connection.vendor != "postgresql":
        with transaction.atomic():
            return _advance_row(name, count) - count + 1
    sequence = sequence_name(name)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NULL", [sequence])
        if cursor.fetchone()[0]:
            _create_sequence(name, sequence)
        # The lock that holds off nextval until this transaction ends; the increment itself stays 1.
        cursor.execute(f"ALTER SEQUENCE {connection.ops.quote_name(sequence)} INCREMENT BY 1")
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = cursor.fetchone()[0]
        if count > 1:
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
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
