"""Faults on PostgreSQL: processes killed mid-work and the database restarted under load; prints what survived.

Each scenario runs real processes, as `lantern serve` does, against a PostgreSQL server of the benchmark's own
(initdb into a temporary directory, on a free port), so restarting it disturbs nobody else's databases:

- `web-kill`: clients post referrals through gunicorn, each with its own Idempotency-Key, retrying a failed or
  refused request with the same key; meanwhile gunicorn's worker processes are killed (SIGKILL) mid-request.
  Every referral must exist exactly once, with its one `referral.created` audit event.
- `worker-kill`: the background worker is frozen while it runs a real-time matching task, then killed
  (SIGKILL); a new worker must put that task back on the queue and finish every task.
- `import-kill`: `lantern import referrals` is killed while it writes; the database must hold none of the file,
  and the same import run again must bring in every row once.
- `db-restart`: while clients post referrals and read pages, PostgreSQL is stopped (fast shutdown, which ends
  every connection), kept down for a few seconds and started again. While it is down every answer must be a 503
  with Retry-After (never a 500), and afterwards requests must succeed again with gunicorn and the worker as they
  were (same processes); referrals sent with retries exist once, and matching finishes.

After each, `lantern audit_verify` must pass. Exit status 0 when every check passed.
"""

import argparse
import contextlib
import http.client
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from intake import (  # noqa: E402 - bench/ is not a package; its helpers are imported from the folder
    PASSWORD,
    api_tokens,
    free_port,
    referral_bodies,
    referrals_file,
    stop,
)

from lantern.core.crypto import new_key  # noqa: E402 - after ROOT is on the path

PG_BIN = Path(os.environ.get("LANTERN_PG_BIN", "/usr/lib/postgresql/15/bin"))
MATCH_TASK = "lantern.intel.linking.tasks.match_report"
# What the processes started here write on stderr (tracebacks of the faults themselves): kept out of the table.
PROCESS_LOG = ROOT / "var" / "bench" / "faults" / "processes.log"
# `python -m lantern.cli` from ROOT runs this checkout's code; `.venv/bin/lantern` runs whichever checkout the
# shared virtualenv was installed from.
LANTERN = [sys.executable, "-m", "lantern.cli"]


def process_log():
    """The file the started processes write their stderr to (appended)."""
    PROCESS_LOG.parent.mkdir(parents=True, exist_ok=True)
    return open(PROCESS_LOG, "a")  # noqa: SIM115 - held by the child process


def start_gunicorn(*, port: int, env: dict, workers: int = 2, threads: int = 4) -> subprocess.Popen:
    """gunicorn as `lantern serve` runs it, in a session of its own; returns once /healthz answers."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "lantern.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--config",
        "python:lantern.settings.gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stderr=process_log())
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}; see {PROCESS_LOG}.")
        with contextlib.suppress(OSError):
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                probe.close()
                return server
        time.sleep(0.3)
    stop(server)
    raise SystemExit("gunicorn did not answer /healthz within 90 seconds.")


def start_worker(env: dict) -> subprocess.Popen:
    """`lantern worker`, in a session of its own."""
    return subprocess.Popen(
        [*LANTERN, "worker"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=process_log(),
    )


class Postgres:
    """A throwaway PostgreSQL server in a temporary directory, run as the `postgres` user when this is root."""

    def __init__(self, port: int):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="lantern-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        if self.user:
            command = ("runuser", "-u", self.user, "--", *command)
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def init(self) -> None:
        """Create the cluster (trust authentication, user postgres) and start it."""
        if self.user:
            record = pwd.getpwnam(self.user)
            os.chown(self.dir, record.pw_uid, record.pw_gid)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends every connection at once (as a restart does)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def remove(self) -> None:
        """Stop the server and delete its files."""
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        """DATABASE_URL of the benchmark's database on this server."""
        return f"postgres://postgres@127.0.0.1:{self.port}/lantern_ops_faults"


def lantern(*args: str, env: dict, check: bool = False) -> subprocess.CompletedProcess:
    """Run a `lantern` command and return what it printed."""
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "lantern"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )


