"""The insights app's models, one module per area."""

from lantern.insights.accountability_models import *  # noqa: F403
from lantern.insights.statistics_models import *  # noqa: F403
