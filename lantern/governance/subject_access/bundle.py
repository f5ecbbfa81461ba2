"""The subject access bundle as a PDF: a cover, a manifest, and each record with its redactions applied.

Redactions are applied to the text before it is rendered, so withheld text is never in the HTML the PDF is made
from, and so never in the PDF. The manifest counts redactions by exemption; it never repeats what was withheld.
"""

from collections import Counter
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from lantern.governance.subject_access import selectors
from lantern.governance.subject_access.models import RedactionReason, SubjectAccessRequest


@dataclass(frozen=True)
class BundleEntry:
    """One record in the bundle: its title, why it was found, its parts as released, and its redactions."""

    number: int
    title: str
    kind: str
    why: str
    parts: list[tuple[str, str]]
    redactions: int


def bundle_context(request: SubjectAccessRequest) -> dict:
    """What the bundle shows: the request, the manifest, and each record with its redactions applied."""
    records = selectors.bundle_records(request)
    redactions = selectors.active_redactions(request)
    entries = []
    for number, record in enumerate(records, start=1):
        document = selectors.document_for(record)
        parts = selectors.redacted_parts(document, redactions)
        entries.append(
            BundleEntry(
                number=number,
                title=document.title,
                kind=record.get_kind_display(),
                why=record.why,
                parts=[(part.label, text) for part, text, _ in parts],
                redactions=sum(applied for _, _, applied in parts),
            )
        )
    by_reason = Counter(r.reason for r in redactions)
    reasons = [(label, by_reason[value]) for value, label in RedactionReason.choices if by_reason[value]]
    preparers = sorted(
        {
            r.decided_by.display_name
            for r in request.records.filter(included=True).select_related("decided_by")
        }
        | {r.added_by.display_name for r in redactions}
        | {request.handler.display_name}
    )
    return {
        "request": request,
        "entries": entries,
        "reasons": reasons,
        "redaction_total": len(redactions),
        "preparers": preparers,
        "made_at": timezone.localtime(),
    }


def bundle_html(request: SubjectAccessRequest) -> str:
    """The bundle as the HTML its PDF is made from."""
    return render_to_string("governance/subject_access/bundle_print.html", bundle_context(request))


def bundle_pdf(request: SubjectAccessRequest) -> bytes:
    """The bundle as a PDF (weasyprint)."""
    from weasyprint import HTML

    return HTML(string=bundle_html(request)).write_pdf()