def audit_verifies(env: dict) -> tuple[bool, str]:
    """Whether `lantern audit_verify` passes, and its verdict."""
    done = lantern("audit_verify", "--no-record", env=env)
    return done.returncode == 0, (done.stdout + done.stderr).strip().splitlines()[-1]


def gunicorn_workers(master: subprocess.Popen) -> list[int]:
    """The process ids of gunicorn's worker processes (the master's children)."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    with contextlib.suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


class Sender(threading.Thread):
    """Posts referrals, each with an Idempotency-Key, retrying the same key until one answer says it is stored."""

    def __init__(self, port: int, token: str, bodies: list[bytes], *, give_up_after: float = 120.0):
        super().__init__(daemon=True)
        self.port, self.token, self.bodies = port, token, bodies
        self.give_up_after = give_up_after
        self.keys: list[str] = []
        self.ids: list[int] = []
        self.statuses: Counter = Counter()
        self.lost = 0

    def post(self, body: bytes, key: str) -> tuple[int | None, dict, dict]:
        """One attempt: the status (None if the connection failed), the headers and the JSON body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                "POST",
                "/api/v1/referrals",
                body=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                },
            )
            response = connection.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = {}
            return response.status, dict(response.getheaders()), parsed
        except OSError:
            return None, {}, {}
        finally:
            connection.close()

    def run(self) -> None:
        for body in self.bodies:
            key = uuid.uuid4().hex
            self.keys.append(key)
            started = time.monotonic()
            while True:
                status, headers, parsed = self.post(body, key)
                self.statuses[status or "connection failed"] += 1
                if status in (200, 201):
                    self.ids.append(parsed["id"])
                    break
                if time.monotonic() - started > self.give_up_after:
                    self.lost += 1
                    break
                time.sleep(float(headers.get("Retry-After", 0.2)) if status == 503 else 0.2)


def referral_checks(ids: list[int]) -> dict:
    """Whether every referral answered exists once, with exactly one `referral.created` event, and nothing else."""
    from django.db import connection

    from lantern.audit.chain import chain_pending
    from lantern.audit.models import AuditEvent
    from lantern.intake.models import Referral

    connection.close()
    chain_pending()  # what a killed process left pending joins the chain, as the worker's backstop job does
    events = Counter(
        AuditEvent.objects.filter(
            event_type="referral.created", object_type="intake.referral", object_id__in=[str(i) for i in ids]
        ).values_list("object_id", flat=True)
    )
    return {
        "answered": len(ids),
        "distinct": len(set(ids)),
        "stored": Referral.objects.filter(pk__in=ids).count(),
        "stored_in_all": Referral.objects.count(),
        "audited_once": sum(1 for i in ids if events.get(str(i)) == 1),
    }


def matching_state() -> Counter:
    """How many real-time matching tasks are in each state."""
    from django_tasks_db.models import DBTaskResult

    return Counter(DBTaskResult.objects.filter(task_path=MATCH_TASK).values_list("status", flat=True))


