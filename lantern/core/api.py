"""The API's one error shape: what every app's endpoints declare and raise (`lantern.api` answers with it).

Errors are always JSON `{"error": <code>, "detail": <text>, "fields": {<field>: [<message>, ...]}}`. The
NinjaAPI object and its bearer-token authentication stay in `lantern.api`, above the apps, since they need
accounts; the apps' routers need only this shape.
"""

from ninja import Schema
from ninja.errors import HttpError


class ErrorOut(Schema):
    """The shape of every error answer."""

    error: str
    detail: str
    fields: dict[str, list[str]] = {}


class ApiError(HttpError):
    """An error with a code, a message and optional per-field messages."""

    def __init__(self, status: int, error: str, detail: str, fields: dict[str, list[str]] | None = None):
        super().__init__(status, detail)
        self.error = error
        self.detail = detail
        self.fields = fields or {}
