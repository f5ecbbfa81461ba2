"""The insights app's permission rules, one module per area, all registered with lantern.core.policy."""

from lantern.insights import accountability_rules  # noqa: F401
from lantern.insights import statistics_rules  # noqa: F401
