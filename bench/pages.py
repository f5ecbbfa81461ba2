"""Per-request cost of each page in the soak's mix, one request at a time: CPU, SQL queries and their time.

The soak (bench/soak.py) saturates two CPUs, so its latencies follow from how much CPU each request takes. This
measures that directly, single-threaded, through Django's test client (every middleware, the session, the
templates) on the soak's borough: for each endpoint of the mix, the median wall time, the server's CPU time,
the number of SQL queries and their total time, and optionally the Python function calls a request makes
(which vary less than times with what else the machine is doing) and the costliest functions (`--profile`,
`--verbose`).

```
DATABASE_URL=postgres://postgres@127.0.0.1:5432/lantern_ops_soak .venv/bin/python bench/pages.py [--repeat 20]
    [--only entity] [--profile [--verbose]] [--json]
```

It needs the borough `bench/soak.py` loads (run the soak once first). Its writes (screening and deciding
referrals, acknowledging and completing tasks, public reports) go into that borough, as the soak's do.
Staff are signed in with `force_login`: the soak counts its sign-ins apart, and so does this.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench" / "soak"


def setup_django() -> None:
    """Lantern's soak settings, against the soak's borough, its field key and its var/."""
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_ops_soak")
    os.environ["DJANGO_SETTINGS_MODULE"] = "_soak_settings"
    os.environ.setdefault("LANTERN_DEMO", "1")
    os.environ.setdefault("LANTERN_VAR_DIR", str(VAR))
    os.environ.setdefault("LANTERN_CHECKPOINT_DIR", str(VAR / "checkpoints"))
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()


class Measure:
    """Runs one endpoint `repeat` times and keeps its figures."""

    def __init__(self, repeat: int, profile: bool):
        self.repeat, self.profile, self.rows = repeat, profile, []

    def run(self, name: str, call) -> None:
        """Time `call()` (which makes one request and returns the response) `repeat` times."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        call()  # warm: the first request loads templates and prepares statements
        walls, cpus, queries, sql_ms, statuses = [], [], [], [], set()
        profiler = cProfile.Profile() if self.profile else None
        for _ in range(self.repeat):
            with CaptureQueriesContext(connection) as captured:
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                response = call()
                if profiler:
                    profiler.disable()
                cpus.append((time.process_time() - cpu) * 1000)
                walls.append((time.perf_counter() - wall) * 1000)
            statuses.add(response.status_code)
            queries.append(len(captured.captured_queries))
            sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        row = {
            "endpoint": name,
            "wall_ms": round(statistics.median(walls), 1),
            "cpu_ms": round(statistics.median(cpus), 1),
            "queries": round(statistics.median(queries), 1),
            "sql_ms": round(statistics.median(sql_ms), 1),
            "status": sorted(statuses),
        }
        self.rows.append(row)
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            # Python function calls a request: unlike times, they do not vary with what else the machine is doing.
            row["calls"] = round(stats.total_calls / self.repeat)
            stats.sort_stats("cumulative").print_stats(40)
            row["profile"] = out.getvalue()


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DRAFT = re.compile(r'name="draft" value="([^"]*)"')
SHOWN = re.compile(r'data-testid="(reference|secret)">([^<]+)<')


def _field(pattern, text: str) -> str:
    match = pattern.search(text)
    return match.group(1) if match else ""


def staff_client(username: str):
    """A test client signed in as one of Riverton's demo users."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def api_client(username: str):
    """A test client carrying a fresh API token for the user, as the soak's `lantern token` gives."""
    from django.core.management import call_command
    from django.test import Client

    out = io.StringIO()
    call_command("token", username, stdout=out)
    return Client(
        SERVER_NAME="127.0.0.1", headers={"authorization": f"Bearer {out.getvalue().strip().split()[-1]}"}
    )


