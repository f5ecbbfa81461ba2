"""Soak: a mixed day's work from 50 simulated people against `lantern serve` on PostgreSQL, for a fixed time.

Locust (as a library, in this process) runs six kinds of user against `lantern serve` (gunicorn and the
background worker, as deployed) on the demo borough of Riverton:

- members of the public walk `/report`'s question pages (with a child, a person and a vehicle, some of them a
  planted car so that matching finds something) and send, then look the report up at `/track`;
- reporters coming back look up a report at `/track` with its reference and secret;
- front-door workers open the queue and a referral's screening page, and screen and decide referrals through
  the API; when the referrals waiting at the start are done, they take those the public have sent since, as the
  API lists them;
- practitioners (police and children's social care) open My tasks and a task, and acknowledge and complete tasks
  through the API, taking the tasks the front door's decisions route to them as the run goes on;
- analysts search people, vehicles and places, open entity pages and the link alerts;
- partnership leads open the accountability dashboard, scale and trend, hotspots and their home page.

Each waits 1 to 3 seconds between actions (`--wait`). It prints each endpoint's p50, p95 and p99, requests per
second and errors, and whether real-time matching keeps up with reports: the matching queue's depth over time,
reports and matches a second, and how long the queue took to empty after the load stopped.

Target (issue 17): 0 errors and p95 <= 300 ms for every page at 50 users. The figures depend on what else runs on
the machine: the load average is printed with them.
"""

from gevent import monkey

monkey.patch_all()  # as locust itself does; first, before anything opens a socket

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psycopg  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lantern_ops_soak"
VAR = ROOT / "var" / "bench" / "soak"
PASSWORD = os.environ.get("LANTERN_DEMO_PASSWORD", "riverton-demo-2026")
MATCH_TASK = "lantern.intel.linking.tasks.match_report"
TARGET_P95_MS = 300.0
REFERRALS_WAITING = "/api/v1/referrals?status=received"
TASKS_WAITING = "/api/v1/tasks?status=awaiting_ack"
LANTERN = [sys.executable, "-m", "lantern.cli"]


# Shared between the simulated users (greenlets of this one process).
class Pool:
    """Work for the simulated users, read from the database before the run and added to by the users."""

    referrals: list[int] = []  # awaiting screening
    tasks: dict[str, list[int]] = {}  # by username: tasks awaiting acknowledgement
    acknowledged: dict[str, list[int]] = {}
    entities: list[int] = []
    searches: list[str] = []
    plates: list[str] = []
    tracked: list[tuple[str, str]] = []  # (reference, secret) of reports sent
    tokens: dict[str, str] = {}
    listed: dict[
        str, set[int]
    ] = {}  # by API path: ids ever put in a pool from it, so none is handed out twice


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DRAFT = re.compile(r'name="draft" value="([^"]*)"')
SHOWN = re.compile(r'data-testid="(reference|secret)">([^<]+)<')


def _field(pattern: re.Pattern, text: str) -> str:
    match = pattern.search(text)
    return match.group(1) if match else ""


def fresh_connections(user: HttpUser) -> None:
    """Open a connection for each request, as a browser does after a pause longer than gunicorn's keep-alive.

    gunicorn closes an idle kept-alive connection after 2 seconds and the users wait 1 to 3 seconds, so a reused
    connection can be closed just as a request is sent on it; a browser sends that request again, but Locust's
    client counts a "connection reset". Connecting afresh costs a local TCP handshake.
    """
    user.client.headers["Connection"] = "close"


class SignedIn(HttpUser):
    """A member of staff who signs in through the login page (demo mode: MFA optional)."""

    abstract = True
    username = ""

    def on_start(self):
        fresh_connections(self)
        page = self.client.get("/accounts/login/", name="/accounts/login/")
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": _field(CSRF, page.text)},
            name="/accounts/login/ (sign in)",
            headers={"Referer": f"{self.host}/accounts/login/"},
        )

    def api(self, method: str, path: str, name: str, body: dict | None = None):
        """A call to the JSON API with this user's bearer token."""
        return self.client.request(
            method,
            path,
            json=body,
            name=name,
            headers={"Authorization": f"Bearer {Pool.tokens[self.username]}"},
        )


