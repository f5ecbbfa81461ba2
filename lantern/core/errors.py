"""Error pages: plain English, no stack traces, JSON under /api/."""

from django.http import JsonResponse
from django.shortcuts import render


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


def server_error(request):
    """500: logged by Django; the user sees an apology, never details."""
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
