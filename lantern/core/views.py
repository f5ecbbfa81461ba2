"""Health check and the "My work" home page."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lantern import __version__
from lantern.core.policy import allows


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """`{"status": "ok", "database": "ok", "version": ...}`; 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure is reported, not raised
        database = "unavailable"
    status = "ok" if database == "ok" else "degraded"
    return JsonResponse(
        {"status": status, "database": database, "version": __version__},
        status=200 if status == "ok" else 503,
    )


def home(request):
    """ "My work": what needs the user's attention."""
    return render(request, "core/home.html", {"can_view_my_work": allows(request.user, "can_view_my_work")})