class FrontDoorWorker(SignedIn):
    """Screens new referrals and decides what happens to them."""

    weight = 2
    username = "frontdoor.worker"

    @task(3)
    def queue(self):
        self.client.get("/front-door/", name="/front-door/")

    @task(2)
    def screen_and_decide(self):
        if not Pool.referrals:
            refill(self, Pool.referrals, REFERRALS_WAITING, "/api/v1/referrals?status=")
        if not Pool.referrals:
            return
        referral = Pool.referrals.pop()
        self.client.get(f"/referrals/{referral}/screen", name="/referrals/[id]/screen")
        self.api(
            "POST",
            f"/api/v1/referrals/{referral}/screening",
            "/api/v1/referrals/[id]/screening",
            {"indicators": {}, "professional_judgement": "Screened in the soak.", "child_age": 14},
        )
        self.api(
            "POST",
            f"/api/v1/referrals/{referral}/decision",
            "/api/v1/referrals/[id]/decision",
            {
                "kind": "refer",
                "rationale": "Refer for enquiries.",
                "priority": "amber",
                "agencies": ["riverton-police", "riverton-csc"],
            },
        )


def refill(user: "SignedIn", pool: list[int], path: str, name: str) -> None:
    """Add to an empty pool what the API lists for the user now: the referrals that public reports have sent in
    since the start and are awaiting screening, or the tasks that the front door's decisions have routed to the
    practitioner's agency. So screening and task actions go on for the whole run, as they would in a day's work,
    instead of stopping once the borough's few waiting items are done. An id is handed out once only, since a
    listed item may still be in another user's hands."""
    answer = user.api("GET", f"{path}&limit=50", name)
    if answer.status_code == 200:
        listed = Pool.listed.setdefault(f"{user.username} {path}", set())
        fresh = [item["id"] for item in reversed(answer.json()["items"]) if item["id"] not in listed]
        listed.update(fresh)
        pool.extend(fresh)


class Practitioner(SignedIn):
    """Works the tasks of their agency."""

    weight = 3
    username = "police.practitioner"

    def on_start(self):
        self.username = random.choice(["police.practitioner", "csc.practitioner"])
        super().on_start()

    @task(3)
    def my_tasks(self):
        self.client.get("/tasks/mine/", name="/tasks/mine/")

    @task(2)
    def act(self):
        waiting, acknowledged = (
            Pool.tasks.setdefault(self.username, []),
            Pool.acknowledged.setdefault(self.username, []),
        )
        if not waiting and not acknowledged:
            refill(self, waiting, TASKS_WAITING, "/api/v1/tasks?status=")
        if acknowledged and (not waiting or random.random() < 0.5):
            task_id = acknowledged.pop()
            self.client.get(f"/tasks/{task_id}/", name="/tasks/[id]/")
            self.api(
                "POST",
                f"/api/v1/tasks/{task_id}/complete",
                "/api/v1/tasks/[id]/complete",
                {
                    "outcome": "investigation" if "police" in self.username else "assessment_started",
                    "narrative": "Worked in the soak.",
                },
            )
        elif waiting:
            task_id = waiting.pop()
            self.client.get(f"/tasks/{task_id}/", name="/tasks/[id]/")
            self.api("POST", f"/api/v1/tasks/{task_id}/acknowledge", "/api/v1/tasks/[id]/acknowledge")
            acknowledged.append(task_id)


class Analyst(SignedIn):
    """Searches intelligence and reads entities and link alerts."""

    weight = 3
    username = "police.analyst"

    @task(3)
    def search(self):
        if Pool.searches:
            self.client.get(
                "/intel/entities/", params={"q": random.choice(Pool.searches)}, name="/intel/entities/?q="
            )

    @task(3)
    def entity(self):
        if Pool.entities:
            self.client.get(f"/intel/entities/{random.choice(Pool.entities)}/", name="/intel/entities/[id]/")

    @task(1)
    def alerts(self):
        self.client.get("/intel/alerts/", name="/intel/alerts/")


class PartnershipLead(SignedIn):
    """Reads the dashboards."""

    weight = 1
    username = "partnership.lead"

    @task
    def dashboards(self):
        path = random.choice(["/insights/accountability", "/insights/scale", "/insights/hotspots", "/"])
        self.client.get(path, name=path)


