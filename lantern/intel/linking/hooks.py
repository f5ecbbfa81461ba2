"""What follows linking's work, for the rooms above it to attach to.

Linking announces two things; the network registers what follows them at start-up (`lantern.intel.apps`), as
oversight registers the reviewer's scope with the policy:

* `report_matched(entities=..., now=...)`: a report's mentions have been matched to these entities, inside the
  matching's transaction. The network checks its cross-agency signal rules for them.
* `associations_changed()`: associations were moved to other entities or deleted (batch resolution rewrote them,
  or an entity was merged into another), once that has committed. The network reads its graph again.

With nothing registered both do nothing: matching and resolution are complete without what follows them.

Besides the one `AfterLinking`, any room may listen for matched reports with `listen_report_matched()`: a
listener hears which report it was (`referral=`, `item=`) with its entities and those of its persons of concern,
inside the matching's transaction, each in its own savepoint, so one listener's failure neither undoes the
matching nor silences the others. Casework listens, to raise a safeguarding conflict when a report names a
child's family network member as a person of concern.

Likewise any room may listen for the end of batch resolution with `listen_resolution_finished()`: a listener hears
when it finished (`now=`), after every mention's entity was written again, each in its own transaction, so a
listener's failure undoes nothing resolution wrote. Casework listens, to raise the safeguarding conflicts of
matches that only batch resolution makes (a member and a person of concern joined by the nightly run).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class ReportMatched(Protocol):
    """Act on the entities a report's mentions were matched to, `now` being when it was matched."""

    def __call__(self, *, entities: Iterable[int], now: datetime) -> object: ...


class AssociationsChanged(Protocol):
    """Act on associations having been moved or deleted, after the change has committed."""

    def __call__(self) -> object: ...


class ReportMatchedListener(Protocol):
    """Act on a report (`referral` or `item`) whose mentions were matched to `entities`, at `now`; `concerns` are
    the entities of the people it records as persons of concern."""

    def __call__(
        self, *, referral: Any, item: Any, entities: Iterable[int], concerns: Iterable[int], now: datetime
    ) -> object: ...


@dataclass(frozen=True)
class AfterLinking:
    """What the rooms above linking do after it: one hook for each thing linking announces."""

    report_matched: ReportMatched
    associations_changed: AssociationsChanged


# Until the network registers, matching and resolution are followed by nothing.
NOTHING_FOLLOWS = AfterLinking(
    report_matched=lambda *, entities, now: None,
    associations_changed=lambda: None,
)
_after_linking: AfterLinking = NOTHING_FOLLOWS


def register(after: AfterLinking) -> None:
    """Make `after` what follows linking's work (the intel app registers the network's, at start-up)."""
    global _after_linking
    _after_linking = after


def after_linking() -> AfterLinking:
    """The registered hooks, or `NOTHING_FOLLOWS` if none are."""
    return _after_linking


def report_matched(*, entities: Iterable[int], now: datetime) -> None:
    """A report's mentions have been matched to `entities`: let the registered hook act on them."""
    _after_linking.report_matched(entities=entities, now=now)


def associations_changed() -> None:
    """Associations have been moved or deleted, and that has committed: let the registered hook act."""
    _after_linking.associations_changed()


_listeners: list[ReportMatchedListener] = []


def listen_report_matched(listener: ReportMatchedListener) -> None:
    """Have `listener` hear of every matched report from now on (a room's `ready()` calls this); once only."""
    if listener not in _listeners:
        _listeners.append(listener)


def report_listeners() -> tuple[ReportMatchedListener, ...]:
    """The listeners for matched reports, in the order they were added."""
    return tuple(_listeners)


class ResolutionFinishedListener(Protocol):
    """Act on batch resolution having written every mention's entity again, at `now`."""

    def __call__(self, *, now: datetime) -> object: ...


_resolution_listeners: list[ResolutionFinishedListener] = []


def listen_resolution_finished(listener: ResolutionFinishedListener) -> None:
    """Have `listener` hear of every finished batch resolution from now on (a room's `ready()` calls this); once."""
    if listener not in _resolution_listeners:
        _resolution_listeners.append(listener)


def resolution_listeners() -> tuple[ResolutionFinishedListener, ...]:
    """The listeners for finished batch resolutions, in the order they were added."""
    return tuple(_resolution_listeners)
