"""`lantern.core.database`: each place where PostgreSQL and SQLite differ gives the same answer on both."""

import numpy as np
import pytest
from django.db import connection, transaction

from lantern.core import database
from lantern.core.models import Counter

pytestmark = pytest.mark.django_db

TABLE = Counter._meta.db_table


def _counters(*values: int) -> None:
    Counter.objects.bulk_create(Counter(name=f"test-{n}", value=v) for n, v in enumerate(values))


def test_int64_rows_are_read_whole_with_and_without_parameters():
    """The rows of a query of BIGINT columns come back as an int64 array, values beyond 32 bits included."""
    _counters(1, 2**40, 3)
    sql = f"SELECT CAST(value AS BIGINT), CAST(value AS BIGINT) - 5 FROM {TABLE}"  # noqa: S608 - a table name from this test
    rows = database.read_int64_rows(f"{sql} ORDER BY value", width=2)
    assert rows.dtype == np.int64 and rows.tolist() == [[1, -4], [3, -2], [2**40, 2**40 - 5]]
    above = database.read_int64_rows(f"{sql} WHERE value > %s ORDER BY value", [2], width=2)
    assert above.tolist() == [[3, -2], [2**40, 2**40 - 5]]


def test_no_rows_is_an_empty_array_of_the_right_width():
    """A query with no rows gives shape (0, width), not an error."""
    rows = database.read_int64_rows(f"SELECT CAST(value AS BIGINT) FROM {TABLE}", width=1)  # noqa: S608 - a table name from this test
    assert rows.shape == (0, 1)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only the binary COPY can tell a column's width"
)
def test_a_column_that_is_not_a_bigint_is_refused():
    """A 4-byte integer column would be misread by the binary COPY's layout, so it is an error, not garbage."""
    _counters(5)
    with pytest.raises(ValueError):
        database.read_int64_rows(f"SELECT CAST(value AS INTEGER) FROM {TABLE}", width=1)  # noqa: S608 - a table name from this test


def test_streaming_reads_take_no_write_lock_on_sqlite_and_a_transaction_on_postgresql():
    """Inside the block, PostgreSQL is in a transaction (for a plain server-side cursor); SQLite is not."""
    outside = connection.in_atomic_block
    with database.streaming_reads():
        assert connection.in_atomic_block is (outside or connection.vendor == "postgresql")
        assert list(Counter.objects.iterator(chunk_size=2)) == []


def test_limiting_the_lock_wait_sets_it_for_the_transaction_only():
    """On PostgreSQL the lock timeout and commit durability apply inside the transaction; on SQLite, nothing."""
    with transaction.atomic():
        database.limit_lock_wait(1.5, durable=False)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('lock_timeout'), current_setting('synchronous_commit')"
                )
                assert cursor.fetchone() == ("1500ms", "off")


@pytest.mark.django_db(transaction=True)
def test_vacuum_runs_outside_a_transaction_on_postgresql_only():
    """VACUUM runs on PostgreSQL in autocommit; inside a transaction, and on SQLite, it is skipped."""
    assert database.vacuum(TABLE) is (connection.vendor == "postgresql")
    with transaction.atomic():
        assert database.vacuum(TABLE) is False
