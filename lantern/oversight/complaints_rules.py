"""Permission rules: complaints and conduct matters. Registered with lantern.core.policy."""
