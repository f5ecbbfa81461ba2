"""Error pages: plain English, no stack traces, JSON under /api/."""

import sys

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from lantern.core.database import is_database_unavailable

# Seconds a client is asked to wait before trying again while the database is away (a restart takes seconds).
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DETAIL = "The service cannot reach its database just now. Try again in a few seconds."


def _json_or_page(request, status: int, error: str, detail: str, template: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": error, "detail": detail, "fields": {}}, status=status)
    return render(request, template, {"detail": detail}, status=status)


def not_found(request, exception=None):
    """404: the same whether the record does not exist or the user may not see it."""
    return _json_or_page(request, 404, "not_found", "Not found.", "errors/404.html")


def forbidden(request, exception=None):
    """403."""
    return _json_or_page(
        request, 403, "forbidden", "You do not have permission to do this.", "errors/403.html"
    )


def bad_request(request, exception=None):
    """400."""
    return _json_or_page(
        request, 400, "bad_request", "The request could not be understood.", "errors/400.html"
    )


def database_unavailable(request):
    """503 with Retry-After while the database cannot be reached: the API's error shape, or a plain page.

    The page is rendered without the request, so nothing on it (the signed-in user, messages) needs the database.
    """
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": "unavailable", "detail": UNAVAILABLE_DETAIL, "fields": {}}, status=503
        )
    else:
        response = HttpResponse(
            render_to_string("errors/503.html", {"detail": UNAVAILABLE_DETAIL}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """500: logged by Django; the user sees an apology, never details. A database that cannot be reached, even
    from a middleware before any view, is a 503 instead (Django calls this inside its handler of the error)."""
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        return database_unavailable(request)
    return _json_or_page(
        request, 500, "server_error", "Something went wrong; it has been logged.", "errors/500.html"
    )


def csrf_failure(request, reason=""):
    """403 when a form's security token is missing or stale, e.g. a public report left open too long."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": "forbidden", "detail": "The security token was missing or invalid.", "fields": {}},
            status=403,
        )
    return render(request, "errors/csrf.html", {}, status=403)
