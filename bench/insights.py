"""Insights benchmark: the accountability dashboard, the scale comparison and the hotspot query on a large borough,
each from its pre-aggregated tables beside the same figure by a plain ORM aggregation over the raw tables.

    python bench/insights.py [--json] [--referrals 1000000] [--repeat 30] [--raw-repeat 5] [--seed 1] [--fresh]

The borough is `lantern generate`'s (the large population, `--referrals` referrals over 2022 to 2025, cached as
CSV under var/bench/insights/), loaded by a raw psycopg COPY into a PostgreSQL database of its own: referrals,
their child, person of concern and place mentions (places located from the generated places.csv by name), a
front-door decision for each decided referral and agency tasks for the referred ones (agency, timings and outcome
drawn from a hash of the referral, so the same seed gives the same borough). The database is kept between runs
(only migrated) when it already holds as many referrals; `--fresh` drops it and loads it again. Then the
pre-aggregates are built or brought up to date (`statistics_refresh`, `accountability_refresh`) and each query is
timed `--repeat` times (`--raw-repeat` for the raw aggregations, which are slow), reporting p50 and p95 in ms.
The accountability dashboard is timed for 2025, for ten years to today and for this quarter so far, each compared
in full with the raw aggregation ("same figures"); three drill-downs (a page of the records behind a figure, as a
partnership lead and two service managers may see them) are compared by their total with a count of the records.

Target: p95 under 300 ms for each pre-aggregated query at one million referrals on the 2-core reference
machine. The machine may be shared: the timings are wall-clock and pessimistic when it is; process CPU time is
printed beside them (it leaves out the database server's own work). The database is DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/lantern_bench_insights.
"""

import argparse
import csv
import hashlib
import json
import os
import statistics as stats
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from _tables import table

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lantern_bench_insights"
BENCH_DIR = ROOT / "var" / "bench" / "insights"
PASSWORD = "riverton-bench-2026"
TARGET_MS = 300.0
AGENCY_CODES = {
    "police": "riverton-police",
    "csc": "riverton-csc",
    "health": "riverton-health",
    "education": "riverton-education",
}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def fraction(key: str, salt: str) -> float:
    """A number in [0, 1) fixed by the referral's key: the bench's own deterministic draws."""
    return int.from_bytes(hashlib.blake2b(f"{salt}:{key}".encode(), digest_size=8).digest(), "big") / 2**64


def setup_django(url: str) -> None:
    """Point Django at the benchmark's database and start it."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recreate(url: str) -> None:
    """Drop and create the database."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The insights benchmark needs PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    params = {
        k: v
        for k, v in {
            "dbname": "postgres",
            "user": config.get("USER"),
            "host": config.get("HOST"),
            "port": config.get("PORT"),
            "password": config.get("PASSWORD"),
        }.items()
        if v
    }
    with psycopg.connect(**params, autocommit=True) as conn:
        name = sql.Identifier(config["NAME"])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def generated(referrals: int, seed: int) -> tuple[Path, Path, float]:
    """The generated referrals.csv and places.csv (cached), and the seconds generating took (0 if cached)."""
    from lantern.demo import history, population
    from lantern.demo.dataset import csv_write, referrals_write, size_named

    folder = BENCH_DIR / f"seed{seed}-{referrals}"
    done = folder / "done"
    if done.exists():
        return folder / "referrals.csv", folder / "places.csv", 0.0
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    size = size_named("large")
    plan = history.plan_history(seed=seed, until=history.GENERATED_UNTIL, total=referrals, size=size)
    referrals_write(plan, folder)
    csv_write(
        folder / "places.csv", population.Place.FIELDS, population.places(population.Streams(seed), size)
    )
    done.write_text("")
    return folder / "referrals.csv", folder / "places.csv", time.perf_counter() - started


def _defaults(model) -> dict:
    from django.utils import timezone

    now = timezone.now()
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            values[field.column] = now
        elif field.has_default():
            values[field.column] = field.get_default()
        else:
            values[field.column] = None if field.null else ("" if field.empty_strings_allowed else None)
    return values


