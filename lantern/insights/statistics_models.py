"""Models: scale and trend, hotspots, charts and the transparency report."""
