"""Health check, the "My work" home page, and the endpoint browsers report Content-Security-Policy violations to."""

import json
import logging
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from lantern import __version__
from lantern.core.policy import allows

csp_logger = logging.getLogger("lantern.csp")


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


# Content-Security-Policy violation reports (decision 0021). Browsers send them without credentials or a CSRF
# token, so the endpoint is public and CSRF-exempt; anyone can post to it, so it reads at most CSP_REPORT_MAX_BYTES,
# writes nothing but a log line, logs at most CSP_REPORT_LOG_LIMIT reports a minute in each process, and answers
# 204 to whatever arrives (a 4xx would have Django log the request itself, outside that limit).
CSP_REPORT_MAX_BYTES = 16 * 1024
CSP_REPORT_LOG_LIMIT = 60
CSP_REPORT_FIELD_LENGTH = 200
# The fields worth a log line, by their names in report-uri's format and in the Reporting API's (report-to).
CSP_REPORT_FIELDS = {
    "document": ("document-uri", "documentURL"),
    "directive": ("effective-directive", "effectiveDirective", "violated-directive"),
    "blocked": ("blocked-uri", "blockedURL"),
    "source": ("source-file", "sourceFile"),
    "line": ("line-number", "lineNumber"),
    "column": ("column-number", "columnNumber"),
    "sample": ("script-sample", "sample"),
    "disposition": ("disposition",),
}
URL_FIELDS = ("document", "blocked", "source")


class LogAllowance:
    """At most `limit` log lines in each fixed window of `seconds`; says how many were held back before."""

    def __init__(self, limit: int, seconds: int = 60):
        self.limit, self.seconds = limit, seconds
        self.window, self.used, self.held_back = 0, 0, 0
        self.lock = threading.Lock()

    def take(self) -> tuple[bool, int]:
        """(may this line be logged, how many lines were held back in the windows before it)."""
        with self.lock:
            window = int(time.monotonic() // self.seconds)
            if window != self.window:
                self.window, self.used = window, 0
            if self.used >= self.limit:
                self.held_back += 1
                return False, 0
            self.used += 1
            held_back, self.held_back = self.held_back, 0
            return True, held_back


csp_log_allowance = LogAllowance(CSP_REPORT_LOG_LIMIT)


def _without_query(value: str) -> str:
    """A URL without its query or fragment, which can hold what someone searched for (a child's name, say)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def csp_violations(body: bytes) -> list[dict[str, str]]:
    """The violations in a report body of either format, each as the fields worth logging, cut short."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return []
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        bodies = [data["csp-report"]]
    elif isinstance(data, list):
        bodies = [
            item["body"]
            for item in data
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(item.get("body"), dict)
        ]
    else:
        return []
    violations = []
    for raw in bodies:
        violation = {}
        for name, keys in CSP_REPORT_FIELDS.items():
            value = next((raw[key] for key in keys if raw.get(key) not in (None, "")), "")
            value = str(value)
            if name in URL_FIELDS:
                value = _without_query(value)
            violation[name] = value[:CSP_REPORT_FIELD_LENGTH]
        violations.append(violation)
    return violations


@login_not_required
@csrf_exempt
@require_POST
def csp_report(request):
    """Log the Content-Security-Policy violations a browser reports; 204 whatever the body holds."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > CSP_REPORT_MAX_BYTES else request.read(CSP_REPORT_MAX_BYTES + 1)
    violations = csp_violations(body) if 0 < len(body) <= CSP_REPORT_MAX_BYTES else []
    for violation in violations or [{"unreadable": f"{max(declared, len(body))} bytes"}]:
        allowed, held_back = csp_log_allowance.take()
        if not allowed:
            continue
        if held_back:
            csp_logger.warning("%d Content-Security-Policy reports were not logged (rate limit)", held_back)
        # json.dumps escapes control characters, so a report cannot forge log lines.
        csp_logger.warning("Content-Security-Policy violation: %s", json.dumps(violation, sort_keys=True))
    return HttpResponse(status=204)
