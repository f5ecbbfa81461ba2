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
