"""Permission rules: independent reviews, allegations, case audits and review reports. Registered with lantern.core.policy."""
