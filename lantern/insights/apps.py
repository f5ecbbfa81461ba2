"""Scale and trend statistics, hotspots, data quality, the accountability dashboard and publication."""

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The insights app."""

    name = "lantern.insights"
    label = "insights"
    verbose_name = "Insights"
