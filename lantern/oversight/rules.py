"""The oversight app's permission rules, one module per area, all registered with lantern.core.policy."""

from lantern.oversight.complaints import rules as complaints_rules  # noqa: F401
from lantern.oversight.reviews import rules as reviews_rules  # noqa: F401