def wait_for_matching(timeout: float) -> Counter:
    """Wait until no matching task is waiting or running; the states then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = matching_state()
        if not state.get("READY") and not state.get("RUNNING"):
            return state
        time.sleep(0.5)
    return matching_state()


def fresh_referral_count() -> int:
    """Referrals in the database now (each scenario counts what it adds)."""
    from django.db import connection

    from lantern.intake.models import Referral

    connection.close()
    return Referral.objects.count()


# The scenarios
def web_kill(env: dict, tokens: list[str], *, referrals: int, kills: int) -> dict:
    """Kill gunicorn's workers mid-request while clients post with Idempotency-Keys and retry."""
    port = free_port()
    before = fresh_referral_count()
    server = start_gunicorn(port=port, env=env)
    try:
        per_sender = max(1, referrals // len(tokens))
        bodies = referral_bodies(per_sender * len(tokens), seed=11)
        senders = [
            Sender(port, t, bodies[i * per_sender : (i + 1) * per_sender]) for i, t in enumerate(tokens)
        ]
        for sender in senders:
            sender.start()
        killed = 0
        while killed < kills and any(s.is_alive() for s in senders):
            time.sleep(1.0)
            workers = gunicorn_workers(server)
            if workers:
                os.kill(workers[killed % len(workers)], signal.SIGKILL)
                killed += 1
        for sender in senders:
            sender.join()
    finally:
        stop(server)
    ids = [i for s in senders for i in s.ids]
    checks = referral_checks(ids)
    ok_audit, verdict = audit_verifies(env)
    statuses = sum((s.statuses for s in senders), Counter())
    sent = per_sender * len(tokens)
    passed = (
        checks["answered"] == checks["distinct"] == checks["stored"] == checks["audited_once"] == sent
        and checks["stored_in_all"] - before == sent
        and not any(s.lost for s in senders)
        and ok_audit
    )
    return {
        "scenario": "web-kill",
        "what": f"{killed} gunicorn workers killed (SIGKILL) while {len(tokens)} clients posted {sent} referrals",
        "answers": dict(statuses),
        "referrals_sent": sent,
        "stored_once": checks["audited_once"],
        "new_in_database": checks["stored_in_all"] - before,
        "audit_verify": verdict,
        "passed": passed,
    }


def worker_kill(env: dict, tokens: list[str], *, referrals: int) -> dict:
    """Freeze the worker while it runs a matching task, kill it, and let a new worker finish the queue."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    port = free_port()
    server = start_gunicorn(port=port, env=env)
    try:
        sender = Sender(port, tokens[0], referral_bodies(referrals, seed=12))
        sender.run()  # the queue fills while no worker runs
    finally:
        stop(server)
    caught = None
    attempts = 0
    while caught is None and attempts < 50:
        attempts += 1
        worker = start_worker({**env, "LANTERN_WORKER_IDLE": "0", "LANTERN_WORKER_NICE": "0"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and caught is None:
            connection.close()
            running = DBTaskResult.objects.filter(task_path=MATCH_TASK, status="RUNNING")
            if running.exists():
                os.kill(worker.pid, signal.SIGSTOP)  # frozen: whatever it is running stays running
                frozen = list(running.values_list("pk", "worker_ids"))
                mine = [pk for pk, ids in frozen if ids and ids[-1].endswith(f"-{worker.pid}")]
                if mine:
                    caught = mine[0]
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
                else:
                    os.kill(worker.pid, signal.SIGCONT)
            time.sleep(0.005)
        if caught is None:
            stop(worker)
    left_running = DBTaskResult.objects.filter(pk=caught, status="RUNNING").exists() if caught else False
    worker = start_worker(env)
    try:
        state = wait_for_matching(timeout=300)
    finally:
        stop(worker)
    task = (
        DBTaskResult.objects.filter(pk=caught).values_list("status", "worker_ids").first() if caught else None
    )
    ok_audit, verdict = audit_verifies(env)
    passed = bool(
        caught
        and left_running
        and task
        and task[0] == "SUCCESSFUL"
        and len(task[1]) == 2
        and state.get("SUCCESSFUL", 0) == sum(state.values())
        and ok_audit
    )
    return {
        "scenario": "worker-kill",
        "what": f"worker killed (SIGKILL) mid-task with {referrals} referrals' matching queued",
        "killed_task_left_running": left_running,
        "killed_task_then": f"{task[0]} after {len(task[1])} claims" if task else "none caught",
        "matching_tasks": dict(state),
        "audit_verify": verdict,
        "passed": passed,
    }


def import_kill(env: dict, url: str, *, rows: int) -> dict:
    """Kill `lantern import referrals` while it writes; nothing of the file stays; running it again imports it."""
    import psycopg

    path = referrals_file(rows)
    before = fresh_referral_count()
    command = [str(ROOT / ".venv" / "bin" / "lantern"), "import", "referrals", str(path)]
    importer = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    writing = False
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as watch:
        deadline = time.monotonic() + 600
        while importer.poll() is None and time.monotonic() < deadline:
            # Writing: the import's connection (the only other one) has begun writing in its transaction.
            row = watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            ).fetchone()
            if row[0]:
                writing = True
                time.sleep(1.0)  # some batches in
                importer.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
    importer.wait()
    after_kill = fresh_referral_count() - before
    done = lantern("import", "referrals", str(path), env=env)
    after_rerun = fresh_referral_count() - before
    ok_audit, verdict = audit_verifies(env)
    passed = writing and importer.returncode == -signal.SIGKILL and after_kill == 0 and after_rerun == rows
    return {
        "scenario": "import-kill",
        "what": f"`lantern import referrals` of {rows} rows killed (SIGKILL) while writing",
        "killed_while_writing": writing,
        "referrals_left_by_killed_import": after_kill,
        "referrals_after_running_it_again": after_rerun,
        "rerun_status": done.returncode,
        "audit_verify": verdict,
        "passed": passed and done.returncode == 0 and ok_audit,
    }


class Reader(threading.Thread):
    """Reads /api/v1/me and a page in a loop, noting each answer's status and Retry-After, by time."""

    def __init__(self, port: int, token: str, stop_event: threading.Event):
        super().__init__(daemon=True)
        self.port, self.token, self.stop_event = port, token, stop_event
        # Each answer's start and end time, status and Retry-After.
        self.answers: list[tuple[float, float, int | None, str | None]] = []

    def run(self) -> None:
        while not self.stop_event.is_set():
            for path in ("/api/v1/me", "/api/v1/referrals?limit=5"):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                started = time.monotonic()
                try:
                    connection.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
                    response = connection.getresponse()
                    response.read()
                    answer = (response.status, response.getheader("Retry-After"))
                except OSError:
                    answer = (None, None)
                finally:
                    connection.close()
                self.answers.append((started, time.monotonic(), *answer))
            time.sleep(0.05)


def db_restart(env: dict, tokens: list[str], postgres: Postgres, *, referrals: int, down: float) -> dict:
    """Stop PostgreSQL under load for `down` seconds and start it again; Lantern must answer 503s, then recover."""
    port = free_port()
    before = fresh_referral_count()
    worker = start_worker(env)
    server = start_gunicorn(port=port, env=env)
    pids_before = sorted([worker.pid, server.pid, *gunicorn_workers(server)])
    stop_reading = threading.Event()
    readers = [Reader(port, t, stop_reading) for t in tokens[:2]]
    per_sender = max(1, referrals // len(tokens))
    bodies = referral_bodies(per_sender * len(tokens), seed=13)
    senders = [Sender(port, t, bodies[i * per_sender : (i + 1) * per_sender]) for i, t in enumerate(tokens)]
    try:
        for thread in (*readers, *senders):
            thread.start()
        time.sleep(2.0)
        from django.db import connection

        connection.close()
        postgres.stop("fast")
        stopped_at = time.monotonic()  # the server has shut down
        time.sleep(down)
        started_at = time.monotonic()
        postgres.start()
        for sender in senders:
            sender.join()
        time.sleep(2.0)
        stop_reading.set()
        for reader in readers:
            reader.join()
        pids_after = sorted([worker.pid, server.pid, *gunicorn_workers(server)])
        alive = worker.poll() is None and server.poll() is None
        state = wait_for_matching(timeout=300)
    finally:
        stop_reading.set()
        stop(server)
        stop(worker)
    answers = [a for r in readers for a in r.answers]
    # Requests sent and answered while the server was down, and those sent after it was started again.
    during = [a for a in answers if stopped_at <= a[0] and a[1] <= started_at]
    after = sorted((a for a in answers if a[0] > started_at), key=lambda a: a[0])
    first_ok_after = next((a[1] - started_at for a in after if a[2] == 200), None)
    statuses = Counter(status for _, _, status, _ in answers)
    sent_statuses = sum((s.statuses for s in senders), Counter())
    ids = [i for s in senders for i in s.ids]
    checks = referral_checks(ids)
    sent = per_sender * len(tokens)
    ok_audit, verdict = audit_verifies(env)
    passed = (
        bool(during)
        and all(status == 503 and retry == "5" for _, _, status, retry in during)
        and 500 not in statuses
        and 500 not in sent_statuses
        and first_ok_after is not None
        and all(status == 200 for _, _, status, _ in after[-10:])
        and alive
        and pids_before == pids_after
        and checks["answered"] == checks["stored"] == checks["audited_once"] == sent
        and checks["stored_in_all"] - before == sent
        and state.get("SUCCESSFUL", 0) == sum(state.values())
        and ok_audit
    )
    return {
        "scenario": "db-restart",
        "what": f"PostgreSQL stopped (fast) for {down:.0f} s and started while {len(tokens)} clients posted "
        f"{sent} referrals and 2 read",
        "reads_while_down": dict(Counter(s for _, _, s, _ in during)),
        "reads_in_all": dict(statuses),
        "posts_in_all": dict(sent_statuses),
        "first_200_after_start_s": round(first_ok_after, 2) if first_ok_after is not None else None,
        "same_processes": pids_before == pids_after and alive,
        "referrals_sent": sent,
        "stored_once": checks["audited_once"],
        "matching_tasks": dict(state),
        "audit_verify": verdict,
        "passed": passed,
    }


def report(rows: list[dict], as_json: bool) -> None:
    """Print each scenario's figures."""
    if as_json:
        for row in rows:
            print(json.dumps({"benchmark": "faults", **row}))
        return
    for row in rows:
        print(f"{row['scenario']}: {'PASSED' if row['passed'] else 'FAILED'} - {row['what']}")
        for key, value in row.items():
            if key not in ("scenario", "what", "passed"):
                print(f"    {key.replace('_', ' ')}: {value}")


SCENARIOS = ("web-kill", "worker-kill", "import-kill", "db-restart")


def main(argv: list[str] | None = None) -> int:
    """Set up the throwaway server and database, run the scenarios, print what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="One JSON object per line instead of text.")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"Scenarios to run ({','.join(SCENARIOS)})."
    )
    parser.add_argument("--clients", type=int, default=8, help="Concurrent clients posting referrals (8).")
    parser.add_argument("--referrals", type=int, default=400, help="Referrals posted in each scenario (400).")
    parser.add_argument("--kills", type=int, default=4, help="gunicorn workers killed in web-kill (4).")
    parser.add_argument("--rows", type=int, default=20_000, help="Rows in import-kill's file (20,000).")
    parser.add_argument("--down", type=float, default=5.0, help="Seconds PostgreSQL stays down (5).")
    args = parser.parse_args(argv)
    chosen = [s for s in args.only.split(",") if s]
    if unknown := set(chosen) - set(SCENARIOS):
        parser.error(f"Unknown scenarios: {', '.join(sorted(unknown))}")

    PROCESS_LOG.unlink(missing_ok=True)
    postgres = Postgres(free_port())
    postgres.init()
    try:
        checkpoints = postgres.dir / "checkpoints"
        env = {
            **os.environ,
            "DATABASE_URL": postgres.url,
            "DJANGO_SETTINGS_MODULE": "lantern.settings.dev",
            "LANTERN_CHECKPOINT_DIR": str(checkpoints),
            "LANTERN_VAR_DIR": str(postgres.dir / "var"),
            # A throwaway database, so a throwaway field key for its narratives.
            "LANTERN_FIELD_KEY": os.environ.get("LANTERN_FIELD_KEY") or new_key(),
            "PYTHONPATH": str(ROOT),
        }
        os.environ.update(env)
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{postgres.port}/postgres", autocommit=True
        ) as c:
            c.execute("CREATE DATABASE lantern_ops_faults")
        import django

        django.setup()
        from django.core.management import call_command

        from lantern.demo.services import borough_load

        call_command("migrate", verbosity=0)
        borough_load(password=PASSWORD)
        tokens = api_tokens(args.clients)
        rows = []
        for scenario in chosen:
            if scenario == "web-kill":
                rows.append(web_kill(env, tokens, referrals=args.referrals, kills=args.kills))
            elif scenario == "worker-kill":
                rows.append(worker_kill(env, tokens, referrals=args.referrals))
            elif scenario == "import-kill":
                rows.append(import_kill(env, postgres.url, rows=args.rows))
            else:
                rows.append(db_restart(env, tokens, postgres, referrals=args.referrals, down=args.down))
            report(rows[-1:], args.json)
        from django.db import connections

        connections.close_all()
    finally:
        postgres.remove()
    if not args.json:
        print(f"(What the processes wrote on stderr, the faults' own tracebacks among it: {PROCESS_LOG})")
    return 0 if all(row["passed"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
