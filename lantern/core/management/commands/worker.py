"""`lantern worker`: runs queued background tasks and the periodic jobs (escalation sweeps, checkpoints, linking).

The worker lowers its own CPU priority (`--nice`, or the `LANTERN_WORKER_NICE` setting or environment variable,
10 by default): what it does, such as matching a new report, can wait a second or two, and a web request cannot.
"""

import importlib
import os
import signal
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import module_has_submodule

from lantern.core import scheduler


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


def lower_priority(niceness: int) -> int:
    """Make this process at least `niceness` nice (never less nice than it was started); returns its niceness."""
    current = os.nice(0)
    return os.nice(niceness - current) if niceness > current else current


class Command(BaseCommand):
    """Loop: run due periodic jobs, then drain the task queue, then sleep briefly."""

    help = "Run Lantern's background worker."

    def add_arguments(self, parser):
        # Real-time matching of new reports waits on this poll, and link alerts are wanted within a second.
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls when idle.")
        parser.add_argument("--once", action="store_true", help="Run due jobs and queued tasks once, then exit.")
        parser.add_argument(
            "--nice", type=int, default=None,
            help="Lower the worker's CPU priority to this niceness (default: the LANTERN_WORKER_NICE setting or "
                 f"environment variable, else {DEFAULT_NICENESS}; 0 leaves it as started), so that on a machine it "
                 "shares with the web server, requests get the cores first and background work waits its turn.",
        )

    def handle(self, *args, interval, once, nice, **options):
        from django_tasks_db.management.commands.db_worker import Worker

        # Matching a new report can wait a second or two; a web request cannot.
        niceness = lower_priority(configured_niceness() if nice is None else nice)
        load_app_jobs()
        running = True

        def stop(signum, frame):
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        jobs = scheduler.JOBS  # looked up now, not at import, so that a registry put in its place is the one run
        self.stdout.write(f"Worker started with {len(jobs)} periodic jobs: {', '.join(sorted(jobs)) or 'none'}; "
                          f"niceness {niceness}.")
        queue = Worker(
            queue_names=["*"], excluded_queue_names=[], interval=0, batch=True, backend_name="default",
            startup_delay=False, max_tasks=None, worker_id=f"lantern-worker-{os.getpid()}",
        )
        while running:
            scheduler.run_due_jobs()
            queue.run()
            if once:
                break
            for _ in range(int(interval * 10)):
                if not running:
                    break
                time.sleep(0.1)