class PublicReporter(HttpUser):
    """A member of the public reporting a concern through the question pages, then tracking it."""

    weight = 2

    def on_start(self):
        fresh_connections(self)

    def answer(self, slug: str, data: dict | None = None, action: str = "continue") -> None:
        page = self.client.get(f"/report/{slug}", name="/report/[step]")
        self.client.post(
            f"/report/{slug}",
            {
                **(data or {}),
                "draft": _field(DRAFT, page.text),
                "action": action,
                "csrfmiddlewaretoken": _field(CSRF, page.text),
            },
            name="/report/[step] (answer)",
            headers={"Referer": f"{self.host}/report/{slug}"},
        )

    @task
    def report(self):
        self.client.get("/report", name="/report")
        self.answer(
            "what-happened", {"summary": "Girls from the estate are picked up by older men in a car."}
        )
        self.answer("where-and-when", {"place_name": "Millbrook Park", "place_type": "park"})
        self.answer("children", {"name": "Jade Example", "age": str(random.randint(12, 16))})
        self.answer(
            "people", {"name": random.choice(["Daz", "Kev", "Mo", "Big Man"]), "description": "Older."}
        )
        plate = (
            random.choice(Pool.plates)
            if Pool.plates and random.random() < 0.5
            else f"K{random.randint(10, 99)} ABC"
        )
        self.answer("vehicles", {"registration": plate, "colour": "grey"})
        self.answer("phone-numbers", action="skip")
        self.answer("about-you", {"identity": "anonymous"})
        check = self.client.get("/report/check-your-answers", name="/report/check-your-answers")
        done = self.client.post(
            "/report/check-your-answers",
            {"draft": _field(DRAFT, check.text), "csrfmiddlewaretoken": _field(CSRF, check.text)},
            name="/report/check-your-answers (send)",
            headers={"Referer": f"{self.host}/report/check-your-answers"},
        )
        shown = dict(SHOWN.findall(done.text))
        if "reference" in shown and "secret" in shown:
            Pool.tracked.append((shown["reference"].strip(), shown["secret"].strip()))
            track(self)


def track(user: HttpUser) -> None:
    """Look up a report sent earlier at /track."""
    if not Pool.tracked:
        return
    reference, secret = random.choice(Pool.tracked)
    page = user.client.get("/track", name="/track")
    user.client.post(
        "/track",
        {"reference": reference, "secret": secret, "csrfmiddlewaretoken": _field(CSRF, page.text)},
        name="/track (look up)",
        headers={"Referer": f"{user.host}/track"},
    )


class ReturningReporter(HttpUser):
    """Someone who reported earlier, checking on it."""

    weight = 1

    def on_start(self):
        fresh_connections(self)

    @task
    def look_up(self):
        track(self)


USERS = (FrontDoorWorker, Practitioner, Analyst, PartnershipLead, PublicReporter, ReturningReporter)


