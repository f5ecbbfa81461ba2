"""`lantern worker`: runs queued background tasks and the periodic jobs (escalation sweeps, checkpoints, linking).

The worker lowers its own CPU priority (`--nice`, or the `LANTERN_WORKER_NICE` setting or environment variable,
10 by default) and, on Linux, asks for the idle scheduling class (`--idle`, the default; `--no-idle` or
LANTERN_WORKER_IDLE=0 to leave it out), under which a web request that wakes up takes the core from it at once:
what the worker does, such as matching a new report, can wait a second or two, and a web request cannot. It still
gets a small share of a busy machine, so its periodic jobs (escalation sweeps among them) are late, never lost.
Queued tasks run in slices between the periodic jobs, and wait (up to ten seconds at a time) while other work
keeps the CPUs contended (`CpuPressure`), because the database work they cause is not lowered with the worker.
"""

import argparse
import contextlib
import importlib
import logging
import os
import signal
import time
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections
from django.utils.module_loading import module_has_submodule

from lantern.core import scheduler
from lantern.core.database import is_database_unavailable
from lantern.core.queue import task_retry_if_database_was_away, tasks_requeue_abandoned, worker_id_for

logger = logging.getLogger(__name__)


def load_app_jobs() -> None:
    """Import every app's `jobs` module so its periodic jobs register."""
    for config in apps.get_app_configs():
        if config.name.startswith("lantern.") and module_has_submodule(config.module, "jobs"):
            importlib.import_module(f"{config.name}.jobs")


DEFAULT_NICENESS = 10


def configured_niceness() -> int:
    """The niceness asked for: the LANTERN_WORKER_NICE setting, else the environment variable, else 10."""
    value = getattr(settings, "LANTERN_WORKER_NICE", None)
    if value is None:
        value = os.environ.get("LANTERN_WORKER_NICE") or DEFAULT_NICENESS
    return int(value)


def configured_idle() -> bool:
    """Whether to ask for the idle scheduling class: the LANTERN_WORKER_IDLE setting, else the environment, else yes."""
    value = getattr(settings, "LANTERN_WORKER_IDLE", None)
    if value is None:
        value = os.environ.get("LANTERN_WORKER_IDLE", "1")
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def lower_priority(niceness: int, *, idle: bool = False) -> tuple[int, bool]:
    """Make this process at least `niceness` nice (never less nice than it was started) and, with `idle` where
    the system has it (Linux), put it in the idle scheduling class; returns its niceness and whether it is idle."""
    current = os.nice(0)
    niceness = os.nice(niceness - current) if niceness > current else current
    idle_class = getattr(os, "SCHED_IDLE", None)
    if idle and idle_class is not None:
        # Refused (a container's seccomp profile, say): niceness alone still applies.
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, idle_class, os.sched_param(0))
    return niceness, idle_class is not None and os.sched_getscheduler(0) == idle_class


# Seconds between looks for tasks whose worker died mid-task (and at start-up).
REQUEUE_EVERY = 60.0
# While the database is away the worker waits this long between attempts, doubling up to the second figure.
RECONNECT_WAIT = (0.5, 5.0)

# Queued tasks run in slices, so that a long queue (a burst of referrals to match) does not hold up the periodic
# jobs, escalation sweeps among them.
TASK_SLICE = 20
PRESSURE_FILE = Path("/proc/pressure/cpu")
# While other processes waited for a CPU for more than this share of the worker's last sleep, queued tasks wait.
BUSY_SHARE = 0.2
# ... but never for longer than this at a time, so matching slows under sustained load and never stops.
MAX_DEFERRAL = 10.0


class CpuPressure:
    """Whether the machine's CPUs have been contended since the last look (Linux's pressure stall information).

    The idle scheduling class keeps the worker's own computing out of the way of web requests, but not the
    database work its tasks cause, which PostgreSQL does at normal priority. So while requests keep the CPUs
    busy, queued tasks (real-time matching) wait for a lull, for at most MAX_DEFERRAL seconds at a time. On its
    own the worker and its database connection take turns, so they do not make each other wait: what it sees is
    other work. Where the kernel gives no pressure figures the worker never defers.
    """

    def __init__(self, path: Path = PRESSURE_FILE):
        self.path = path
        self.busy = False
        self._since = (self.stalled_microseconds(), time.monotonic())

    def stalled_microseconds(self) -> int | None:
        """The kernel's running total of time some task waited for a CPU, or None where there is none."""
        try:
            first = self.path.read_text().splitlines()[0]  # "some avg10=… avg60=… avg300=… total=N"
            return int(first.rsplit("total=", 1)[1])
        except (OSError, IndexError, ValueError):
            return None

    def update(self) -> bool:
        """Whether tasks waited for a CPU for more than BUSY_SHARE of the time since the last update."""
        (before, started), now = self._since, (self.stalled_microseconds(), time.monotonic())
        elapsed = now[1] - started
        self.busy = (
            before is not None
            and now[0] is not None
            and elapsed > 0
            and (now[0] - before) / 1e6 > BUSY_SHARE * elapsed
        )
        self._since = now
        return self.busy


