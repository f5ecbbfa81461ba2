"""Periodic jobs for networks, run by `lantern worker`: the cross-agency signal sweep."""

from datetime import timedelta

from lantern.core.scheduler import periodic
from lantern.intel.network.signals import signals_sweep


@periodic("intel.signals_sweep", every=timedelta(minutes=15))
def sweep_signals() -> int:
    """Raise cross-agency alerts for entities mentioned recently that meet a rule (real-time matching does the
    same for each new report; the sweep catches changed rules and reports saved before their entities were)."""
    return len(signals_sweep())
