"""The data protection view: one page for the data protection officer and the records manager, its sections
defined in `lantern.governance.sections`."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lantern.audit import events
from lantern.core.policy import require
from lantern.governance.sections import SECTIONS


@never_cache
@require_GET
def data_protection(request):
    """Requests due, records due for review, holds, break-glass uses, sharing decisions and disposal history."""
    require(request.user, "can_view_data_protection")
    sections = [(section, section.table(request.user)) for section in SECTIONS]
    events.data_protection_view_read(actor=request.user, sections=[s.key for s in SECTIONS])
    return render(request, "governance/data_protection.html", {"sections": sections})