class Command(BaseCommand):
    """Loop: run due periodic jobs, then a slice of the task queue (unless the CPUs are busy), then sleep briefly."""

    help = "Run Lantern's background worker."

    def add_arguments(self, parser):
        # Real-time matching of new reports waits on this poll, and link alerts are wanted within a second.
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls when idle.")
        parser.add_argument(
            "--once", action="store_true", help="Run due jobs and queued tasks once, then exit."
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=None,
            help="Lower the worker's CPU priority to this niceness (default: the LANTERN_WORKER_NICE setting or "
            f"environment variable, else {DEFAULT_NICENESS}; 0 leaves it as started), so that on a machine it "
            "shares with the web server, requests get the cores first and background work waits its turn.",
        )
        parser.add_argument(
            "--idle",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Run in Linux's idle scheduling class, giving way at once to any request (default: the "
            "LANTERN_WORKER_IDLE setting or environment variable, else yes).",
        )

    def handle(self, *args, interval, once, nice, idle, **options):
        # Matching a new report can wait a second or two; a web request cannot.
        niceness, idle = lower_priority(
            configured_niceness() if nice is None else nice, idle=configured_idle() if idle is None else idle
        )
        load_app_jobs()
        running = True

        def stop(signum, frame):
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        jobs = (
            scheduler.JOBS
        )  # looked up now, not at import, so that a registry put in its place is the one run
        self.stdout.write(
            f"Worker started with {len(jobs)} periodic jobs: {', '.join(sorted(jobs)) or 'none'}; "
            f"niceness {niceness}{', idle scheduling class' if idle else ''}."
        )
        queue = _worker_class()(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=TASK_SLICE,
            worker_id=worker_id_for(os.getpid()),
        )
        loop = _Loop(queue=queue, once=once)
        wait = RECONNECT_WAIT[0]
        while running:
            try:
                more = loop.step()
                wait = RECONNECT_WAIT[0]
            except DatabaseError as exc:
                if not is_database_unavailable(exc) or once:
                    raise
                # The database is restarting or unreachable: keep going, and carry on where it left off.
                logger.warning("Database unavailable (%s); trying again in %.1f s", exc, wait)
                loop.requeued_at = None  # once it is back, take back the task it was running, if any
                recycle_connections()
                time.sleep(wait)
                wait = min(wait * 2, RECONNECT_WAIT[1])
                continue
            if once:
                break
            if more:
                continue  # more are waiting: due jobs, a look at the CPUs, and the next slice
            for _ in range(int(interval * 10)):
                if not running:
                    break
                time.sleep(0.1)


def _worker_class():
    """django-tasks-db's worker, retrying a task that failed only because the database went away."""
    from django_tasks_db.management.commands.db_worker import Worker

    class RetryingWorker(Worker):
        def run_task(self, db_task_result) -> None:
            super().run_task(db_task_result)
            if task_retry_if_database_was_away(db_task_result):
                logger.warning("Task %s failed as the database went away; queued again", db_task_result.pk)

    return RetryingWorker


def recycle_connections() -> None:
    """Close connections that are broken or past their age, as Django does between requests, so the next query
    opens a fresh one; never a connection inside a transaction, which is its caller's (a test's, say) to end."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class _Loop:
    """One round of the worker: requeue abandoned tasks now and then, run due jobs, then a slice of tasks."""

    def __init__(self, *, queue, once: bool):
        self.queue = queue
        self.once = once
        self.pressure = CpuPressure()
        self.deferred_since = None
        self.requeued_at = None

    def step(self) -> bool:
        """Do one round; whether more queued tasks are waiting."""
        recycle_connections()
        if self.requeued_at is None or time.monotonic() - self.requeued_at >= REQUEUE_EVERY:
            if requeued := tasks_requeue_abandoned(idle_worker=self.queue.worker_id):
                logger.warning("Queued again %d task(s) whose worker stopped before finishing", requeued)
            self.requeued_at = time.monotonic()
        scheduler.run_due_jobs()
        if (
            self.pressure.update()
            and not self.once
            and (self.deferred_since is None or time.monotonic() - self.deferred_since < MAX_DEFERRAL)
        ):
            self.deferred_since = self.deferred_since or time.monotonic()
            return False
        self.deferred_since = None
        queue = self.queue
        while True:
            queue._run_tasks = 0  # a slice of at most TASK_SLICE tasks, so due jobs are not kept waiting
            queue.run()
            if not self.once or queue._run_tasks < TASK_SLICE:
                break  # `--once` empties the queue
        return queue._run_tasks >= TASK_SLICE
