"""`lantern worker`: runs queued background tasks and the periodic jobs (escalation sweeps, checkpoints, linking)."""

import importlib
import os
import signal
import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import module_has_submodule

from lantern.core.scheduler import JOBS, run_due_jobs


def load_app_jobs() -> None:
    """Import every app's `jobs` module so its periodic jobs register."""
    for config in apps.get_app_configs():
        if config.name.startswith("lantern.") and module_has_submodule(config.module, "jobs"):
            importlib.import_module(f"{config.name}.jobs")


class Command(BaseCommand):
    """Loop: run due periodic jobs, then drain the task queue, then sleep briefly."""

    help = "Run Lantern's background worker."

    def add_arguments(self, parser):
        # Real-time matching of new reports waits on this poll, and link alerts are wanted within a second.
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls when idle.")
        parser.add_argument("--once", action="store_true", help="Run due jobs and queued tasks once, then exit.")

    def handle(self, *args, interval, once, **options):
        from django_tasks_db.management.commands.db_worker import Worker

        load_app_jobs()
        running = True

        def stop(signum, frame):
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Worker started with {len(JOBS)} periodic jobs: {', '.join(sorted(JOBS)) or 'none'}.")
        queue = Worker(
            queue_names=["*"], excluded_queue_names=[], interval=0, batch=True, backend_name="default",
            startup_delay=False, max_tasks=None, worker_id=f"lantern-worker-{os.getpid()}",
        )
        while running:
            run_due_jobs()
            queue.run()
            if once:
                break
            for _ in range(int(interval * 10)):
                if not running:
                    break
                time.sleep(0.1)
