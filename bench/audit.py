"""Audit log benchmark: concurrent writers appending to the hash chain, then a full verification.

    python bench/audit.py [--writers 50] [--events 100] [--json]

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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=50, help="Concurrent writer threads (default 50).")
    parser.add_argument("--events", type=int, default=100, help="Events each writer appends (default 100).")
    parser.add_argument("--chunk-size", type=int, default=5000, help="Events per fetch when verifying.")
    parser.add_argument(
        "--json", action="store_true", help="Print one JSON object per line instead of a table."
    )
    args = parser.parse_args(argv)
    if args.writers < 1 or args.events < 1:
        parser.error("--writers and --events must be at least 1")

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.dev")
    os.environ.setdefault("LANTERN_CHECKPOINT_DIR", str(ROOT / "var" / "bench" / "audit-checkpoints"))
    sys.path.insert(0, str(ROOT))
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from lantern.audit.loadtest import run_writers
    from lantern.audit.verify import verify_chain

    call_command("migrate", verbosity=0)
    written = run_writers(writers=args.writers, events_per_writer=args.events)
    if written.errors:
        print(f"{len(written.errors)} writers failed; the first: {written.errors[0]!r}", file=sys.stderr)
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
        "writers": written.writers,
        "events": written.events,
        "seconds": round(written.seconds, 3),
        "events_per_second": round(written.events_per_second, 1),
        "chain_length": verification.events,
        "verify_seconds": round(verify_seconds, 3),
        "verify_events_per_second": round(verification.events / verify_seconds, 1)
        if verify_seconds
        else None,
    }
    if args.json:
        print(json.dumps(row))
        return 0
    headings = ["writers", "events", "seconds", "events/s", "chain length", "verify seconds", "verified/s"]
    values = [
        f"{row['writers']}",
        f"{row['events']:,}",
        f"{row['seconds']:.2f}",
        f"{row['events_per_second']:,.0f}",
        f"{row['chain_length']:,}",
        f"{row['verify_seconds']:.2f}",
        f"{row['verify_events_per_second'] or 0:,.0f}",
    ]
    widths = [max(len(h), len(v)) for h, v in zip(headings, values, strict=True)]
    print(f"Audit log appends on {row['database']}")
    print("  ".join(h.rjust(w) for h, w in zip(headings, widths, strict=True)))
    print("  ".join(v.rjust(w) for v, w in zip(values, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
