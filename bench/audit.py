"""Audit log benchmark: concurrent writers appending in each audit mode, then a full verification.

    python bench/audit.py [--modes inline,journal] [--writers 16,50] [--events 100] [--json]

For each mode and number of writers it prints appends per second, the median and 99th percentile time an
append's transaction takes (in journal mode including any chaining its committer does), and how long after
the last writer finished the last pending event was chained.

Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/lantern_bench), creating and migrating that
database if needed. Checkpoints go to var/bench/audit-checkpoints so they never mix with another database's.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lantern_bench"
ROOT = Path(__file__).resolve().parent.parent


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it does not exist yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return
    params = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    if not modes or any(m not in ("inline", "journal") for m in modes):
        raise argparse.ArgumentTypeError("modes are inline and journal, separated by commas")
    return modes


def _counts(text: str) -> list[int]:
    try:
        counts = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("give whole numbers of at least 1, separated by commas")
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--writers", type=_counts, default=[16, 50], help="Concurrent writer threads (default 16,50)."
    )
    parser.add_argument("--events", type=int, default=100, help="Events each writer appends (default 100).")
    parser.add_argument(
        "--modes", type=_modes, default=["inline", "journal"], help="Modes to run (default inline,journal)."
    )
    parser.add_argument("--chunk-size", type=int, default=5000, help="Events per fetch when verifying.")
    parser.add_argument(
        "--json", action="store_true", help="Print one JSON object per line instead of a table."
    )
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.dev")
    os.environ.setdefault("LANTERN_CHECKPOINT_DIR", str(ROOT / "var" / "bench" / "audit-checkpoints"))
    sys.path.insert(0, str(ROOT))
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from lantern.audit.jobs import vacuum_journal
    from lantern.audit.loadtest import run_writers, seconds_until_chained
    from lantern.audit.verify import verify_chain

    call_command("migrate", verbosity=0)
    rows = []
    for mode in args.modes:
        settings.AUDIT_MODE = mode
        for writers in args.writers:
            # Start each run from a clean journal, as the worker's vacuum job (or autovacuum) leaves it.
            vacuum_journal()
            written = run_writers(writers=writers, events_per_writer=args.events)
            if written.errors:
                first = written.errors[0]
                print(f"{len(written.errors)} writers failed; the first: {first!r}", file=sys.stderr)
                return 1
            chained_after = seconds_until_chained()
            if chained_after is None:
                print("Pending audit events were still not chained after a minute.", file=sys.stderr)
                return 1
            started = time.perf_counter()
            verification = verify_chain(chunk_size=args.chunk_size)
            verify_seconds = time.perf_counter() - started
            if not verification.ok:
                print(verification.summary(), file=sys.stderr)
                return 1
            row = {
                "benchmark": "audit_append",
                "database": connection.vendor,
                "mode": mode,
                "writers": written.writers,
                "events": written.events,
                "seconds": round(written.seconds, 3),
                "events_per_second": round(written.events_per_second, 1),
                "append_p50_ms": round(written.latency(50) * 1000, 1),
                "append_p99_ms": round(written.latency(99) * 1000, 1),
                "chained_after_seconds": round(chained_after, 3),
                "chain_length": verification.events,
                "verify_seconds": round(verify_seconds, 3),
                "verify_events_per_second": round(verification.events / verify_seconds, 1)
                if verify_seconds
                else None,
            }
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
    if args.json:
        return 0
    headings = [
        "mode",
        "writers",
        "events",
        "seconds",
        "events/s",
        "p50 ms",
        "p99 ms",
        "chained after s",
        "chain length",
        "verify s",
        "verified/s",
    ]
    table = [
        [
            row["mode"],
            f"{row['writers']}",
            f"{row['events']:,}",
            f"{row['seconds']:.2f}",
            f"{row['events_per_second']:,.0f}",
            f"{row['append_p50_ms']:.1f}",
            f"{row['append_p99_ms']:.1f}",
            f"{row['chained_after_seconds']:.3f}",
            f"{row['chain_length']:,}",
            f"{row['verify_seconds']:.2f}",
            f"{row['verify_events_per_second'] or 0:,.0f}",
        ]
        for row in rows
    ]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headings)]
    print(f"Audit log appends on {rows[0]['database']} (each append its own transaction)")
    print("  ".join(h.rjust(w) for h, w in zip(headings, widths, strict=True)))
    for values in table:
        print("  ".join(v.rjust(w) for v, w in zip(values, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
