"""Template tags for complaints and conduct matters: the outcomes panel's figures, wherever it is included."""

from datetime import date, timedelta

from django import template
from django.utils import timezone

from lantern.core.policy import allows
from lantern.oversight.complaints.selectors import complaints_outcomes

register = template.Library()


def _day(value) -> date | None:
    return value if isinstance(value, date) else None


@register.simple_tag(takes_context=True)
def complaints_outcomes_for_panel(context):
    """The outcomes by agency for the including page's period (`period_start`/`period_end`, else `start`/`end`,
    else the last 12 months), for the signed-in user; None if they may not see them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not allows(user, "can_view_complaint_outcomes"):
        return None
    end = _day(context.get("period_end")) or _day(context.get("end")) or timezone.localdate()
    start = _day(context.get("period_start")) or _day(context.get("start")) or end - timedelta(days=365)
    return complaints_outcomes(user=user, start=start, end=end)
