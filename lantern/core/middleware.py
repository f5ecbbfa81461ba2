"""Request-scoped context for the audit log."""

import uuid

from lantern.core.context import RequestContext, request_context


def client_ip(request) -> str:
    """The client's address as seen by this server (a proxy must set REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Record the client address and a request id so audit events can say where an action came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with request_context(RequestContext(ip_address=client_ip(request), request_id=uuid.uuid4().hex, channel=channel)):
            return self.get_response(request)
