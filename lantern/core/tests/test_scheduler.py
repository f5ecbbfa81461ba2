"""Periodic jobs run when due, once per period however many workers poll, and a failure does not stop others."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from lantern.core import scheduler
from lantern.core.models import JobRun


@pytest.fixture
def jobs(monkeypatch):
    """An empty job registry for the test."""
    monkeypatch.setattr(scheduler, "JOBS", {})
    return scheduler.JOBS


@pytest.mark.django_db
def test_job_runs_once_per_period(jobs):
    """A job due every 10 minutes runs at the first poll, not at the next, and again after 10 minutes."""
    calls = []
    scheduler.periodic("count", timedelta(minutes=10))(lambda: calls.append(1))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert scheduler.run_due_jobs() == ["count"]
        assert scheduler.run_due_jobs() == []
        clock.shift(timedelta(minutes=10, seconds=1))
        assert scheduler.run_due_jobs() == ["count"]
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_nightly_job_waits_for_its_hour_rather_than_running_when_the_worker_starts(jobs):
    """A job kept for 02:00 does not run at a worker's first poll in the afternoon; it runs at 02:00, then daily."""
    calls = []
    scheduler.periodic("nightly", timedelta(days=1), at=time(2, 0))(lambda: calls.append(1))
    afternoon = timezone.make_aware(datetime(2026, 3, 10, 15, 0))
    with time_machine.travel(afternoon, tick=False) as clock:
        assert scheduler.run_due_jobs() == []
        clock.move_to(timezone.make_aware(datetime(2026, 3, 11, 1, 59)))
        assert scheduler.run_due_jobs() == []
        clock.move_to(timezone.make_aware(datetime(2026, 3, 11, 2, 0, 1)))
        assert scheduler.run_due_jobs() == ["nightly"]
        assert scheduler.run_due_jobs() == []
    assert len(calls) == 1


@pytest.mark.django_db
def test_failing_job_is_recorded_and_others_still_run(jobs):
    """A job that raises is recorded with its error; the next job still runs."""
    ran = []

    def broken():
        raise RuntimeError("boom")

    scheduler.periodic("broken", timedelta(minutes=1))(broken)
    scheduler.periodic("fine", timedelta(minutes=1))(lambda: ran.append(1))
    assert scheduler.run_due_jobs() == ["fine"]
    assert ran == [1]
    assert JobRun.objects.get(name="broken").last_error == "boom"
    assert JobRun.objects.get(name="fine").last_succeeded_at is not None


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_due_jobs(jobs, capsys, monkeypatch):
    """`lantern worker --once` runs the due periodic jobs and exits."""
    calls = []
    scheduler.periodic("tick", timedelta(minutes=1))(lambda: calls.append(1))
    from lantern.core.management.commands import worker

    monkeypatch.setattr(worker, "load_app_jobs", lambda: None)
    call_command("worker", "--once", "--nice", "0")  # the test process keeps its priority
    assert calls == [1]
    assert "1 periodic jobs" in capsys.readouterr().out
