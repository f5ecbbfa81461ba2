"""Independent reviews, allegations, case audits, and complaints and conduct matters."""

from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The oversight app."""

    name = "lantern.oversight"
    label = "oversight"
    verbose_name = "Oversight"

    def ready(self) -> None:
        """Register the reviewer's scope, so the rules and selectors below oversight open in-scope records."""
        from lantern.core import policy
        from lantern.oversight.reviews import selectors

        policy.register_review_scope(
            policy.ReviewScope(
                may_read=selectors.reviewer_may_read,
                scoped=selectors.scoped_for_reviewer,
                note_read=selectors.note_reviewer_read,
            )
        )
