"""The insights app's permission rules, one module per area, all registered with lantern.core.policy."""

from lantern.insights.accountability import rules as accountability_rules  # noqa: F401
from lantern.insights.resourcing import rules as resourcing_rules  # noqa: F401
from lantern.insights.statistics import rules as statistics_rules  # noqa: F401
