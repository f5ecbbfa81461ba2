"""Fast inserts: many rows for imports (COPY on PostgreSQL, executemany on SQLite, without model instances), and
new instances on the hot paths (`insert_instance`, `insert_together`).

`bulk_create` builds a model instance per row and compiles every value through the ORM, which costs more than
the insert itself when importing hundreds of thousands of rows. Here rows are plain dicts keyed by field
attribute name (`referral_id`, not `referral`); missing fields take their defaults. Nothing runs `save()`,
signals or validation: callers insert rows they have already checked, inside their own transaction.
"""

import functools
import json
import operator
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connections, models
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from lantern.core.crypto import EncryptedTextField

# Field types whose Python values the driver cannot take as they are: psycopg adapts dates, times and decimals
# itself (aware datetimes included), SQLite's driver needs Django's conversions; JSON always needs encoding, and
# a narrative always needs encrypting.
_NEEDS_PREP = {
    "postgresql": (models.JSONField, EncryptedTextField),
    "sqlite": (
        models.DateTimeField,
        models.DateField,
        models.TimeField,
        models.DecimalField,
        models.JSONField,
        models.UUIDField,
        models.DurationField,
        EncryptedTextField,
    ),
}


def _default(field: models.Field, now) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default():
        return field.get_default()
    return None if field.null else ("" if field.empty_strings_allowed else None)


def insert_rows(
    model: type[models.Model], rows: Iterable[Mapping[str, Any]], *, using: str = "default"
) -> int:
    """Insert `rows` into `model`'s table; the primary key is written only if the first row gives it."""
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[using]
    now = timezone.now()
    with_pk = model._meta.pk.attname in rows[0]
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    defaults = {f.attname: _default(f, now) for f in fields}
    prepared = [f for f in fields if isinstance(f, _NEEDS_PREP.get(connection.vendor, _NEEDS_PREP["sqlite"]))]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    pick = operator.itemgetter(*(f.attname for f in fields))  # fields in column order, in one C call per row
    values = []
    for row in rows:
        record = {**defaults, **row}
        for field in prepared:
            record[field.attname] = field.get_db_prep_save(record[field.attname], connection)
        values.append(pick(record) if len(fields) > 1 else (pick(record),))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)
    return len(values)


