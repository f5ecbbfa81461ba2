"""The oversight app's permission rules, one module per area, all registered with lantern.core.policy."""

from lantern.oversight import reviews_rules  # noqa: F401
from lantern.oversight import complaints_rules  # noqa: F401