class Copier:
    """One COPY stream per table, each on its own connection, written row by row as the file is read."""

    def __init__(self, url: str, models: list):
        import dj_database_url
        import psycopg

        config = dj_database_url.parse(url)
        params = {
            k: v
            for k, v in {
                "dbname": config["NAME"],
                "user": config.get("USER"),
                "host": config.get("HOST"),
                "port": config.get("PORT"),
                "password": config.get("PASSWORD"),
            }.items()
            if v
        }
        self.streams = {}
        self.order = models
        for model in models:
            conn = psycopg.connect(**params)
            defaults = _defaults(model)
            columns = ["id", *defaults]
            copy = conn.cursor().copy(f'COPY "{model._meta.db_table}" ({", ".join(columns)}) FROM STDIN')
            self.streams[model] = (conn, copy, copy.__enter__(), columns, defaults, [0])

    def write(self, model, row: dict) -> int:
        """Write one row (its id is assigned here); return the id."""
        conn, _, out, columns, defaults, counter = self.streams[model]
        counter[0] += 1
        merged = {**defaults, **row, "id": counter[0]}
        out.write_row([merged[c] for c in columns])
        return counter[0]

    def commit(self) -> dict:
        """Finish every COPY and commit, parents first; move each table's id sequence past its rows."""
        counts = {}
        for model in self.order:
            conn, copy, out, _, _, counter = self.streams[model]
            copy.__exit__(None, None, None)
            conn.commit()
            table = model._meta.db_table
            conn.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, max(counter[0], 1)])
            conn.commit()
            conn.close()
            counts[table] = counter[0]
        return counts


