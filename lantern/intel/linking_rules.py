"""Permission rules: resolution: batch (splink) and real-time matching, analyst decisions, link alerts. Registered with lantern.core.policy."""
