"""Scale and trend statistics, hotspots, data quality, the accountability dashboard and publication."""

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The insights app."""

    name = "lantern.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        """Give the transparency report (statistics) its resourcing figures, from the resourcing room beside it."""
        from lantern.insights.resourcing.selectors import partnership_resourcing
        from lantern.insights.statistics import publish

        publish.register_resourcing_source(partnership_resourcing)