def load(referrals_csv: Path, places_csv: Path, url: str) -> dict:
    """COPY the generated borough into the tables, with decisions and tasks drawn per referral."""
    from lantern.accounts.models import Agency, Role, Team, User
    from lantern.casework.models import AgencyTask
    from lantern.intake.models import Referral, ReferralDecision
    from lantern.intel.models import PersonMention, PlaceMention

    located = {}
    with open(places_csv, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            located.setdefault(row["name"].lower(), (row["lat"], row["lon"]))
    agencies = dict(Agency.objects.values_list("code", "pk"))
    teams = {t.agency_id: t.pk for t in Team.objects.filter(receives_tasks=True)}
    decider = User.objects.filter(role=Role.FRONT_DOOR).values_list("pk", flat=True).first()
    kinds = {code: kind for code, kind in Agency.objects.values_list("code", "kind")}
    by_kind = {kinds[code]: pk for code, pk in agencies.items()}
    # Decisions refer to referrals and referrals to their latest decision: referrals go first, and their
    # decision_id is filled in by one UPDATE once both are committed.
    copier = Copier(url, [Referral, ReferralDecision, PersonMention, PlaceMention, AgencyTask])
    with open(referrals_csv, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = row["external_reference"]
            received = datetime.fromisoformat(row["received_at"])
            status = row["status"] or "received"
            risk_roll = fraction(key, "risk")
            risk = "high" if risk_roll < 0.2 else "medium" if risk_roll < 0.6 else "low"
            decided = status != "received"
            decided_at = (
                received + timedelta(hours=1 + 30 * fraction(key, "decide") ** 3) if decided else None
            )
            referral_id = copier.write(
                Referral,
                {
                    "reference": key[-20:],
                    "source": row["source"] or "import",
                    "channel": "import",
                    "status": status,
                    "received_at": received,
                    "decision_due_at": received + timedelta(days=1),
                    "summary": row["summary"][:5000],
                    "incident_at": row["incident_at"] or None,
                    "referrer_agency_id": agencies.get(row["referrer_agency"]),
                    "risk_level": risk,
                    "reporter_name": row["reporter_name"],
                    "reporter_contact": row["reporter_contact"],
                    "closed_at": row["closed_at"] or None,
                    "public_outcome": row["public_outcome"],
                    "external_reference": key,
                    "decided_at": decided_at,
                    "priority": "amber" if decided else "",
                },
            )
            if decided:
                kind = "nfa" if status == "nfa" else ("strategy" if risk == "high" else "refer")
                copier.write(
                    ReferralDecision,
                    {
                        "referral_id": referral_id,
                        "kind": kind,
                        "rationale": "Bench decision.",
                        "priority": "amber",
                        "decided_by_id": decider,
                        "decided_at": decided_at,
                        "within_timescale": decided_at <= received + timedelta(days=1),
                        "sign_off": "approved" if kind == "nfa" else "not_required",
                    },
                )
            common = {"referral_id": referral_id, "origin": "structured", "position": 0}
            if row["child_name"] or row["child_age"] or row["child_dob"]:
                copier.write(
                    PersonMention,
                    {
                        **common,
                        "role": "child",
                        "name": row["child_name"],
                        "date_of_birth": row["child_dob"] or None,
                        "age": row["child_age"] or None,
                        "sex": row["child_sex"] or "not_known",
                    },
                )
            if row["person_name"] or row["person_nickname"] or row["person_description"]:
                copier.write(
                    PersonMention,
                    {
                        **common,
                        "role": "person_of_concern",
                        "name": row["person_name"],
                        "nickname": row["person_nickname"],
                        "age": row["person_age"] or None,
                        "description": row["person_description"][:2000],
                    },
                )
            if row["place_name"]:
                lat, lon = located.get(row["place_name"].lower(), (None, None))
                copier.write(
                    PlaceMention,
                    {
                        **common,
                        "name": row["place_name"],
                        "place_type": row["place_type"] or "other",
                        "address": row["place_address"],
                        "postcode": row["place_postcode"],
                        "latitude": lat,
                        "longitude": lon,
                    },
                )
            if decided and status != "nfa":
                chosen = (
                    ["police", "csc"]
                    if risk == "high"
                    else [("police", "csc", "health", "education")[int(4 * fraction(key, "agency"))]]
                )
                for kind in chosen:
                    created = decided_at
                    slow = 8.0 if kind == "health" else 1.5
                    acknowledged = created + timedelta(
                        hours=slow * (0.2 + 3 * fraction(key, kind + "ack") ** 2)
                    )
                    completed = datetime.fromisoformat(row["closed_at"]) if row["closed_at"] else None
                    if completed and completed < acknowledged:
                        completed = acknowledged + timedelta(hours=1)
                    outcome = ""
                    if completed:
                        roll = fraction(key, kind + "outcome")
                        outcome = (
                            (
                                "crime_recorded"
                                if roll < 0.3
                                else "investigation"
                                if roll < 0.6
                                else "intelligence_recorded"
                            )
                            if kind == "police"
                            else ("assessment_started" if roll < 0.6 else "no_action")
                        )
                    copier.write(
                        AgencyTask,
                        {
                            "referral_id": referral_id,
                            "agency_id": by_kind[kind],
                            "team_id": teams.get(by_kind[kind]),
                            "priority": "amber",
                            "created_at": created,
                            "ack_due_at": created + timedelta(hours=6),
                            "due_at": created + timedelta(days=10),
                            "acknowledged_at": acknowledged,
                            "completed_at": completed,
                            "outcome": outcome,
                            "status": "completed" if completed else "acknowledged",
                        },
                    )
    counts = copier.commit()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "intake_referral" r SET decision_id = d.id FROM "intake_referraldecision" d '
            "WHERE d.referral_id = r.id"
        )
    return counts


def timed(fn, repeat: int) -> dict:
    """Run `fn` `repeat` times (after one untimed warm-up): p50, p95 (ms) and mean process CPU (ms)."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {
        "p50_ms": percentile(wall, 0.5),
        "p95_ms": percentile(wall, 0.95),
        "cpu_ms": stats.mean(cpu),
        "runs": repeat,
    }


def accountability_queries() -> list[tuple]:
    """The accountability dashboard for 2025, for ten years to today and for this quarter so far (today's events
    computed live), each beside the raw aggregation (the same `now` for both); and three drill-downs (a page of
    the records behind a figure, as three users may see them), each beside a count of those records by a join."""
    from django.core.paginator import Paginator
    from django.utils import timezone

    from lantern.accounts.models import User
    from lantern.casework.models import AgencyTask
    from lantern.insights.accountability import selectors as acc
    from lantern.intake.models import Referral

    now = timezone.now()
    today = acc.today(now)
    periods = {
        "2025": acc.Period(date(2025, 1, 1), date(2025, 12, 31)),
        "ten years to today": acc.Period(today - timedelta(days=3652), today),
        "this quarter so far": acc.Period(acc.presets(on=today)[0].start, today),
    }
    queries = [
        (
            f"accountability dashboard, {name}" if name != "2025" else "accountability dashboard",
            lambda p=p: acc.accountability_figures(start=p.start, end=p.end, now=now),
            lambda p=p: acc.accountability_figures_raw(start=p.start, end=p.end, now=now),
            lambda a, b: a == b,
        )
        for name, p in periods.items()
    ]
    drills = [
        ("partnership.lead", "tasks_acknowledged", "2025", 1, AgencyTask, None),
        ("police.service_manager", "completed_late", "ten years to today", 20, AgencyTask, "agency"),
        ("csc.service_manager", "decisions_within_day", "2025", 1, Referral, "decision__decided_by__agency"),
    ]
    for username, metric, name, page, model, agency_path in drills:
        user = User.objects.get(username=username)
        period = periods[name]

        def fast(user=user, metric=metric, period=period, page=page):
            drill = acc.accountability_drilldown(user=user, metric=metric, period=period, now=now)
            shown = Paginator(drill.ids, 50).get_page(page)
            return drill.total, drill.records(list(shown.object_list))

        def raw(metric=metric, period=period, model=model, agency_path=agency_path, user=user):
            records = model.objects.filter(acc._metric_filter(acc.METRICS[metric], period, now, None))
            return (records.filter(**{agency_path: user.agency_id}) if agency_path else records).count()

        queries.append(
            (f"drill-down: {metric}, {name}, page {page}, {username}", fast, raw, lambda a, b: a[0] == b)
        )
    return queries


def main(argv: list[str] | None = None) -> int:
    """Generate, load, refresh, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="One JSON object per line of figures.")
    parser.add_argument(
        "--referrals", type=int, default=1_000_000, help="Referrals to load (default 1,000,000)."
    )
    parser.add_argument("--repeat", type=int, default=30, help="Timed runs of each pre-aggregated query.")
    parser.add_argument("--raw-repeat", type=int, default=5, help="Timed runs of each raw aggregation.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--fresh", action="store_true", help="Load the borough again even if the database already holds it."
    )
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        url = DEFAULT_URL
    lines: list[dict] = []

    def say(text: str) -> None:
        if not args.json:
            print(text, flush=True)

    setup_django(url)
    reuse = False
    if not args.fresh:
        try:
            from lantern.intake.models import Referral

            reuse = Referral.objects.count() == args.referrals
        except Exception:  # noqa: BLE001 - no database or no tables yet: load afresh
            reuse = False
    if not reuse:
        from django.db import connections

        connections.close_all()
        recreate(url)
    from django.core.management import call_command
    from django.db import connection

    from lantern.insights.statistics import hotspots
    from lantern.insights.statistics import selectors as statistics
    from lantern.insights.statistics.selectors import Period

    load_seconds = generate_seconds = 0.0
    if reuse:
        call_command("migrate", verbosity=0)  # other areas' tables may have moved on since it was loaded
    else:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        from lantern.demo.services import borough_load

        borough_load(password=PASSWORD)
        say(f"Migrated and loaded Riverton's agencies in {time.perf_counter() - started:.0f} s.")
        referrals_csv, places_csv, generate_seconds = generated(args.referrals, args.seed)
        say(
            f"Generated {args.referrals:,} referrals"
            + (f" in {generate_seconds:.0f} s." if generate_seconds else " (cached from an earlier run).")
        )
        started = time.perf_counter()
        counts = load(referrals_csv, places_csv, url)
        with connection.cursor() as cursor:
            # As autovacuum would leave the tables: statistics, and the visibility map for index-only counts.
            cursor.execute("VACUUM ANALYZE")
        load_seconds = time.perf_counter() - started
        say(
            f"Loaded by COPY in {load_seconds:.0f} s: "
            + ", ".join(f"{n:,} {t}" for t, n in counts.items())
            + "."
        )
    started = time.perf_counter()
    refresh = statistics.statistics_refresh()
    refresh_seconds = time.perf_counter() - started
    say(f"Built the statistics pre-aggregates in {refresh_seconds:.1f} s ({refresh.rows}).")
    from lantern.insights.accountability import selectors as accountability

    started = time.perf_counter()
    accountability.accountability_refresh()
    say(f"Brought the accountability pre-aggregates up to date in {time.perf_counter() - started:.1f} s.")

    period = Period(date(2025, 1, 1), date(2025, 12, 1))
    compare = Period(date(2022, 1, 1), date(2022, 12, 1))
    rows = []
    queries = accountability_queries()
    queries.append(
        (
            "scale comparison",
            lambda: statistics.scale_comparison(period=period, compare=compare),
            lambda: statistics.scale_comparison_raw(period=period, compare=compare),
            lambda a, b: a == b,
        )
    )
    queries.append(
        (
            "hotspot query",
            lambda: hotspots.hotspot_summary(period=period),
            lambda: hotspots.hotspot_summary_raw(period=period),
            lambda a, b: (
                all(a[k] == b[k] for k in ("place_types", "heat_map", "times_of_day", "repeat_places"))
                and a["clusters"]["cells"] == b["clusters"]["cells"]
            ),
        )
    )
    queries.append(
        (
            "scale page (4 measures, trend, change points)",
            lambda: statistics.scale_summary(period=period, compare=compare),
            None,
            None,
        )
    )
    for name, fast, raw, same in queries:
        try:
            f = timed(fast, args.repeat)
            r = timed(raw, args.raw_repeat) if raw else None
            agree = None if same is None else bool(same(fast(), raw()))
        except Exception as error:  # noqa: BLE001 - report the row as failed and time the others
            say(f"{name}: failed: {type(error).__name__}: {error}")
            lines.append(
                {
                    "benchmark": "insights",
                    "query": name,
                    "referrals": args.referrals,
                    "error": f"{type(error).__name__}: {error}"[:300],
                    "meets_target": False,
                }
            )
            continue
        line = {
            "benchmark": "insights",
            "query": name,
            "referrals": args.referrals,
            "pre_aggregated_p50_ms": round(f["p50_ms"], 1),
            "pre_aggregated_p95_ms": round(f["p95_ms"], 1),
            "pre_aggregated_cpu_ms": round(f["cpu_ms"], 1),
            "runs": f["runs"],
            "raw_p50_ms": round(r["p50_ms"], 1) if r else None,
            "raw_p95_ms": round(r["p95_ms"], 1) if r else None,
            "raw_runs": r["runs"] if r else 0,
            "same_figures": agree,
            "meets_target": f["p95_ms"] < TARGET_MS,
        }
        lines.append(line)
        rows.append(
            [
                name,
                f"{f['p50_ms']:.1f}",
                f"{f['p95_ms']:.1f}",
                f"{f['cpu_ms']:.1f}",
                f"{r['p50_ms']:.0f}" if r else "–",
                f"{r['p95_ms']:.0f}" if r else "–",
                {True: "yes", False: "NO", None: "–"}[agree],
                "yes" if f["p95_ms"] < TARGET_MS else "NO",
            ]
        )
    lines.append(
        {
            "benchmark": "insights",
            "query": "setup",
            "referrals": args.referrals,
            "generate_seconds": round(generate_seconds, 1),
            "load_seconds": round(load_seconds, 1),
            "statistics_refresh_seconds": round(refresh_seconds, 1),
            "reused": reuse,
            "load_average": [round(n, 2) for n in os.getloadavg()],
        }
    )
    if args.json:
        for line in lines:
            print(json.dumps(line))
    else:
        print()
        print(
            table(
                [
                    "query",
                    "p50 ms",
                    "p95 ms",
                    "CPU ms",
                    "raw p50 ms",
                    "raw p95 ms",
                    "same figures",
                    f"p95 < {TARGET_MS:.0f} ms",
                ],
                rows,
            )
        )
        print(
            f"\n{args.referrals:,} referrals; pre-aggregated queries run {args.repeat} times, raw aggregations "
            f"{args.raw_repeat} times, after one warm-up each. Wall-clock on a machine that may be shared with "
            "other work (pessimistic); CPU is this process's only, not the database server's. Load average "
            "at the end: " + ", ".join(f"{n:.2f}" for n in os.getloadavg()) + "."
        )
    # A missed target is a figure to report, not a failure; a query that raised is.
    return 1 if any("error" in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
