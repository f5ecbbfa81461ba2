"""Where the current request came from, for the audit log, without threading `request` through every service."""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    """The client address and request id of the request being served, if any."""

    ip_address: str = ""
    request_id: str = ""
    channel: str = "system"


# The default is shared by every context that sets none, which is safe because RequestContext is frozen.
NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("lantern_request_context", default=NO_REQUEST)


def current_request_context() -> RequestContext:
    """The context of the request being served, or an empty one for commands and the worker."""
    return _current.get()


@contextmanager
def request_context(context: RequestContext):
    """Set the request context for the duration of a block."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
