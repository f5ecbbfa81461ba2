"""Pages: the resourcing figures, a table per agency (see `lantern.insights.resourcing.selectors`)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from lantern.audit import events
from lantern.core.policy import require
from lantern.insights.resourcing import selectors


@require_GET
def resourcing(request):
    """Per agency and team: staff, training, caseloads, unallocated work, vacancies and trained completions."""
    user = request.user
    require(user, "can_view_resourcing")
    figures = selectors.resourcing_for_user(user=user)
    events.resourcing_viewed(actor=user, agencies=[a.agency.agency_code for a in figures])
    quarters = [q.quarter for q in figures[0].agency.completed_by_trained] if figures else []
    return render(request, "insights/resourcing.html", {"figures": figures, "quarters": quarters})
