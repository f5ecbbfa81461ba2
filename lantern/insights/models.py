"""The insights app's models, one module per area."""

from lantern.insights.accountability.models import *  # noqa: F403
from lantern.insights.statistics.models import *  # noqa: F403
