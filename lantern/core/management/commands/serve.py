"""`lantern serve`: the web server and the background worker together; Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Start gunicorn on 127.0.0.1:8000 and `lantern worker` beside it."""

    help = "Serve Lantern on http://127.0.0.1:8000 with the background worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("LANTERN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("LANTERN_WEB_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="Do not start the background worker.")

    def handle(self, *args, bind, workers, no_worker, **options):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "lantern.settings.dev"),
        }
        bin_dir = os.path.dirname(sys.executable)
        web_cmd = [
            os.path.join(bin_dir, "gunicorn"),
            "lantern.wsgi:application",
            "--bind",
            bind,
            "--config",
            "python:lantern.settings.gunicorn",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
        processes = [subprocess.Popen(web_cmd, env=env)]  # noqa: S603 - a fixed argument list, no shell
        if not no_worker:
            processes.append(subprocess.Popen([os.path.join(bin_dir, "lantern"), "worker"], env=env))  # noqa: S603 - a fixed argument list, no shell
        self.stdout.write(
            f"Lantern is running on http://{bind}/ (database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}). Press Ctrl-C to stop."
        )
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            for p in processes:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in processes:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.stdout.write("Lantern stopped.")
