"""Demo borough: a survivor's own referrals, from when she was a child, naming the man who exploited her as their
person of concern; years later her child's case names him as father (`lantern.demo.areas.family`). Filed in a step
of their own after the figures are built, dated inside the default history (2023), so the accountability rebuild
and the statistics keep their range; their real-time matching runs when the step commits."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from lantern.accounts.models import User
from lantern.frontdoor import services as frontdoor
from lantern.intake import services as intake
from lantern.intake.models import DecisionKind, Referral
from lantern.intake.schemas import ReferralIn

LONDON = ZoneInfo("Europe/London")
SURVIVOR = {"name": "Leanne Harker", "date_of_birth": date(2007, 3, 9)}
ABUSER = {"name": "Wayne Dorsey", "date_of_birth": date(1984, 8, 22), "address": "14 Ferry Row, Riverton"}
ABUSERS_PHONE = "07700 900456"
REFERRALS = (
    (
        "DEMO-SURVIVOR-1",
        datetime(2023, 2, 7, 10, 30, tzinfo=LONDON),
        "Leanne (15) seen several evenings getting into a silver car with a man in his thirties, Wayne, near the "
        "bus station. She has new clothes and a phone she will not explain.",
    ),
    (
        "DEMO-SURVIVOR-2",
        datetime(2023, 9, 18, 16, 5, tzinfo=LONDON),
        "Leanne (16) missing overnight; found at 14 Ferry Row, the address of Wayne Dorsey, who calls her from "
        "07700 900456. She says he is her boyfriend.",
    ),
)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def survivor_referrals() -> list[Referral]:
    """The survivor's own referrals, oldest first (empty before they are loaded)."""
    return list(
        Referral.objects.filter(external_reference__in=[r[0] for r in REFERRALS]).order_by("received_at")
    )


def demo_load(*, seed: int, loaded) -> list[str]:
    """File the survivor's two referrals of 2023 with a history just loaded (so never into a borough loaded without
    one, nor twice); both closed with advice at the time."""
    if loaded is None or survivor_referrals():
        return []
    referrer = User.objects.filter(username="education.practitioner").first()
    front_door = User.objects.filter(username="frontdoor.worker").first()
    if referrer is None or front_door is None:
        return []
    for external, received_at, summary in REFERRALS:
        day = received_at.date()
        referral, _secret = intake.referral_create(
            actor=referrer,
            channel="web",
            received_at=received_at,
            referral=ReferralIn(
                source="professional",
                summary=summary,
                children=[{**SURVIVOR}],
                persons=[
                    {
                        "name": ABUSER["name"],
                        "age": _age_on(ABUSER["date_of_birth"], day),
                        "sex": "male",
                        "address": ABUSER["address"],
                    }
                ],
                phones=[{"number": ABUSERS_PHONE}],
                external_reference=external,
            ),
        )
        # As was too often done then: closed with advice, the man named but not pursued.
        frontdoor.referral_decide(
            actor=front_door,
            referral=referral,
            kind=DecisionKind.ADVICE,
            rationale="Recorded as a relationship; advice given to the school.",
            advice_given="School to monitor attendance and speak to Leanne's mother.",
            now=received_at.replace(hour=received_at.hour + 1),
        )
    return []
