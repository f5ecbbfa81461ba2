"""Hooks through which the rooms above retention stop a disposal or add to the data protection view.

A subject access request must stop the disposal of any record it covers, but subject access sits above retention:
so retention asks every registered `DisposalBlocker` (registered at start-up in `GovernanceConfig.ready`) and
refuses disposal while any names a reason. With none registered, nothing beyond retention's own checks blocks.

The data protection view lists, among others, subject access requests falling due and break-glass uses, which
belong to other rooms: each registers a `Panel` that gives its rows for a user; with none registered the view says
so in words instead of showing an empty table.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class DisposalBlocker(Protocol):
    """The reasons (in words, no personal data) why the record must not be disposed of now; empty if none."""

    def __call__(self, *, record_class: str, object_id: int) -> list[str]: ...


_BLOCKERS: list[DisposalBlocker] = []


def register_disposal_blocker(blocker: DisposalBlocker) -> None:
    """Register a check that every disposal asks (once each, however often `ready` runs)."""
    if blocker not in _BLOCKERS:
        _BLOCKERS.append(blocker)


def unregister_disposal_blocker(blocker: DisposalBlocker) -> None:
    """Remove a registered check (for tests)."""
    if blocker in _BLOCKERS:
        _BLOCKERS.remove(blocker)


def registered_blockers(*, record_class: str, object_id: int) -> list[str]:
    """Every reason a registered check gives against disposing of the record now."""
    reasons: list[str] = []
    for blocker in _BLOCKERS:
        reasons.extend(blocker(record_class=record_class, object_id=object_id))
    return reasons


@dataclass(frozen=True)
class PanelRow:
    """One row of a panel: its cells in order, and where it links (optional)."""

    cells: Sequence[str]
    url: str = ""


@dataclass(frozen=True)
class Panel:
    """A section of the data protection view given by another room: its headings and its rows for a user."""

    key: str
    headings: Sequence[str]
    rows: Callable[[Any], list[PanelRow]]


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    """Register (or replace) the panel for a section of the data protection view."""
    _PANELS[panel.key] = panel


def unregister_panel(key: str) -> None:
    """Remove a registered panel (for tests)."""
    _PANELS.pop(key, None)


def panel(key: str) -> Panel | None:
    """The panel registered for a section, if any."""
    return _PANELS.get(key)