def pool() -> dict:
    """Work for the measured requests, read as the soak reads it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM intake_referral WHERE status = 'received' ORDER BY id DESC LIMIT 500")
        referrals = [r[0] for r in cursor.fetchall()]
        tasks = {}
        for username in ("police.practitioner", "csc.practitioner"):
            cursor.execute(
                "SELECT t.id FROM casework_agencytask t JOIN accounts_user u ON u.agency_id = t.agency_id "
                "WHERE u.username = %s AND t.status = 'awaiting_ack' ORDER BY t.id DESC LIMIT 500",
                [username],
            )
            tasks[username] = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT id FROM intel_entity ORDER BY md5(id::text) LIMIT 200")  # the same each run
        entities = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT label FROM intel_entity WHERE label <> '' ORDER BY md5(id::text) LIMIT 200")
        searches = [r[0] for r in cursor.fetchall()]
    return {"referrals": referrals, "tasks": tasks, "entities": entities, "searches": searches}


def measure_staff(m: Measure, work: dict, only: str) -> None:
    """The signed-in pages and API calls of the mix."""
    rng = random.Random(1)

    def wanted(name: str) -> bool:
        return not only or only in name

    front = staff_client("frontdoor.worker")
    front_api = api_client("frontdoor.worker")
    if wanted("/front-door/"):
        m.run("GET /front-door/", lambda: front.get("/front-door/"))
    referrals = list(work["referrals"])
    if wanted("screen"):
        m.run("GET /referrals/[id]/screen", lambda: front.get(f"/referrals/{rng.choice(referrals)}/screen"))
    if wanted("screening") or wanted("decision"):

        def screen_and_decide():
            referral = referrals.pop()
            front_api.post(
                f"/api/v1/referrals/{referral}/screening",
                {"indicators": {}, "professional_judgement": "Screened in the bench.", "child_age": 14},
                content_type="application/json",
            )
            return front_api.post(
                f"/api/v1/referrals/{referral}/decision",
                {
                    "kind": "refer",
                    "rationale": "Refer for enquiries.",
                    "priority": "amber",
                    "agencies": ["riverton-police", "riverton-csc"],
                },
                content_type="application/json",
            )

        m.run("POST screening + decision (API)", screen_and_decide)

    work = pool()  # the tasks of the referrals just decided
    police = staff_client("police.practitioner")
    police_api = api_client("police.practitioner")
    if wanted("/tasks/mine/"):
        m.run("GET /tasks/mine/", lambda: police.get("/tasks/mine/"))
    waiting = list(work["tasks"]["police.practitioner"])
    if wanted("/tasks/[id]/"):
        m.run("GET /tasks/[id]/", lambda: police.get(f"/tasks/{rng.choice(waiting)}/"))
    if wanted("acknowledge") or wanted("complete"):

        def acknowledge_and_complete():
            task_id = waiting.pop()
            police_api.post(f"/api/v1/tasks/{task_id}/acknowledge")
            return police_api.post(
                f"/api/v1/tasks/{task_id}/complete",
                {"outcome": "investigation", "narrative": "Worked in the bench."},
                content_type="application/json",
            )

        m.run("POST acknowledge + complete (API)", acknowledge_and_complete)

    analyst = staff_client("police.analyst")
    if wanted("?q="):
        m.run(
            "GET /intel/entities/?q=",
            lambda: analyst.get("/intel/entities/", {"q": rng.choice(work["searches"])}),
        )
    if wanted("/intel/entities/[id]/"):
        m.run(
            "GET /intel/entities/[id]/",
            lambda: analyst.get(f"/intel/entities/{rng.choice(work['entities'])}/"),
        )
    if wanted("/intel/alerts/"):
        m.run("GET /intel/alerts/", lambda: analyst.get("/intel/alerts/"))

    lead = staff_client("partnership.lead")
    for path in ("/insights/accountability", "/insights/scale", "/insights/hotspots", "/"):
        if wanted(path if path != "/" else "home"):
            m.run(f"GET {path}", lambda path=path: lead.get(path))


def measure_public(m: Measure, only: str) -> None:
    """The public report's question pages, sending it, and looking it up at /track."""
    from django.test import Client

    if only and only not in "/report /track":
        return
    steps = [
        (
            "what-happened",
            {"summary": "Girls from the estate are picked up by older men in a car."},
            "continue",
        ),
        ("where-and-when", {"place_name": "Millbrook Park", "place_type": "park"}, "continue"),
        ("children", {"name": "Jade Example", "age": "14"}, "continue"),
        ("people", {"name": "Daz", "description": "Older."}, "continue"),
        ("vehicles", {"registration": "K12 ABC", "colour": "grey"}, "continue"),
        ("phone-numbers", {}, "skip"),
        ("about-you", {"identity": "anonymous"}, "continue"),
    ]
    public = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
    state = {"draft": ""}
    sent: list[tuple[str, str]] = []

    def step_get(slug):
        page = public.get(f"/report/{slug}")
        state["page"] = page.content.decode()
        return page

    def step_post(slug, data, action):
        page = state["page"]
        return public.post(
            f"/report/{slug}",
            {
                **data,
                "draft": _field(DRAFT, page),
                "action": action,
                "csrfmiddlewaretoken": _field(CSRF, page),
            },
        )

    def whole_report():
        public.get("/report")
        for slug, data, action in steps:
            step_get(slug)
            step_post(slug, data, action)
        check = public.get("/report/check-your-answers").content.decode()
        done = public.post(
            "/report/check-your-answers",
            {"draft": _field(DRAFT, check), "csrfmiddlewaretoken": _field(CSRF, check)},
        )
        shown = dict(SHOWN.findall(done.content.decode()))
        if "reference" in shown:
            sent.append((shown["reference"].strip(), shown["secret"].strip()))
        return done

    m.run("GET /report/[step]", lambda: step_get("children"))

    def first_answer():
        # A newcomer each time: a second answer to the first page from the same browser is a stale draft.
        newcomer = Client(enforce_csrf_checks=True, SERVER_NAME="127.0.0.1")
        page = newcomer.get("/report/what-happened").content.decode()
        return newcomer.post(
            "/report/what-happened",
            {**steps[0][1], "draft": "", "action": "continue", "csrfmiddlewaretoken": _field(CSRF, page)},
        )

    m.run("GET+POST /report/[step] (first answer)", first_answer)
    m.run("whole /report, 18 requests", whole_report)

    def look_up():
        page = public.get("/track").content.decode()
        reference, secret = random.choice(sent)
        return public.post(
            "/track", {"reference": reference, "secret": secret, "csrfmiddlewaretoken": _field(CSRF, page)}
        )

    m.run("GET /track", lambda: public.get("/track"))
    if sent:
        m.run("GET+POST /track (look up)", look_up)


