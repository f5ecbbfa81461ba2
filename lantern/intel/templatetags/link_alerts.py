"""`{% link_alerts_panel %}`: the user's new link alerts, for their home page."""

from django import template

from lantern.intel.linking.views import home_alerts

register = template.Library()


@register.inclusion_tag("intel/alerts/_home_panel.html", takes_context=True)
def link_alerts_panel(context):
    """The panel of the signed-in user's newest new alerts (nothing for users who receive none)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"panel": home_alerts(user) if user is not None else {"show": False}}
