"""Subject access: the time to build the bundle for the demo borough's child with the most records.

    python bench/subject_access.py [--json] [--repeat 5] [--fresh]

Loads Riverton with its referral history (`lantern demo`) into its own PostgreSQL database, once (`--fresh`
loads it again), picks the child whom linking has found in the most referrals and intelligence items, and, as
`dpo`, records a request about them, finds the candidates through entity resolution, confirms them all (which
marks the third-party data for redaction) and has `records.manager` sign the bundle off. It then times building
the bundle (its HTML and the PDF) `--repeat` times and prints the figures, with the time of each step before it.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lantern_bench_subject_access"
PASSWORD = "bench-subject-access-2026"


def main(argv: list[str] | None = None) -> int:
    """Load the borough if needed, prepare a request about its most recorded child, time its bundle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="One JSON object instead of a table.")
    parser.add_argument("--repeat", type=int, default=5, help="Bundles built and timed (default 5).")
    parser.add_argument("--fresh", action="store_true", help="Load the borough again even if it is there.")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="lantern.settings.dev")
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import intake  # bench/intake.py: recreating the database
    from _tables import table

    def say(text: str) -> None:
        if not args.json:
            print(text, flush=True)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    reuse = False
    if not args.fresh:
        try:
            from lantern.governance.subject_access.models import SubjectAccessRequest

            reuse = SubjectAccessRequest.objects.exists()
        except Exception:  # noqa: BLE001 - no database or no tables yet: load afresh
            reuse = False
    if reuse:
        call_command("migrate", verbosity=0)
    else:
        connections.close_all()
        intake.recreate_database(url)
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        from django.test import override_settings

        # The demo's notifications would otherwise print every email on the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            call_command("demo", "--password", PASSWORD, stdout=open(os.devnull, "w"))  # noqa: SIM115
        say(f"Loaded Riverton with its history in {time.perf_counter() - started:.0f} s.")

    from django.test import override_settings

    from lantern.accounts.models import User
    from lantern.demo.areas.subject_access import most_recorded_children
    from lantern.governance.subject_access import selectors, services
    from lantern.governance.subject_access.bundle import bundle_html, bundle_pdf

    subject = most_recorded_children(1)[0]
    dpo, signer = User.objects.get(username="dpo"), User.objects.get(username="records.manager")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        request = services.subject_access_request_record(
            actor=dpo,
            subject_name=subject["name"],
            subject_date_of_birth=subject["date_of_birth"],
            requester_kind="subject",
            requester_name=subject["name"],
            identity_method="photo_id",
            what_is_asked="Everything.",
            received_on=time_today(),
        )
        started = time.perf_counter()
        candidates = selectors.candidates_for(request)
        find_seconds = time.perf_counter() - started
        started = time.perf_counter()
        services.subject_access_records_decide(
            actor=dpo, request=request, decisions=[(c.key, True) for c in candidates]
        )
        confirm_seconds = time.perf_counter() - started
        request = services.subject_access_sign_off(actor=signer, request=request)
    redactions = request.redactions.filter(removed_at__isnull=True).count()
    html_times, pdf_times, size = [], [], 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        bundle_html(request)
        html_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        size = len(bundle_pdf(request))
        pdf_times.append(time.perf_counter() - started)
    figures = {
        "benchmark": "subject_access",
        "subject": subject["name"],
        "records": len(candidates),
        "redactions": redactions,
        "find_candidates_s": round(find_seconds, 3),
        "confirm_and_propose_s": round(confirm_seconds, 3),
        "bundle_html_s_median": round(statistics.median(html_times), 3),
        "bundle_pdf_s_median": round(statistics.median(pdf_times), 3),
        "bundle_pdf_s_max": round(max(pdf_times), 3),
        "pdf_bytes": size,
        "repeat": args.repeat,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"A subject access bundle for the demo child with the most records ({subject['name']})")
        print(
            table(
                ["figure", "value"],
                [[key, str(value)] for key, value in figures.items() if key != "benchmark"],
            )
        )
    return 0


def time_today():
    """Today in London."""
    from django.utils import timezone

    return timezone.localdate()


if __name__ == "__main__":
    raise SystemExit(main())
