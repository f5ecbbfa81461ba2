"""The intel app's permission rules, one module per area, all registered with lantern.core.policy."""

from lantern.intel.items import rules as items_rules  # noqa: F401
from lantern.intel.linking import rules as linking_rules  # noqa: F401
from lantern.intel.network import rules as network_rules  # noqa: F401
