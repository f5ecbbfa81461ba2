"""Permission rules: intelligence items: submission, grading, sources, disclosure, import. Registered with lantern.core.policy."""
