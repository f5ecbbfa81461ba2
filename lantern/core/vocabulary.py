"""Controlled vocabularies shared across apps: agency kinds, roles, sex, ethnicity (ONS 2021), place types."""

from django.db import models


class AgencyKind(models.TextChoices):
    """The kinds of agency in a local safeguarding partnership (DESIGN §1)."""

    POLICE = "police", "Police"
    CSC = "csc", "Children's social care"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education"
    LICENSING = "licensing", "Taxi licensing"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    VOLUNTARY = "voluntary", "Voluntary sector"
    PARTNERSHIP = "partnership", "Safeguarding partnership"


class Role(models.TextChoices):
    """What a user does. Permissions are decided from this in `lantern.core.policy`, never by hand."""

    FRONT_DOOR = "front_door", "Front door (MASH) worker"
    PRACTITIONER = "practitioner", "Practitioner"
    TEAM_MANAGER = "team_manager", "Team manager"
    SERVICE_MANAGER = "service_manager", "Service manager"
    ANALYST = "analyst", "Analyst"
    PARTNERSHIP_LEAD = "partnership_lead", "Partnership lead"
    REVIEWER = "reviewer", "Independent reviewer"
    RECORDS_MANAGER = "records_manager", "Records manager"
    DATA_PROTECTION_OFFICER = "dpo", "Data protection officer"
    SYSTEM_ADMIN = "system_admin", "System administrator"


class Sex(models.TextChoices):
    """Sex as recorded, with explicit unknowns."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_KNOWN = "not_known", "Not known"
    NOT_STATED = "not_stated", "Not stated"


class Ethnicity(models.TextChoices):
    """ONS 2021 census ethnic groups (England and Wales), with "not stated" and "refused".

    Used only in aggregate monitoring; never an input to a risk score or a match.
    """

    ASIAN_BANGLADESHI = "asian_bangladeshi", "Asian, Asian British or Asian Welsh: Bangladeshi"
    ASIAN_CHINESE = "asian_chinese", "Asian, Asian British or Asian Welsh: Chinese"
    ASIAN_INDIAN = "asian_indian", "Asian, Asian British or Asian Welsh: Indian"
    ASIAN_PAKISTANI = "asian_pakistani", "Asian, Asian British or Asian Welsh: Pakistani"
    ASIAN_OTHER = "asian_other", "Asian, Asian British or Asian Welsh: Other Asian"
    BLACK_AFRICAN = "black_african", "Black, Black British, Black Welsh, Caribbean or African: African"
    BLACK_CARIBBEAN = "black_caribbean", "Black, Black British, Black Welsh, Caribbean or African: Caribbean"
    BLACK_OTHER = "black_other", "Black, Black British, Black Welsh, Caribbean or African: Other Black"
    MIXED_WHITE_ASIAN = "mixed_white_asian", "Mixed or Multiple ethnic groups: White and Asian"
    MIXED_WHITE_BLACK_AFRICAN = (
        "mixed_white_black_african",
        "Mixed or Multiple ethnic groups: White and Black African",
    )
    MIXED_WHITE_BLACK_CARIBBEAN = (
        "mixed_white_black_caribbean",
        "Mixed or Multiple ethnic groups: White and Black Caribbean",
    )
    MIXED_OTHER = "mixed_other", "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups"
    WHITE_BRITISH = "white_british", "White: English, Welsh, Scottish, Northern Irish or British"
    WHITE_IRISH = "white_irish", "White: Irish"
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller", "White: Gypsy or Irish Traveller"
    WHITE_ROMA = "white_roma", "White: Roma"
    WHITE_OTHER = "white_other", "White: Other White"
    OTHER_ARAB = "other_arab", "Other ethnic group: Arab"
    OTHER_ANY = "other_any", "Other ethnic group: Any other ethnic group"
    NOT_STATED = "not_stated", "Not stated"
    REFUSED = "refused", "Refused"


class PlaceType(models.TextChoices):
    """Kinds of place that matter in contextual safeguarding (DESIGN §3)."""

    PARK = "park", "Park"
    ALLOTMENT = "allotment", "Allotment"
    TAKEAWAY = "takeaway", "Takeaway"
    HOTEL = "hotel", "Hotel"
    TAXI_RANK = "taxi_rank", "Taxi rank"
    HOUSE = "house", "House or flat"
    SCHOOL = "school", "School"
    SHOP = "shop", "Shop"
    CAR_PARK = "car_park", "Car park"
    SHOPPING_CENTRE = "shopping_centre", "Shopping centre"
    TRANSPORT_HUB = "transport_hub", "Bus or railway station"
    LEISURE = "leisure", "Leisure centre or arcade"
    CHILDRENS_HOME = "childrens_home", "Children's home"
    ONLINE = "online", "Online"
    STREET = "street", "Street or public space"
    OTHER = "other", "Other"


class PhoneStatus(models.TextChoices):
    """What a phone number as reported is: a report's numbers are taken as written and marked, never refused."""

    VALID = "valid", "A whole, allocated number"
    NOT_ALLOCATED = "not_allocated", "A whole number, but not one that is allocated"
    PARTIAL = "partial", "Part of a number, or one that cannot be read as a whole number"
    UNUSABLE = "unusable", "Too few digits to match on: kept as written"


class RegistrationStatus(models.TextChoices):
    """What a registration mark as reported is: a report's marks are taken as written and marked, never refused."""

    VALID = "valid", "A full UK mark"
    PARTIAL = "partial", "Part of a mark"
    FOREIGN = "foreign", "A foreign mark"
    NON_STANDARD = "non_standard", "A mark in no known format"
    UNUSABLE = "unusable", "Nothing to match on: kept as written"
