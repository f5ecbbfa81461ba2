"""Periodic jobs run by `lantern worker`: each app registers what must run and how often."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A job the worker runs every `every`."""

    name: str
    every: timedelta
    run: Callable[[], object]


JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, every: timedelta):
    """Decorator: register a function to run every `every` in the worker."""

    def wrap(fn):
        JOBS[name] = PeriodicJob(name=name, every=every, run=fn)
        return fn

    return wrap


def run_due_jobs(now=None) -> list[str]:
    """Run every job whose time has come, claiming it in the database so two workers never run it twice."""
    from lantern.core.models import JobRun

    now = now or timezone.now()
    ran = []
    for job in JOBS.values():
        with transaction.atomic():
            state, _ = JobRun.objects.select_for_update().get_or_create(name=job.name)
            if state.next_run_at and state.next_run_at > now:
                continue
            state.next_run_at = now + job.every
            state.last_started_at = now
            state.save(update_fields=["next_run_at", "last_started_at"])
        try:
            job.run()
            JobRun.objects.filter(name=job.name).update(last_succeeded_at=timezone.now(), last_error="")
            ran.append(job.name)
        except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker
            logger.exception("Periodic job %s failed", job.name)
            JobRun.objects.filter(name=job.name).update(last_error=str(exc)[:1000])
    return ran
