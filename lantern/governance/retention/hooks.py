"""The hook through which the rooms above retention stop a disposal.

A subject access request must stop the disposal of any record it covers, but subject access sits above retention:
so retention asks every registered `DisposalBlocker` (registered at start-up in `GovernanceConfig.ready`) and
refuses disposal while any names a reason. With none registered, nothing beyond retention's own checks blocks.
"""

from typing import Protocol


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
