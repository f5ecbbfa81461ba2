"""Demo borough: retention. Riverton's legacy system held referrals from before Lantern; a dozen, received 2015 to
2019 and long closed, are imported through the historic importer, so their six years under the schedule have run.
The nightly job lists them as due; the records manager has placed two legal holds (an inquiry's notice and a civil
claim), retained one with a reason, and disposed of three, so every section of the data protection view shows
something. Everything goes through the importer and retention's services; loading again changes nothing (the
demo's first hold is the marker), and a borough loaded without its history gets none of it.
"""

import csv
import tempfile
from datetime import date
from pathlib import Path

from django.utils import timezone

from lantern.accounts.models import User
from lantern.core.vocabulary import Role
from lantern.governance.retention import services
from lantern.governance.retention.models import LegalHold, RecordClass
from lantern.intake.importers import ReferralImporter
from lantern.intake.models import Referral

HOLD_INQUIRY = (
    "Notice from a statutory inquiry into child sexual exploitation in the region: keep every record from 2015 to "
    "2018 that may be relevant until the inquiry reports."
)
HOLD_CLAIM = (
    "A civil claim against the council has been notified; the legal team asked for the file to be kept."
)
RETAIN_REASON = "A younger sibling's case is open with children's social care; review again when it closes."
# The legacy system's referrals: received, closed, summary, child, person of concern, place.
LEGACY = (
    (
        "2015-03-09 10:15",
        "2015-04-20",
        "Girl seen in cars with older men near the bus station.",
        "Kayleigh Marsh",
        "Dean Sowerby",
        "Riverton bus station",
    ),
    (
        "2015-08-21 16:40",
        "2015-10-02",
        "School reports a pupil with new phones and missing afternoons.",
        "Amber Tolley",
        "",
        "Castle Street takeaway",
    ),
    (
        "2016-01-14 09:05",
        "2016-03-11",
        "Missing overnight twice; returned by a taxi the family did not book.",
        "Jade Ollerton",
        "Marcus Pybus",
        "Riverside taxi rank",
    ),
    (
        "2016-06-30 13:20",
        "2016-08-19",
        "Anonymous call about parties at a flat above the shops.",
        "",
        "Lee Cattermole",
        "Mill Lane flats",
    ),
    (
        "2016-11-02 11:50",
        "2017-01-13",
        "GP concerned about repeat STI tests for a 14-year-old.",
        "Chloe Bramall",
        "",
        "",
    ),
    (
        "2017-02-17 15:30",
        "2017-04-07",
        "Youth worker heard a boy was given cannabis to carry parcels.",
        "Tyler Haigh",
        "Ryan Gledhill",
        "Allotments off Brook Road",
    ),
    (
        "2017-07-05 10:00",
        "2017-09-15",
        "Hotel staff saw a girl checked in by an adult man.",
        "Shannon Wragg",
        "Paul Ackroyd",
        "Station Hotel",
    ),
    (
        "2017-12-12 14:45",
        "2018-02-02",
        "Mother found messages from an older 'boyfriend'.",
        "Ellie Stenson",
        "Jason Hird",
        "",
    ),
    (
        "2018-04-23 09:30",
        "2018-06-08",
        "Two girls picked up from outside school by the same car.",
        "Mia Cawthorne",
        "",
        "Riverton Academy",
    ),
    (
        "2018-09-10 16:10",
        "2018-11-23",
        "Boy missing from care found in a house in another town.",
        "Connor Revill",
        "Shane Mottram",
        "",
    ),
    (
        "2019-01-28 12:00",
        "2019-03-15",
        "Neighbour reports children going in and out of a flat late at night.",
        "",
        "Gary Ibbotson",
        "Lark Lane flats",
    ),
    (
        "2019-05-07 10:40",
        "2019-06-28",
        "Pupil disclosed being given alcohol at a takeaway after closing.",
        "Lauren Fretwell",
        "",
        "Castle Street takeaway",
    ),
)
SEE = "Sign in as dpo or records.manager and open Data protection (/governance/)."


def _import_legacy() -> list[Referral]:
    columns = (
        "external_reference",
        "received_at",
        "status",
        "closed_at",
        "summary",
        "child_name",
        "person_name",
        "place_name",
        "referrer_agency",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "legacy-referrals.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for n, (received, closed, summary, child, person, place) in enumerate(LEGACY, start=1):
                writer.writerow(
                    (
                        f"LEGACY-{n:04d}",
                        received,
                        "closed",
                        closed,
                        summary,
                        child,
                        person,
                        place,
                        "riverton-csc",
                    )
                )
        result = ReferralImporter().run(path)
    if result.errors:
        raise ValueError(f"The legacy referrals did not import: {result.errors[0]}")
    return list(Referral.objects.filter(external_reference__startswith="LEGACY-").order_by("received_at"))


def demo_load(*, seed: int, loaded) -> list[str]:
    """Import the legacy referrals, list them as due, and record the holds, the retention and the disposals."""
    if LegalHold.objects.exists() or not Referral.objects.exists():
        # Without the borough's history (`--no-history`) there is nothing to keep: the legacy referrals would only
        # make the next run's other areas, which wait for referrals, load where this run's did not.
        return []
    manager = User.objects.filter(role=Role.RECORDS_MANAGER, is_active=True).order_by("pk").first()
    dpo = User.objects.filter(role=Role.DATA_PROTECTION_OFFICER, is_active=True).order_by("pk").first()
    if manager is None or dpo is None:
        return []
    legacy = _import_legacy()
    listed = services.retention_list_due()
    referral = RecordClass.REFERRAL
    services.legal_hold_place(actor=dpo, record_class=referral, object_id=legacy[2].pk, reason=HOLD_INQUIRY)
    services.legal_hold_place(actor=manager, record_class=referral, object_id=legacy[6].pk, reason=HOLD_CLAIM)
    today = timezone.localdate()
    services.record_retain(
        actor=manager,
        record_class=referral,
        object_id=legacy[9].pk,
        reason=RETAIN_REASON,
        review_date=date(today.year + 2, today.month, min(today.day, 28)),
    )
    for record in (legacy[0], legacy[1], legacy[3]):
        services.record_dispose(
            actor=manager, record_class=referral, object_id=record.pk, confirm_reference=record.reference
        )
    return [
        f"Retention: {len(legacy)} legacy referrals (2015 to 2019) imported; {len(listed)} records listed as due "
        f"for review, 2 legal holds, 1 retained, 3 disposed of. {SEE}"
    ]
