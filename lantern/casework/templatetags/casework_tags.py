"""Template tags for case work: clocks, the "My work" panels and the unread-notification count."""

from django import template
from django.utils import timezone

from lantern.audit import events
from lantern.casework import selectors
from lantern.casework.timescales import task_clock
from lantern.core.policy import allows

register = template.Library()


@register.inclusion_tag("casework/includes/clock.html")
def clock(reading, label: str = ""):
    """A clock as a coloured tag ("Overdue by 3 hours") and its deadline as a <time> element."""
    return {"reading": reading, "label": label}


@register.inclusion_tag("casework/includes/my_work.html", takes_context=True)
def my_work_panels(context):
    """The case-work panels of the home page: my open tasks with clocks, unread notifications, escalations to me.

    Showing the tasks is a read of records about children, so it is audited like any task list.
    """
    user = context["request"].user
    if not allows(user, "can_view_case_content"):
        return {"show": False}
    work = selectors.my_work(user=user)
    now = timezone.now()
    if work.tasks:
        events.record_listed(
            actor=user,
            object_type="casework.agencytask",
            ids=[t.pk for t in work.tasks],
            query={"list": "home"},
        )
    return {
        "show": True,
        "work": work,
        "tasks": [{"task": t, "clock": task_clock(t, now=now)} for t in work.tasks],
    }


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    """How many of the signed-in user's notifications are unread."""
    user = context["request"].user
    if not getattr(user, "is_authenticated", False):
        return 0
    return selectors.unread_notification_count(user=user)
