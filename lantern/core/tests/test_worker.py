"""`lantern worker` gives way to the web server: it lowers its own CPU priority, and only its own."""

import multiprocessing
import os

import pytest

from lantern.core.management.commands import worker


def _niceness_after(niceness: int, idle: bool, results) -> None:
    niceness, is_idle = worker.lower_priority(niceness, idle=idle)
    results.put((niceness, os.nice(0)) if not idle else (niceness, is_idle, os.sched_getscheduler(0)))


def in_child(niceness: int, *, idle: bool = False) -> tuple:
    """Lower the priority in a forked child (a process's niceness cannot be raised back without privileges)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_niceness_after, args=(niceness, idle, results))
    child.start()
    outcome = results.get(timeout=30)
    child.join(timeout=30)
    return outcome


def test_the_worker_lowers_its_own_priority_and_never_raises_it():
    """Asked for 7, a process started at the parent's niceness ends at 7; asked for less than it has, it keeps
    what it has; the parent is untouched."""
    before = os.nice(0)
    assert in_child(before + 7) == (before + 7, before + 7)
    assert in_child(before - 1 if before > 0 else 0) == (before, before)
    assert os.nice(0) == before


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="the idle scheduling class is Linux's")
def test_the_worker_can_take_the_idle_scheduling_class():
    """Asked to, the worker runs in SCHED_IDLE as well as at its niceness; the parent keeps its own class."""
    before = os.sched_getscheduler(0)
    niceness = os.nice(0) + 3
    assert in_child(niceness, idle=True) == (niceness, True, os.SCHED_IDLE)
    assert os.sched_getscheduler(0) == before


def test_idle_comes_from_the_setting_then_the_environment(settings, monkeypatch):
    """LANTERN_WORKER_IDLE: the setting wins over the environment variable; by default the worker is idle."""
    monkeypatch.delenv("LANTERN_WORKER_IDLE", raising=False)
    assert worker.configured_idle() is True
    monkeypatch.setenv("LANTERN_WORKER_IDLE", "0")
    assert worker.configured_idle() is False
    settings.LANTERN_WORKER_IDLE = True
    assert worker.configured_idle() is True


def test_the_niceness_comes_from_the_setting_then_the_environment(settings, monkeypatch):
    """The LANTERN_WORKER_NICE setting wins over the environment variable, which wins over the default of 10."""
    monkeypatch.delenv("LANTERN_WORKER_NICE", raising=False)
    assert worker.configured_niceness() == 10
    monkeypatch.setenv("LANTERN_WORKER_NICE", "15")
    assert worker.configured_niceness() == 15
    settings.LANTERN_WORKER_NICE = 0
    assert worker.configured_niceness() == 0


def test_cpu_pressure_is_the_share_of_time_tasks_waited_since_the_last_look(tmp_path, monkeypatch):
    """Busy when tasks waited for a CPU for more than a fifth of the time; never busy without the figures."""
    pressure_file = tmp_path / "cpu"
    readings = iter([1_000_000, 1_030_000, 1_040_000])
    clock = iter([100.0, 100.1, 100.2])
    monkeypatch.setattr(worker.time, "monotonic", lambda: next(clock))

    def reading(path):
        if path != pressure_file:
            raise FileNotFoundError(path)
        return f"some avg10=0.00 avg60=0.00 avg300=0.00 total={next(readings)}\nfull avg10=0.00 total=0\n"

    monkeypatch.setattr(type(pressure_file), "read_text", reading)
    pressure = worker.CpuPressure(pressure_file)
    assert pressure.update()  # 30 ms of waiting in 100 ms
    assert not pressure.update()  # 10 ms in 100 ms
    monkeypatch.setattr(worker.time, "monotonic", lambda: 200.0)
    missing = worker.CpuPressure(tmp_path / "absent")
    assert missing.stalled_microseconds() is None and not missing.update()


def test_the_worker_defers_queued_tasks_while_the_cpus_are_busy_and_not_for_ever(monkeypatch, db):
    """Under pressure the queue waits, due jobs still run, and after MAX_DEFERRAL a slice runs anyway."""
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    runs, jobs, clock = [], [], [0.0]
    monkeypatch.setattr(db_worker.Worker, "run", lambda self: runs.append(clock[0]))
    monkeypatch.setattr(worker.CpuPressure, "update", lambda self: True)  # the web server keeps the CPUs busy

    def due_jobs():
        jobs.append(clock[0])
        if len(jobs) > 100:
            raise KeyboardInterrupt  # enough of the loop seen

    def sleep(seconds):
        clock[0] += seconds

    monkeypatch.setattr(worker.scheduler, "run_due_jobs", due_jobs)
    monkeypatch.setattr(worker.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(worker.time, "sleep", sleep)
    monkeypatch.setattr(worker, "lower_priority", lambda niceness, idle: (niceness, False))
    with pytest.raises(KeyboardInterrupt):
        call_command("worker", "--interval", "0.5")
    assert len(jobs) == 101  # due jobs ran on every turn of the loop, every half second
    assert runs  # a slice still ran
    assert all(b - a >= worker.MAX_DEFERRAL for a, b in zip(runs, runs[1:], strict=False))
    assert len(runs) <= jobs[-1] / worker.MAX_DEFERRAL + 1
