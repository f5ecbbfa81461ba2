"""Permission rules: networks, entity pages, search, exports, contextual safeguarding, cross-agency signal. Registered with lantern.core.policy."""
