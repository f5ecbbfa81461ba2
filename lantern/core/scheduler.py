"""Periodic jobs run by `lantern worker`: each app registers what must run and how often."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A job the worker runs every `every` (from the next `at`, local time, when given; else from the start)."""

    name: str
    every: timedelta
    run: Callable[[], object]
    at: time | None = None


JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, every: timedelta, at: time | None = None):
    """Decorator: register a function to run every `every` in the worker, first at the next `at` if given."""

    def wrap(fn):
        JOBS[name] = PeriodicJob(name=name, every=every, run=fn, at=at)
        return fn

    return wrap


def next_local(at: time, now: datetime) -> datetime:
    """The next moment after `now` when the local clock shows `at`."""
    local = timezone.localtime(now)
    candidate = timezone.make_aware(datetime.combine(local.date(), at))
    return (
        candidate
        if candidate > now
        else timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), at))
    )


def run_due_jobs(now=None) -> list[str]:
    """Run every job whose time has come, claiming it in the database so two workers never run it twice."""
    from lantern.core.models import JobRun

    now = now or timezone.now()
    ran = []
    for job in JOBS.values():
        with transaction.atomic():
            state, _ = JobRun.objects.select_for_update().get_or_create(name=job.name)
            if state.next_run_at is None and job.at is not None:
                # A heavy job kept for quiet hours does not run the moment a worker first starts.
                state.next_run_at = next_local(job.at, now)
                state.save(update_fields=["next_run_at"])
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