# Setting up
def connect(url: str, database: str | None = None) -> psycopg.Connection:
    """An autocommit psycopg connection to the database of `url` (or another on its server)."""
    import dj_database_url

    config = dj_database_url.parse(url)
    params = {
        "dbname": database or config["NAME"],
        "user": config.get("USER"),
        "host": config.get("HOST"),
        "port": config.get("PORT"),
        "password": config.get("PASSWORD"),
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def prepare(url: str, env: dict, *, fresh: bool) -> None:
    """Create the database and load Riverton, unless it is there already (`--fresh` loads it again)."""
    import dj_database_url

    # The soak's own field key, kept in its var/ beside the borough whose narratives it encrypts (made once).
    subprocess.run(
        [*LANTERN, "field_key", "--create"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )

    name = dj_database_url.parse(url)["NAME"]
    with connect(url, "postgres") as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not fresh:
            with connect(url) as conn:
                loaded = conn.execute("SELECT to_regclass('intake_referral') IS NOT NULL").fetchone()[0] and (
                    conn.execute("SELECT count(*) FROM intake_referral").fetchone()[0] > 0
                )
            if loaded:
                # A borough loaded by an earlier version of Lantern: bring its schema up to this one's.
                subprocess.run([*LANTERN, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
                return
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    for old in (VAR / "checkpoints").glob("checkpoint-*.json"):
        old.unlink()  # they belong to the database just dropped
    print("Loading Riverton (lantern demo); this takes some minutes the first time.", file=sys.stderr)
    subprocess.run([*LANTERN, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*LANTERN, "demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def fill_pool(url: str, env: dict) -> None:
    """Work for the users, from the loaded borough, and an API token for each signed-in user."""
    with connect(url) as conn:
        Pool.referrals = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM intake_referral WHERE status = 'received' ORDER BY id DESC LIMIT 2000"
            )
        ]
        for username in ("police.practitioner", "csc.practitioner"):
            Pool.tasks[username] = [
                r[0]
                for r in conn.execute(
                    "SELECT t.id FROM casework_agencytask t JOIN accounts_user u ON u.agency_id = t.agency_id "
                    "WHERE u.username = %s AND t.status = 'awaiting_ack' ORDER BY t.id DESC LIMIT 2000",
                    [username],
                )
            ]
        Pool.listed = {f"frontdoor.worker {REFERRALS_WAITING}": set(Pool.referrals)} | {
            f"{username} {TASKS_WAITING}": set(ids) for username, ids in Pool.tasks.items()
        }
        Pool.entities = [
            r[0] for r in conn.execute("SELECT id FROM intel_entity ORDER BY random() LIMIT 500")
        ]
        Pool.searches = [
            r[0]
            for r in conn.execute(
                "SELECT label FROM intel_entity WHERE label <> '' ORDER BY random() LIMIT 200"
            )
        ]
    truth = VAR / "demo" / "ground_truth.json"
    if truth.exists():
        found = re.findall(r'"registration": "([A-Z0-9 ]{5,8})"', truth.read_text())
        Pool.plates = sorted(set(found))[:100]
    for username in ("frontdoor.worker", "police.practitioner", "csc.practitioner"):
        done = subprocess.run(
            [*LANTERN, "token", username], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        Pool.tokens[username] = done.stdout.strip().split()[-1]


def start_serve(env: dict, port: int, workers: int) -> subprocess.Popen:
    """`lantern serve` (gunicorn and the worker) in a session of its own; returns once /healthz answers."""
    import urllib.request

    log = open(VAR / "serve.log", "w")  # noqa: SIM115 - held by the child process
    serve = subprocess.Popen(
        [*LANTERN, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise SystemExit(f"lantern serve exited; see {VAR / 'serve.log'}.")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return serve
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("lantern serve did not answer /healthz within 120 seconds.")


def sample_queue(url: str, samples: list, stop_at: list) -> None:
    """Every 5 seconds: matching tasks waiting, matched so far, and referrals so far (run as a greenlet)."""
    with connect(url) as conn:
        while not stop_at:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE status IN ('READY', 'RUNNING')), "
                "count(*) FILTER (WHERE status = 'SUCCESSFUL'), (SELECT count(*) FROM intake_referral) "
                "FROM django_tasks_database_dbtaskresult WHERE task_path = %s",
                [MATCH_TASK],
            ).fetchone()
            samples.append((time.monotonic(), *row))
            gevent.sleep(5)


def percentile_ms(entry, share: float) -> float:
    """Locust's percentile of an entry's response times, in milliseconds."""
    return float(entry.get_response_time_percentile(share) or 0)


def report(env: Environment, samples: list, drained_after: float | None, args, as_json: bool) -> bool:
    """Print the endpoints' figures and matching's; whether every page met the target."""
    rows, ok = [], True
    counted = [(key, entry) for key, entry in env.stats.entries.items() if entry.num_requests]
    for (name, method), entry in sorted(counted, key=lambda item: item[0][0]):
        row = {
            "endpoint": f"{method} {name}",
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "p50_ms": percentile_ms(entry, 0.50),
            "p95_ms": percentile_ms(entry, 0.95),
            "p99_ms": percentile_ms(entry, 0.99),
            "per_second": round(entry.total_rps, 2),
        }
        row["meets_target"] = row["errors"] == 0 and row["p95_ms"] <= TARGET_P95_MS
        ok = ok and row["meets_target"]
        rows.append(row)
    total = env.stats.total
    load = os.getloadavg()
    first, last = (samples[0], samples[-1]) if samples else (None, None)
    span = (last[0] - first[0]) if samples and len(samples) > 1 else 0
    matching = {
        "reports_per_second": round((last[3] - first[3]) / span, 2) if span else None,
        "matched_per_second": round((last[2] - first[2]) / span, 2) if span else None,
        "queue_depth_max": max((s[1] for s in samples), default=None),
        "queue_depth_end_of_load": last[1] if samples else None,
        "drained_after_load_s": drained_after,
    }
    summary = {
        "users": args.users,
        "minutes": args.minutes,
        "gunicorn_workers": args.workers,
        "requests": total.num_requests,
        "errors": total.num_failures,
        "per_second": round(total.total_rps, 1),
        "load_average": [round(x, 1) for x in load],
        "every_page_meets_target": ok,
        **matching,
    }
    if as_json:
        for row in rows:
            print(json.dumps({"benchmark": "soak", **row}))
        print(
            json.dumps(
                {"benchmark": "soak_matching", "queue": [(round(s[0] - first[0]), s[1]) for s in samples]}
            )
        )
        print(json.dumps({"benchmark": "soak_summary", **summary}))
        return ok
    width = max(len(r["endpoint"]) for r in rows) if rows else 10
    print(f"{'endpoint'.ljust(width)}  requests  errors  p50 ms  p95 ms  p99 ms   per s  target")
    for r in rows:
        print(
            f"{r['endpoint'].ljust(width)}  {r['requests']:8d}  {r['errors']:6d}  {r['p50_ms']:6.0f}  "
            f"{r['p95_ms']:6.0f}  {r['p99_ms']:6.0f}  {r['per_second']:6.2f}  {'met' if r['meets_target'] else 'MISSED'}"
        )
    print(
        f"{'all'.ljust(width)}  {total.num_requests:8d}  {total.num_failures:6d}  {percentile_ms(total, 0.5):6.0f}  "
        f"{percentile_ms(total, 0.95):6.0f}  {percentile_ms(total, 0.99):6.0f}  {total.total_rps:6.2f}"
    )
    for error in env.stats.errors.values():
        print(f"error: {error.method} {error.name}: {error.error} (x{error.occurrences})")
    print()
    print(
        "Matching queue (seconds into the run: tasks waiting):",
        ", ".join(f"{round(s[0] - first[0])}s: {s[1]}" for s in samples) if samples else "no samples",
    )
    print(
        f"Reports arrived at {matching['reports_per_second']}/s and were matched at {matching['matched_per_second']}/s; "
        f"deepest queue {matching['queue_depth_max']}, {matching['queue_depth_end_of_load']} waiting when the load "
        f"stopped, empty {drained_after} s later."
    )
    print(
        f"{args.users} users for {args.minutes} min, gunicorn {args.workers} workers x 4 threads; load average "
        f"{', '.join(f'{x:.1f}' for x in load)} on {os.cpu_count()} CPUs. Every page met the target "
        f"(0 errors, p95 <= {TARGET_P95_MS:.0f} ms): {'yes' if ok else 'no'}."
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Load or reuse Riverton, serve it, run the users for the time given, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="One JSON object per line instead of tables.")
    parser.add_argument("--minutes", type=float, default=10.0, help="How long the load runs (10).")
    parser.add_argument("--users", type=int, default=50, help="Simulated people at once (50).")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="Users started a second (5).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, as `lantern serve` (2).")
    parser.add_argument(
        "--wait", default="1,3", help="Seconds each user waits between actions, min,max (1,3)."
    )
    parser.add_argument(
        "--settle", type=float, default=20.0, help="Seconds after the last user starts before the clock (20)."
    )
    parser.add_argument("--fresh", action="store_true", help="Drop the database and load Riverton again.")
    args = parser.parse_args(argv)
    low, high = (float(x) for x in args.wait.split(","))
    for user in USERS:
        user.wait_time = between(low, high)

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    VAR.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "_soak_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        "LANTERN_DEMO": "1",
        "LANTERN_VAR_DIR": str(VAR),
        "LANTERN_CHECKPOINT_DIR": str(VAR / "checkpoints"),
    }
    prepare(url, env, fresh=args.fresh)
    fill_pool(url, env)
    port = int(os.environ.get("LANTERN_SOAK_PORT", "0")) or _free_port()
    serve = start_serve(env, port, args.workers)
    samples: list = []
    sign_ins: dict = {}
    stop_sampling: list = []
    drained_after = None
    try:
        environment = Environment(user_classes=list(USERS), host=f"http://127.0.0.1:{port}")
        runner = environment.create_local_runner()
        sampler = gevent.spawn(sample_queue, url, samples, stop_sampling)
        runner.start(args.users, spawn_rate=args.spawn_rate)
        # Staff sign in as they start (Argon2, deliberately slow): a burst that a working day does not have. The
        # clock starts, and the figures count, once every user has started; sign-ins are counted apart.
        runner.spawning_greenlet.join()
        gevent.sleep(args.settle)
        sign_ins.update(
            {
                k: (e.num_requests, e.num_failures, percentile_ms(e, 0.5), percentile_ms(e, 0.95))
                for k, e in environment.stats.entries.items()
                if "login" in k[0]
            }
        )
        environment.stats.reset_all()
        samples.clear()
        gevent.spawn_later(args.minutes * 60, runner.quit)
        runner.greenlet.join()
        stop_sampling.append(True)
        sampler.join()
        ended = time.monotonic()
        with connect(url) as conn:
            while time.monotonic() - ended < 600:
                waiting = conn.execute(
                    "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = %s "
                    "AND status IN ('READY', 'RUNNING')",
                    [MATCH_TASK],
                ).fetchone()[0]
                if not waiting:
                    drained_after = round(time.monotonic() - ended, 1)
                    break
                time.sleep(1)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)
    if not args.json:
        for (name, method), (count, failures, p50, p95) in sign_ins.items():
            print(
                f"While users started (not counted below): {method} {name}: {count} requests, {failures} "
                f"errors, p50 {p50:.0f} ms, p95 {p95:.0f} ms"
            )
    ok = report(environment, samples, drained_after, args, args.json)
    return 0 if ok else 1


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
