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


API_ERROR_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthenticated", "A valid bearer token is required."),
    403: ("forbidden", "You do not have permission to do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("too_large", "The request is too large."),
    500: ("server_error", "Something went wrong; it has been logged."),
}


class ApiErrorShapeMiddleware:
    """Under /api/, answer every error in the one JSON shape, even those raised before the API's own handlers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from django.http import JsonResponse

            error, detail = API_ERROR_CODES.get(response.status_code, ("error", "The request failed."))
            shaped = JsonResponse({"error": error, "detail": detail, "fields": {}}, status=response.status_code)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
