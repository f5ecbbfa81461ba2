"""The inputs of task actions, each described once: the API takes them as its bodies and the services check what
they are given with them (`core.validation.validate`), so the pages' forms, which call the services, meet the
same rules in the same words (decision 0022)."""

from ninja import Field, Schema
from pydantic import ConfigDict

from lantern.casework.models import TaskOutcome

# The longest narrative, note or record of decisions.
MAX_NARRATIVE = 10000


class StrictIn(Schema):
    """Input that refuses fields it does not know, with spaces trimmed from the ends of text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CompleteIn(StrictIn):
    """What the agency did: an outcome from the controlled list and a narrative."""

    outcome: TaskOutcome
    narrative: str = Field(..., min_length=1, max_length=MAX_NARRATIVE)


class DisagreementIn(StrictIn):
    """A professional disagreement: what is disagreed with and what should happen."""

    reason: str = Field(..., min_length=1, max_length=5000)


class EscalationResolveIn(StrictIn):
    """How an escalation was resolved."""

    resolution: str = Field(..., min_length=1, max_length=5000)
