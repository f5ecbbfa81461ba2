"""Cases, agency tasks, timescales, escalations, flags, strategy discussions and chronologies."""

from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    """The casework app."""

    name = "lantern.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        """Hear of every matched report, and of every finished batch resolution, to raise a safeguarding conflict
        where a report names a member of a child's family network as a person of concern."""
        from lantern.casework import family
        from lantern.intel.linking import hooks

        hooks.listen_report_matched(family.conflicts_for_report)
        hooks.listen_resolution_finished(family.conflicts_after_resolution)
