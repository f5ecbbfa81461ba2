"""Permission rules: the accountability dashboard and data quality. Registered with lantern.core.policy."""
