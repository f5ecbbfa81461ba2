"""The API's one error shape: what every app's endpoints declare and raise (`lantern.api` answers with it).

Errors are always JSON `{"error": <code>, "detail": <text>, "fields": {<field>: [<message>, ...]}}`. The
NinjaAPI object and its bearer-token authentication stay in `lantern.api`, above the apps, since they need
accounts; the apps' routers need only this shape.
"""

import re
from datetime import date, datetime
from typing import Annotated

from ninja import Field, Schema
from ninja.errors import HttpError
from pydantic import BeforeValidator

# The largest `offset` a list accepts: far beyond any list Lantern holds, and well inside the 64-bit integers a
# database can take, so that a huge offset is a 422 rather than a query the database cannot run (a 500).
MAX_OFFSET = 10_000_000


# The largest id a client may send: a 64-bit database integer, which every id column is (BigAutoField). Beyond it a
# query cannot be run at all, so a larger id is a 422 rather than a server error.
MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A record's id.")]
"""A record's id as a client sends it, in a path, a query or a body (lists of ids included): 1 to `MAX_ID`."""


def _whole_number(value):
    """A float with no fraction as the integer it is (JSON Schema calls 20.0 an integer); anything else as sent."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole_number(ge: int, le: int):
    """A count or an age from `ge` to `le` as a client sends it: a JSON integer, 20.0 included as JSON Schema's
    `integer` does, but never `true`, `false` or text (which pydantic would otherwise read as a number). The bounds
    sit with the integer, before the conversion, so that the document states them as `minimum` and `maximum`."""
    return Annotated[int, Field(strict=True, ge=ge, le=le), BeforeValidator(_whole_number)]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_only(value):
    """Refuse what pydantic would otherwise read as a date: a number (seconds since 1970), or text in another form."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
"""A date as a client sends it: YYYY-MM-DD only, as the document's `format: date` says."""


_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*")


def _iso_datetime_only(value):
    """Refuse a number (which pydantic would read as seconds since 1970) or text not starting as ISO 8601 does."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        raise ValueError("Enter a date and time as YYYY-MM-DDTHH:MM, with a time zone.")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime_only)]
"""A moment as a client sends it: ISO 8601 text only, as the document's `format: date-time` says."""


def offset_field():
    """The `offset` of a paged list: 0 to `MAX_OFFSET`, stated in the OpenAPI document."""
    return Field(0, ge=0, le=MAX_OFFSET, description=f"Items to skip, from 0 to {MAX_OFFSET:,}.")


class ErrorOut(Schema):
    """The shape of every error answer."""

    error: str
    detail: str
    fields: dict[str, list[str]] = {}


def not_found(field: str, message: str) -> "ApiError":
    """A reference in a body or a query to a record that does not exist or that the user may not see: 404 naming
    the field, the same answer as an id in the path that names no such record (decision 0022)."""
    return ApiError(404, "not_found", message, {field: [message]})


def conflict(field: str, message: str) -> "ApiError":
    """A request the document allows that conflicts with what is already recorded: 409 naming the field."""
    return ApiError(409, "conflict", message, {field: [message]})


class ApiError(HttpError):
    """An error with a code, a message and optional per-field messages."""

    def __init__(self, status: int, error: str, detail: str, fields: dict[str, list[str]] | None = None):
        super().__init__(status, detail)
        self.error = error
        self.detail = detail
        self.fields = fields or {}