@functools.cache
def _insert_statement(model: type[models.Model], vendor: str, quote) -> tuple[str, tuple, tuple, tuple]:
    # The database numbers an auto-incrementing key; any other key (a UUID, say) is written as the instance has it.
    fields = tuple(
        f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, AutoFieldMixin))
    )
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
        f"RETURNING {quote(model._meta.pk.column)}"
    )
    prepared = tuple(f for f in fields if isinstance(f, _NEEDS_PREP.get(vendor, _NEEDS_PREP["sqlite"])))
    stamped = tuple(f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
    return sql, fields, prepared, stamped


def insert_instance(obj: models.Model, *, using: str = "default") -> models.Model:
    """Insert a new instance with one INSERT whose text is built once per model, and give it its primary key.

    For the hot paths that insert one row per request (an audit journal row, a queued task): `save()` compiles
    the statement afresh every time, which costs several times what the database spends on it. As with
    `insert_rows`, nothing runs `save()`, signals or validation.
    """
    connection = connections[using]
    sql, fields, prepared, stamped = _insert_statement(
        type(obj), connection.vendor, connection.ops.quote_name
    )
    for field in stamped:
        field.pre_save(obj, True)
    values = [getattr(obj, field.attname) for field in fields]
    if prepared:
        for index, field in enumerate(fields):
            if field in prepared:
                values[index] = field.get_db_prep_save(values[index], connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        setattr(obj, obj._meta.pk.attname, cursor.fetchone()[0])
    obj._state.adding = False
    obj._state.db = using
    return obj


def reserve_ids(model: type[models.Model], count: int, *, using: str = "default") -> list[int]:
    """`count` fresh primary-key values for `model`, to insert rows that others point at in the same batch.

    On SQLite the caller's transaction must hold the write lock (Lantern's transactions are IMMEDIATE), so no one
    else can take the same values before the rows are written.
    """
    if count < 1:
        return []
    connection = connections[using]
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # AUTOINCREMENT never reuses a key, even one whose row is gone: above both the highest row and the
        # highest key ever given.
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX({connection.ops.quote_name(column)}) FROM "
            f"{connection.ops.quote_name(table)}), 0), "
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        highest = cursor.fetchone()[0]
        return list(range(highest + 1, highest + 1 + count))


def _json_scalar(value: Any) -> str:
    """`default` for json.dumps: a driver-ready value JSON has no type for, as PostgreSQL's input reads it."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()  # full precision and the offset, unlike DjangoJSONEncoder
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    raise TypeError(f"{type(value).__name__} values cannot be written by insert_together")


@functools.cache
def _together_insert(
    model: type[models.Model], with_pk: bool, vendor: str, quote
) -> tuple[str, tuple, tuple]:
    """The INSERT for one model's rows in `insert_together`, its fields in column order, and its JSON fields."""
    fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    if vendor == "postgresql":
        sql = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s)"
    else:
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    return sql, fields, tuple(f for f in fields if isinstance(f, models.JSONField))


def _row_values(obj: models.Model, fields: tuple, json_fields: tuple, connection, *, as_json: bool) -> list:
    """`obj`'s values for `fields`, as `save()` would send them: `pre_save` (auto_now_add), then the field's own
    conversion; JSON fields as Django stores them (for PostgreSQL's recordset, decoded again into the row)."""
    values = []
    for field in fields:
        value = field.pre_save(obj, True)
        if as_json and field in json_fields:
            value = json.loads(json.dumps(field.get_prep_value(value), cls=field.encoder))
        else:
            value = field.get_db_prep_save(value, connection)
        values.append(value)
    return values


def insert_together(objects: Iterable[models.Model], *, using: str = "default") -> None:
    """Insert new instances of several models, as `save()` would write them, in as few statements as the database
    allows: one on PostgreSQL, one per model on SQLite. Call it inside a transaction.

    On PostgreSQL each model's rows travel as one JSON array, unpacked by `json_populate_recordset` in a
    data-modifying CTE of their own, so a referral with its mentions, its audit row and its queued matching costs
    one round trip; and the statement's text depends only on which models are present, never on how many rows
    each has, so the driver keeps it parsed and the server keeps it prepared (a statement with a placeholder per
    value was parsed afresh, on both sides, for every referral). On SQLite, an in-process library with no round
    trips to save, each model's rows go by `executemany` in the order the models first appear.
    Keys must be set beforehand where rows point at each other (foreign keys are checked at the end of the
    statement on PostgreSQL, at commit on SQLite). Every concrete field is written, so new fields with defaults
    need nothing here. An instance without a key is numbered by the database and does not learn its key.
    Nothing runs `save()`, signals or validation. See docs/decisions/0013-one-path-per-job.md.
    """
    objects = list(objects)
    if not objects:
        return
    connection = connections[using]
    recordset = connection.vendor == "postgresql"
    groups: dict[tuple, list] = {}
    for obj in objects:
        groups.setdefault((type(obj), obj.pk is not None), []).append(obj)
    statements = []
    for (model, with_pk), items in groups.items():
        sql, fields, json_fields = _together_insert(
            model, with_pk, connection.vendor, connection.ops.quote_name
        )
        rows = [_row_values(obj, fields, json_fields, connection, as_json=recordset) for obj in items]
        statements.append((sql, fields, rows))
    with connection.cursor() as cursor:
        if recordset:
            ctes = ", ".join(f"i{n} AS ({sql})" for n, (sql, _, _) in enumerate(statements[:-1]))
            params = [
                json.dumps(
                    [dict(zip((f.column for f in fields), row, strict=True)) for row in rows],
                    default=_json_scalar,
                )
                for _, fields, rows in statements
            ]
            last = statements[-1][0]
            cursor.execute(f"WITH {ctes} {last}" if ctes else last, params)
        else:
            for sql, _, rows in statements:
                cursor.executemany(sql, rows)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = using
