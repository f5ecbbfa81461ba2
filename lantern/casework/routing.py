"""Which agencies must act on a referral."""

import re

from lantern.accounts.models import Agency, AgencyKind
from lantern.intake.models import Referral, RiskLevel

LICENSED_TRANSPORT = re.compile(r"\b(taxi|taxis|cab|minicab|private[- ]hire|licensed driver|hackney)\b", re.I)


def licensed_transport_involved(referral: Referral) -> bool:
    """Whether a licensed driver or vehicle is involved: a licence number, a taxi rank, or taxis in the account."""
    if any(v.licence_number for v in referral.vehicle_mentions.all()):
        return True
    if any(p.place_type == "taxi_rank" for p in referral.place_mentions.all()):
        return True
    texts = [referral.summary] + [p.description for p in referral.person_mentions.all()]
    return any(LICENSED_TRANSPORT.search(t or "") for t in texts)


def required_agencies(referral: Referral) -> list[Agency]:
    """Agencies that must be included whatever the front door chooses: licensing when licensed transport is involved."""
    if licensed_transport_involved(referral):
        return list(Agency.objects.filter(kind=AgencyKind.LICENSING, is_active=True))
    return []


def recommended_agencies(referral: Referral, risk_level: str) -> list[Agency]:
    """The agencies the screening suggests: social care always; police when there is risk or a suspect or vehicle;
    health at medium or high risk; education when a school is named; licensing when required."""
    kinds = {AgencyKind.CSC}
    has_suspect_detail = bool(
        referral.vehicle_mentions.exists()
        or referral.phone_mentions.exists()
        or referral.person_mentions.filter(role="person_of_concern").exists()
    )
    if risk_level in (RiskLevel.MEDIUM, RiskLevel.HIGH) or has_suspect_detail:
        kinds.add(AgencyKind.POLICE)
    if risk_level in (RiskLevel.MEDIUM, RiskLevel.HIGH):
        kinds.add(AgencyKind.HEALTH)
    if any(m.school for m in referral.person_mentions.all()) or risk_level == RiskLevel.HIGH:
        kinds.add(AgencyKind.EDUCATION)
    agencies = list(Agency.objects.filter(kind__in=kinds, is_active=True).order_by("name"))
    for agency in required_agencies(referral):
        if agency not in agencies:
            agencies.append(agency)
    return agencies
