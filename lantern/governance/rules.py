"""The governance app's permission rules, one module per area, all registered with lantern.core.policy."""

from lantern.governance.retention import rules as retention_rules  # noqa: F401
from lantern.governance.subject_access import rules as subject_access_rules  # noqa: F401
