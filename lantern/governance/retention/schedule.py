"""The retention schedule: for each record class, how long it is kept before review, from when, and on whose word.

The defaults follow the guidance each agency in the partnership already works to (sources below and in
`docs/decisions/0019-retention-and-disposal.md`). A partnership whose own schedule differs sets
`RETENTION_YEARS` in its settings (`{"referral": 7}`); the source then reads "local schedule". A review date is
when a person must decide whether to keep the record, never when it is deleted by itself.
"""

from dataclasses import dataclass, replace

from django.conf import settings

from lantern.governance.retention.models import RecordClass


@dataclass(frozen=True)
class ScheduleRule:
    """How long one class of record is kept before its review, from when, and the source of that period."""

    record_class: str
    years: int
    starts: str
    source: str
    url: str = ""

    @property
    def label(self) -> str:
        """The record class in words."""
        return RecordClass(self.record_class).label


DEFAULTS: tuple[ScheduleRule, ...] = (
    ScheduleRule(
        RecordClass.REFERRAL,
        6,
        "the referral's closure (or its receipt, if it was never closed)",
        "Contacts and referrals that did not need a case of their own: six years, the Limitation Act 1980's "
        "period for a claim, as in local authorities' children's services schedules (for example Devon and "
        "Derbyshire County Councils').",
        "https://www.legislation.gov.uk/ukpga/1980/58/section/2",
    ),
    ScheduleRule(
        RecordClass.CASE,
        25,
        "the child's birth, so review at the 25th birthday (for a place or peer group, or a child whose date of "
        "birth is unknown: the case's closure)",
        "Children's social care case records (child in need, child protection): until the 25th birthday, the "
        "local authority guidance most children's services follow. Looked-after children's records are kept to "
        "the 75th birthday (Care Planning, Placement and Case Review (England) Regulations 2010, reg. 50): "
        "retain those at review with that reason.",
        "https://www.legislation.gov.uk/uksi/2010/959/regulation/50",
    ),
    ScheduleRule(
        RecordClass.INTELLIGENCE_ITEM,
        10,
        "the item's submission",
        "Police intelligence: College of Policing, APP Information management, 'Retention, review and "
        "disposal' (Management of Police Information). Group 2, other sexual, violent or serious offences: "
        "review after a ten-year clear period. Group 1 (certain public protection matters) items are retained "
        "at review until the subject is 100; group 3 and other information may be reviewed sooner.",
        "https://www.college.police.uk/app/information-management/management-police-information",
    ),
    ScheduleRule(
        RecordClass.COMPLAINT,
        6,
        "the complaint's closure",
        "Complaints: six years from closure, the Limitation Act 1980's period, as in local authorities' "
        "corporate complaints schedules.",
        "https://www.legislation.gov.uk/ukpga/1980/58/section/5",
    ),
    ScheduleRule(
        RecordClass.CONDUCT_MATTER,
        10,
        "the allegation's recording (reviewed only once it is concluded)",
        "Allegations about people who work with children: Keeping children safe in education (DfE), Part 4, "
        "keeps records of substantiated, unsubstantiated and false allegations until normal pension age or ten "
        "years from the allegation, whichever is longer; ten years is the review point, when the records "
        "manager retains any that must be kept longer.",
        "https://www.gov.uk/government/publications/keeping-children-safe-in-education--2",
    ),
)

# The audit log is outside the schedule: it holds who did what to which record, never the record's content, and
# no path exists to delete from it (docs/decisions/0005-audit-log.md and 0019).
AUDIT_NOTE = (
    "The audit log is kept for as long as Lantern holds any record it describes and is never disposed of here: it "
    "holds who did what to which record and when, by reference, and its hash chain must still verify after a "
    "disposal."
)


def schedule() -> tuple[ScheduleRule, ...]:
    """The schedule in force: the defaults, with any period the partnership's settings set instead."""
    local = getattr(settings, "RETENTION_YEARS", {}) or {}
    rules = []
    for rule in DEFAULTS:
        years = local.get(str(rule.record_class))
        if isinstance(years, int) and not isinstance(years, bool) and 0 < years <= 150:
            rule = replace(
                rule, years=years, source=f"Local schedule ({years} years). Default: {rule.source}"
            )
        rules.append(rule)
    return tuple(rules)


def rule_for(record_class: str) -> ScheduleRule:
    """The rule in force for one record class."""
    for rule in schedule():
        if rule.record_class == record_class:
            return rule
    raise KeyError(record_class)
