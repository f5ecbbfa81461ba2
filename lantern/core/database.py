"""What PostgreSQL and SQLite do differently, each behind one small named function that works on both.

Lantern's services have one body for both databases. Where PostgreSQL has a faster or safer primitive, the
difference sits here (or in `core.bulk` and `core.references`, for writes and counters), with a test on both
databases; docs/decisions/0013-one-path-per-job.md lists every such place and why it exists.
"""

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Rows fetched at a time where the rows are read through the cursor.
CHUNK = 200_000


def is_postgresql(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database behind `using` is PostgreSQL (else it is SQLite)."""
    return connections[using].vendor == "postgresql"


@contextlib.contextmanager
def streaming_reads(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A block in which a long read (`.iterator()`) streams its rows without holding anything for long.

    On PostgreSQL a transaction lets the read use a plain server-side cursor rather than one WITH HOLD, which
    would copy the whole result first. On SQLite a transaction would take the write lock (Lantern's are
    IMMEDIATE), and reads in autocommit stream anyway.
    """
    with transaction.atomic(using=using) if is_postgresql(using) else contextlib.nullcontext():
        yield


def limit_lock_wait(seconds: float, *, durable: bool = True, using: str = DEFAULT_DB_ALIAS) -> None:
    """In the current transaction, give up on a row lock after `seconds`; unless `durable`, let the commit return
    before it is flushed to disk. PostgreSQL only: on SQLite the connection's busy timeout already bounds every
    wait for the write lock, and its WAL mode's NORMAL synchronisation already flushes only at checkpoints.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true), set_config('synchronous_commit', %s, true)",
            [f"{int(seconds * 1000)}ms", "on" if durable else "off"],
        )


def vacuum(table: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Reclaim a churning table's dead rows now, and refresh its statistics; whether anything ran.

    PostgreSQL only, and never inside a transaction (VACUUM cannot run in one). SQLite reuses a deleted row's
    space by itself, and its VACUUM rewrites the whole database file.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
    return True


def read_int64_rows(
    sql: str, params: Sequence = (), *, width: int, using: str = DEFAULT_DB_ALIAS
) -> np.ndarray:
    """The rows of `sql`, whose `width` columns are all non-null BIGINTs, as an int64 array of shape (n, width).

    On PostgreSQL a binary COPY straight into the array: for millions of rows (the association graph's links) it
    is several times faster than fetching tuples. Elsewhere the rows are fetched in chunks.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _copy_int64_rows(connection, sql, params, width)
    parts: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            parts.append(np.array(rows, dtype=np.int64).reshape(-1, width))
    return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)


def _copy_int64_rows(connection, sql: str, params: Sequence, width: int) -> np.ndarray:
    # Binary COPY: a 19-byte header, then per row a field count (2 bytes) and each field as its length (4 bytes)
    # and a big-endian 8-byte integer, then a 2-byte trailer.
    row = np.dtype(
        [("fields", ">i2")] + [f for n in range(width) for f in ((f"len{n}", ">i4"), (f"v{n}", ">i8"))]
    )
    connection.ensure_connection()
    buffer = bytearray()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params or None) as copy,
    ):
        for block in copy:
            buffer += block
    rows = np.frombuffer(memoryview(buffer)[19:-2], dtype=row)
    if not (rows["fields"] == width).all() or any((rows[f"len{n}"] != 8).any() for n in range(width)):
        raise ValueError(f"Every row must have {width} non-null BIGINT columns")
    return np.stack([rows[f"v{n}"] for n in range(width)], axis=1).astype(np.int64).reshape(-1, width)


# PostgreSQL's SQLSTATE classes and codes that mean the server is away, not that the statement was wrong:
# 08 connection exceptions; 57P01-57P03 the server shutting down, crashed, or not yet accepting connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
# SQLite's equivalents: the file is locked past the busy timeout, or cannot be opened.
_UNAVAILABLE_SQLITE_MESSAGES = ("database is locked", "unable to open database file", "disk i/o error")


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached for now (down, restarting, or locked), so the request
    may be tried again shortly, rather than that the statement or the data was wrong."""
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, InterfaceError):
        return True  # the connection was closed under the request
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    if type(cause).__module__.startswith("psycopg"):
        return True  # a psycopg error with no SQLSTATE never reached the server: connection refused or lost
    message = str(exc).lower()
    return any(text in message for text in _UNAVAILABLE_SQLITE_MESSAGES)