def main(argv: list[str] | None = None) -> int:
    """Measure every endpoint of the soak's mix and print a table (or JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="Requests measured per endpoint (20).")
    parser.add_argument("--only", default="", help="Only endpoints whose name contains this.")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Count Python function calls a request (cProfile; slows the timing).",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="With --profile: each endpoint's costliest functions."
    )
    parser.add_argument("--json", action="store_true", help="One JSON object per line instead of a table.")
    args = parser.parse_args(argv)
    setup_django()
    m = Measure(args.repeat, args.profile)
    measure_public(m, args.only)  # first: the reports it sends are the referrals screened and decided next
    measure_staff(m, pool(), args.only)
    width = max(len(r["endpoint"]) for r in m.rows) if m.rows else 10
    if not args.json:
        print(f"{'endpoint'.ljust(width)}  wall ms  cpu ms  queries  sql ms  status  calls")
    for r in m.rows:
        if args.json:
            print(json.dumps({"benchmark": "pages", **{k: v for k, v in r.items() if k != "profile"}}))
        else:
            print(
                f"{r['endpoint'].ljust(width)}  {r['wall_ms']:7.1f}  {r['cpu_ms']:6.1f}  {r['queries']:7.0f}  "
                f"{r['sql_ms']:6.1f}  {','.join(map(str, r['status'])):6}  {r.get('calls', '')}"
            )
        if "profile" in r and args.verbose:
            print(r["profile"])
    print(
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
