"""`lantern worker` gives way to the web server: it lowers its own CPU priority, and only its own."""

import multiprocessing
import os

from lantern.core.management.commands import worker


def _niceness_after(niceness: int, results) -> None:
    results.put((worker.lower_priority(niceness), os.nice(0)))


def in_child(niceness: int) -> tuple[int, int]:
    """Lower the priority in a forked child (a process's niceness cannot be raised back without privileges)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_niceness_after, args=(niceness, results))
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


def test_the_niceness_comes_from_the_setting_then_the_environment(settings, monkeypatch):
    """The LANTERN_WORKER_NICE setting wins over the environment variable, which wins over the default of 10."""
    monkeypatch.delenv("LANTERN_WORKER_NICE", raising=False)
    assert worker.configured_niceness() == 10
    monkeypatch.setenv("LANTERN_WORKER_NICE", "15")
    assert worker.configured_niceness() == 15
    settings.LANTERN_WORKER_NICE = 0
    assert worker.configured_niceness() == 0
