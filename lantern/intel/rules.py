"""The intel app's permission rules, one module per area, all registered with lantern.core.policy."""

from lantern.intel import items_rules  # noqa: F401
from lantern.intel import linking_rules  # noqa: F401
from lantern.intel import network_rules  # noqa: F401
