"""Permission rules: scale and trend, hotspots, charts and the transparency report. Registered with lantern.core.policy."""
