"""Errors that services raise for the interfaces (pages, API, commands) to show the user."""


class Invalid(Exception):
    """The request cannot be carried out as given; `fields` maps a field name to its messages."""

    status = 422
    code = "invalid"

    def __init__(self, detail: str, fields: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}

    @classmethod
    def field(cls, name: str, message: str) -> "Invalid":
        """An error about one field."""
        return cls(message, {name: [message]})


class Conflict(Invalid):
    """The record is not in a state that allows this (e.g. completing a task twice)."""

    status = 409
    code = "conflict"


class NotFound(Invalid):
    """A record the request refers to (by an id or a code in its body or query) does not exist, or the user may not
    see it: answered 404 naming the field, as an id in the path would be (decision 0022)."""

    status = 404
    code = "not_found"
