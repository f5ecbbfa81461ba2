"""Riverton, the fictional borough: its agencies, teams, demo staff and geography.

Everything here is fixed, so demo logins, team names and the map are the same for every seed; what varies with
the seed (people, places, vehicles, phones, and later referrals) is drawn in `lantern.demo.population`.
"""

from dataclasses import dataclass
from datetime import date

from lantern.accounts.models import AgencyKind, Role

BOROUGH_NAME = "Riverton"
# The day the synthetic population's ages are worked out from, so the data do not change with today's date.
AS_OF = date(2026, 1, 1)
POSTCODE_AREA = "RV"  # not a real UK postcode area
EMAIL_DOMAIN = "riverton.example"


@dataclass(frozen=True)
class BoundingBox:
    """A rectangle of latitude and longitude (WGS84)."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, lat: float, lon: float) -> bool:
        """True if the point is inside the box (edges included)."""
        return self.south <= lat <= self.north and self.west <= lon <= self.east


# Deliberately offshore, in the North Sea, so no real street ever appears as a synthetic hotspot.
BOX = BoundingBox(south=53.94, west=1.10, north=54.06, east=1.40)


@dataclass(frozen=True)
class Area:
    """A neighbourhood of Riverton: a postcode district with its centre."""

    name: str
    district: str
    lat: float
    lon: float


AREA_NAMES = (
    "Millbrook",
    "Eastbank",
    "Westgate",
    "Northcote",
    "Ferryside",
    "Canal Wharf",
    "Oakfield",
    "Hollins Green",
    "Kingsmead",
    "Longmoor",
    "Riverside",
    "Stonebridge",
    "Ashgrove",
    "Brackenhill",
    "Fairview",
    "Greystones",
)


def _areas() -> tuple[Area, ...]:
    # A 4 × 4 grid of neighbourhoods inside the box, numbered from the north-west like postcode districts
    # often are.
    rows = cols = 4
    lat_step = (BOX.north - BOX.south) / rows
    lon_step = (BOX.east - BOX.west) / cols
    return tuple(
        Area(
            name=name,
            district=f"{POSTCODE_AREA}{index + 1}",
            lat=round(BOX.north - lat_step * (index // cols + 0.5), 6),
            lon=round(BOX.west + lon_step * (index % cols + 0.5), 6),
        )
        for index, name in enumerate(AREA_NAMES)
    )


AREAS = _areas()
# How far places spread around their neighbourhood's centre: one standard deviation of latitude and longitude.
AREA_SPREAD = ((BOX.north - BOX.south) / 4 / 3, (BOX.east - BOX.west) / 4 / 3)


@dataclass(frozen=True)
class StaffMember:
    """A demo login: who they are, their role, and the team they sit in (None for service-wide roles)."""

    username: str
    first_name: str
    last_name: str
    role: Role
    job_title: str
    team: str | None = None


@dataclass(frozen=True)
class AgencyPlan:
    """An agency of the borough with its teams and demo staff."""

    code: str
    name: str
    kind: AgencyKind
    teams: tuple[str, ...]
    staff: tuple[StaffMember, ...]


def _managers(prefix: str, team: str, manager: tuple[str, str, str], service: tuple[str, str, str]):
    """The team manager and service manager every agency needs for the escalation ladder."""
    return (
        StaffMember(f"{prefix}.manager", manager[0], manager[1], Role.TEAM_MANAGER, manager[2], team),
        StaffMember(f"{prefix}.service_manager", service[0], service[1], Role.SERVICE_MANAGER, service[2]),
    )


AGENCIES: tuple[AgencyPlan, ...] = (
    AgencyPlan(
        code="riverton-police",
        name="Riverton Police",
        kind=AgencyKind.POLICE,
        teams=("Child Exploitation Unit", "Intelligence Unit", "MASH police desk", "Neighbourhood Policing"),
        staff=(
            StaffMember(
                "police.practitioner",
                "Dana",
                "Whitlock",
                Role.PRACTITIONER,
                "Detective Constable",
                "Child Exploitation Unit",
            ),
            StaffMember(
                "police.analyst",
                "Priya",
                "Halvorsen",
                Role.ANALYST,
                "Intelligence Analyst",
                "Intelligence Unit",
            ),
            StaffMember(
                "police.frontdoor",
                "Marcus",
                "Oyelaran",
                Role.FRONT_DOOR,
                "MASH Police Officer",
                "MASH police desk",
            ),
            *_managers(
                "police",
                "Child Exploitation Unit",
                ("Gareth", "Penhallow", "Detective Sergeant"),
                ("Ruth", "Ellingham", "Detective Chief Inspector"),
            ),
        ),
    ),
    AgencyPlan(
        code="riverton-csc",
        name="Riverton Children's Social Care",
        kind=AgencyKind.CSC,
        teams=("MASH front door", "Child Exploitation Team", "Assessment Team", "Missing Children Team"),
        staff=(
            StaffMember(
                "frontdoor.worker",
                "Tasha",
                "Brindley",
                Role.FRONT_DOOR,
                "MASH Social Worker",
                "MASH front door",
            ),
            StaffMember(
                "frontdoor.manager",
                "Owen",
                "Castleford",
                Role.TEAM_MANAGER,
                "MASH Team Manager",
                "MASH front door",
            ),
            StaffMember(
                "csc.practitioner",
                "Amira",
                "Qureshi-Lowe",
                Role.PRACTITIONER,
                "Social Worker",
                "Child Exploitation Team",
            ),
            *_managers(
                "csc",
                "Child Exploitation Team",
                ("Helen", "Marchbank", "Team Manager"),
                ("Colin", "Ashdown", "Head of Service, Children's Social Care"),
            ),
        ),
    ),
    AgencyPlan(
        code="riverton-health",
        name="Riverton Health NHS Trust",
        kind=AgencyKind.HEALTH,
        teams=("Safeguarding Children Team", "Sexual Health Service", "Emergency Department"),
        staff=(
            StaffMember(
                "health.practitioner",
                "Niamh",
                "Corrigan",
                Role.PRACTITIONER,
                "School Nurse",
                "Safeguarding Children Team",
            ),
            *_managers(
                "health",
                "Safeguarding Children Team",
                ("Yusuf", "Darrow", "Named Nurse for Safeguarding"),
                ("Bernadette", "Quill", "Designated Nurse for Safeguarding"),
            ),
        ),
    ),
    AgencyPlan(
        code="riverton-education",
        name="Riverton Schools",
        kind=AgencyKind.EDUCATION,
        teams=("Designated Safeguarding Leads", "Attendance and Inclusion"),
        staff=(
            StaffMember(
                "education.practitioner",
                "Leanne",
                "Fairbrother",
                Role.PRACTITIONER,
                "Designated Safeguarding Lead",
                "Designated Safeguarding Leads",
            ),
            *_managers(
                "education",
                "Designated Safeguarding Leads",
                ("Patrick", "Mossop", "Safeguarding in Education Lead"),
                ("Grace", "Adewunmi-Hart", "Head of Education Safeguarding"),
            ),
        ),
    ),
    AgencyPlan(
        code="riverton-licensing",
        name="Riverton Taxi Licensing",
        kind=AgencyKind.LICENSING,
        teams=("Taxi and Private Hire Licensing", "Licensing Enforcement"),
        staff=(
            StaffMember(
                "licensing.practitioner",
                "Karl",
                "Stenhouse",
                Role.PRACTITIONER,
                "Licensing Officer",
                "Taxi and Private Hire Licensing",
            ),
            *_managers(
                "licensing",
                "Taxi and Private Hire Licensing",
                ("Joanne", "Pybus", "Licensing Team Leader"),
                ("Martin", "Okonkwo-Reid", "Licensing Manager"),
            ),
        ),
    ),
    AgencyPlan(
        code="riverton-youth-justice",
        name="Riverton Youth Justice Service",
        kind=AgencyKind.YOUTH_JUSTICE,
        teams=("Youth Justice Team", "Prevention Team"),
        staff=(
            StaffMember(
                "yjs.practitioner",
                "Shona",
                "Macready",
                Role.PRACTITIONER,
                "Youth Justice Officer",
                "Youth Justice Team",
            ),
            *_managers(
                "yjs",
                "Youth Justice Team",
                ("Dev", "Ramsbottom", "Youth Justice Team Manager"),
                ("Alison", "Tremlett", "Head of Youth Justice"),
            ),
        ),
    ),
    AgencyPlan(
        code="riverton-voluntary",
        name="Brightwater Young People's Trust",
        kind=AgencyKind.VOLUNTARY,
        teams=("Outreach Team", "Drop-in Service"),
        staff=(
            StaffMember(
                "voluntary.practitioner",
                "Jodie",
                "Haverstock",
                Role.PRACTITIONER,
                "Outreach Worker",
                "Outreach Team",
            ),
            *_managers(
                "voluntary",
                "Outreach Team",
                ("Femi", "Lindqvist", "Outreach Coordinator"),
                ("Rosalind", "Fenwick", "Chief Executive"),
            ),
        ),
    ),
    AgencyPlan(
        code="riverton-partnership",
        name="Riverton Safeguarding Partnership",
        kind=AgencyKind.PARTNERSHIP,
        teams=("Partnership Business Unit", "Independent Review Panel"),
        staff=(
            StaffMember(
                "partnership.lead",
                "Imogen",
                "Saltmarsh",
                Role.PARTNERSHIP_LEAD,
                "Independent Safeguarding Partnership Lead",
                "Partnership Business Unit",
            ),
            StaffMember(
                "partnership.analyst",
                "Tobias",
                "Wenlock",
                Role.ANALYST,
                "Partnership Analyst",
                "Partnership Business Unit",
            ),
            StaffMember(
                "reviewer",
                "Harriet",
                "Coldwell",
                Role.REVIEWER,
                "Independent Reviewer",
                "Independent Review Panel",
            ),
            StaffMember(
                "dpo",
                "Priya",
                "Ashdown",
                Role.DATA_PROTECTION_OFFICER,
                "Data Protection Officer",
                "Partnership Business Unit",
            ),
            StaffMember(
                "records.manager",
                "Gareth",
                "Pennock",
                Role.RECORDS_MANAGER,
                "Records Manager",
                "Partnership Business Unit",
            ),
            StaffMember(
                "admin",
                "Sunil",
                "Abernathy",
                Role.SYSTEM_ADMIN,
                "System Administrator",
                "Partnership Business Unit",
            ),
        ),
    ),
)
