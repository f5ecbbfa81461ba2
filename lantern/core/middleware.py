"""Request-scoped context for the audit log, the API's edge (one error shape, no NUL characters), and the
browser headers Django's SecurityMiddleware does not send."""

import contextlib
import json
import logging
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from lantern.core.context import RequestContext, request_context

logger = logging.getLogger("lantern.core")


def client_ip(request) -> str:
    """The client's address as seen by this server (a proxy must set REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Record the client address and a request id so audit events can say where an action came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        with request_context(
            RequestContext(ip_address=client_ip(request), request_id=uuid.uuid4().hex, channel=channel)
        ):
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
            shaped = JsonResponse(
                {"error": error, "detail": detail, "fields": {}}, status=response.status_code
            )
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


NUL_MESSAGE = "Must not contain NUL characters (\\u0000)"


def _nul_paths(value, path: tuple = ()):
    """The dotted paths in parsed JSON at which a key or a string holds a NUL character."""
    if isinstance(value, str):
        if "\x00" in value:
            yield ".".join(map(str, path)) or "__all__"
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield ".".join(map(str, (*path, key)))
            else:
                yield from _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, (*path, index))


class ApiNulCharacterMiddleware:
    """Under /api/, refuse a NUL character in a JSON body or a query string: 422 naming the fields.

    PostgreSQL cannot store NUL in text, so such a value would otherwise fail at the database as a server error.
    Forms need nothing: Django's form fields refuse NUL themselves. A JSON body can carry NUL only as the escape
    `\\u0000`, so bodies without that text (nearly all) cost one search.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            fields = [
                f"query.{key}"
                for key, values in request.GET.lists()
                if "\x00" in key or any("\x00" in v for v in values)
            ]
            try:
                body = request.body
            except RequestDataTooBig:
                body = b""  # the API answers 413 itself
            if b"\\u0000" in body:
                with contextlib.suppress(ValueError):  # not JSON: the API answers that itself
                    fields.extend(_nul_paths(json.loads(body)))
            if fields:
                from django.http import JsonResponse

                return JsonResponse(
                    {
                        "error": "invalid",
                        "detail": "The request has errors; see fields.",
                        "fields": {field: [NUL_MESSAGE] for field in fields},
                    },
                    status=422,
                )
        return self.get_response(request)


def permissions_policy(features: dict[str, list[str]]) -> str:
    """The Permissions-Policy header for {feature: allow list}: `camera=()` refuses a feature everywhere,
    `fullscreen=(self)` allows it to the page's own origin."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in features.items())


class SecurityHeadersMiddleware:
    """Send Permissions-Policy (settings.PERMISSIONS_POLICY) and the Reporting-Endpoints header that names where
    browsers send Content-Security-Policy violation reports (the policy's `report-to csp`)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = permissions_policy(settings.PERMISSIONS_POLICY)
        self.reporting_endpoints = f'csp="{settings.CSP_REPORT_PATH}"'

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        # A relative URL is resolved against the page's own (Reporting API, section 3.3), so no Host header is
        # trusted to build it.
        response.headers.setdefault("Reporting-Endpoints", self.reporting_endpoints)
        return response


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After, not 500, when a view finds the database unreachable (down or restarting).

    The transaction the request was in has rolled back, so nothing was half written and the request can be sent
    again (with its Idempotency-Key, an API write is still done once). Errors raised before the view (loading the
    session, say) reach `core.errors.server_error`, which answers the same way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        """The 503 for a database that cannot be reached; anything else goes on to Django's handling."""
        from lantern.core.database import is_database_unavailable
        from lantern.core.errors import database_unavailable

        if is_database_unavailable(exception):
            logger.warning("Database unavailable: %s %s: %s", request.method, request.path, exception)
            return database_unavailable(request)
        return None
