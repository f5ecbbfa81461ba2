"""A referral's request path in one process: CPU and Python function calls per POST /api/v1/referrals.

    python bench/referral_path.py [--json] [--requests 1000] [--warm-up 300]

bench/intake.py measures the served API under load, whose figures on a 2-core machine drift by 20% or more from
minute to minute. This one posts referrals one at a time through Django's test client (every middleware, the
API, `referral_create`, the audit journal and the queued matching, as served) into PostgreSQL, and prints the
CPU time of the posting thread and the number of Python function calls per referral. The call count does not
depend on the machine's speed, so it compares two commits where the timings cannot.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lantern_bench_referral_path"


def main(argv: list[str] | None = None) -> int:
    """Set up a fresh database with Riverton's users, post referrals, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="One JSON object instead of a table.")
    parser.add_argument("--requests", type=int, default=1000, help="Referrals measured (default 1000).")
    parser.add_argument("--warm-up", type=int, default=300, help="Referrals posted first, unmeasured (300).")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="lantern.settings.dev")
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import intake  # bench/intake.py: the database, the users, their tokens and the request bodies

    intake.recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from lantern.demo.services import borough_load

    call_command("migrate", verbosity=0)
    borough_load(password=intake.PASSWORD)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {intake.api_tokens(1)[0]}", HTTP_HOST="127.0.0.1")
    bodies = intake.referral_bodies(args.warm_up + 2 * args.requests)

    def post(body: bytes) -> None:
        response = client.post("/api/v1/referrals", data=body, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"POST /api/v1/referrals answered {response.status_code}: {response.content!r}")

    for body in bodies[: args.warm_up]:
        post(body)
    timed = bodies[args.warm_up : args.warm_up + args.requests]
    cpu = []
    for body in timed:
        started = time.thread_time()
        post(body)
        cpu.append(time.thread_time() - started)
    profile = cProfile.Profile()
    profile.enable()
    for body in bodies[args.warm_up + args.requests :]:
        post(body)
    profile.disable()
    figures = {
        "benchmark": "referral_path",
        "requests": args.requests,
        "cpu_ms_median": round(1000 * statistics.median(cpu), 3),
        "cpu_ms_mean": round(1000 * statistics.mean(cpu), 3),
        "calls_per_referral": round(pstats.Stats(profile).total_calls / args.requests),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print("A referral's request path in one process (PostgreSQL, one thread)")
        print(f"  CPU per referral: median {figures['cpu_ms_median']} ms, mean {figures['cpu_ms_mean']} ms")
        print(f"  Python function calls per referral: {figures['calls_per_referral']:,} (under cProfile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
