"""Intelligence items, entities and the mentions of them in referrals and items."""

from django.apps import AppConfig


class IntelConfig(AppConfig):
    """The intel app."""

    name = "lantern.intel"
    label = "intel"
    verbose_name = "Intelligence"

    def ready(self) -> None:
        """Let the network follow linking: check the cross-agency signal for each report's matched entities, and
        read the association graph again after associations are moved or deleted."""
        from lantern.intel.linking import hooks
        from lantern.intel.network import graph, signals

        hooks.register(
            hooks.AfterLinking(
                report_matched=signals.signals_check,
                associations_changed=graph.graph_invalidate,
            )
        )
