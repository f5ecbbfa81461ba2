"""The words Riverton's referrals are written in: kinds of concern, their indicators, what agencies record.

Each scenario is a kind of concern practitioners meet again and again (cars outside takeaways, going missing,
online grooming, parties at a flat, a taxi driver offering free rides, ...). A scenario says which screening
indicators its referrals tend to show, which kinds of place, vehicle, person and phone they mention, which
sources tend to raise it, and gives a few ways of writing it down. Nothing here describes anyone by ethnicity,
nationality or religion: persons of concern are described by what they did, how old they seemed and what they
drove.
"""

from dataclasses import dataclass, field

# Sources of a referral as the planner draws them: (source, agency kind for a professional, weight).
SOURCE_WEIGHTS: tuple[tuple[str, str, float], ...] = (
    ("professional", "police", 18),
    ("professional", "education", 14),
    ("professional", "health", 10),
    ("professional", "csc", 7),
    ("professional", "youth_justice", 5),
    ("professional", "voluntary", 8),
    ("professional", "licensing", 2),
    ("public", "", 22),
    ("self", "", 5),
)


@dataclass(frozen=True)
class Scenario:
    """A kind of concern: what it tends to show and mention, who raises it, and how it is written."""

    code: str
    weight: float
    indicators: dict[str, float]
    place_types: dict[str, float]
    templates: tuple[str, ...]
    vehicle: float = 0.0
    taxi: float = 0.0
    person: float = 0.0
    phone: float = 0.0
    # Relative likelihood of this scenario for each source key ("police", "public", ...); 1 where unlisted.
    sources: dict[str, float] = field(default_factory=dict)


# Placeholders: {child} the child as the writer names them, {age} their age ("14"), {they}/{them}/{their}
# pronouns (for a child whose sex is not known, {they} is their name, so that every verb agrees), {place} and
# {place2} place names, {area} a neighbourhood, {car} a described vehicle, {man} a described person of
# concern, {phone} a number, {time} a time of day, {day} a day. Capitalised forms ({They}, {Their}) start a
# sentence.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "cars",
        16,
        {"cars": 0.9, "older_partner": 0.4, "missing": 0.3, "gifts": 0.3, "substances": 0.2, "venues": 0.3},
        {"takeaway": 4, "car_park": 3, "street": 3, "shop": 2, "park": 2, "shopping_centre": 1},
        (
            "{child} ({age}) was seen getting into {car} outside {place} at {time} on {day}. The driver was "
            "{man}. {They} did not come home until the early hours.",
            "Staff at {place} report that {child}, aged {age}, has been picked up several times by {car}. "
            "{They} looked nervous and would not say who the driver was.",
            "Two young people, one believed to be {child} ({age}), were seen getting into {car} near "
            "{place} in {area} late at night. The driver was {man}.",
        ),
        vehicle=0.95,
        person=0.6,
        phone=0.2,
        sources={"police": 2, "public": 2.5, "education": 0.6, "licensing": 0.2},
    ),
    Scenario(
        "missing",
        13,
        {"missing": 0.95, "substances": 0.4, "older_partner": 0.35, "school_absence": 0.4, "wellbeing": 0.3},
        {"house": 4, "hotel": 1, "park": 1, "transport_hub": 1, "street": 1},
        (
            "{child} ({age}) was reported missing overnight and found the next day at {place}. {They} said "
            "{they} had been with friends but would not give names.",
            "{child}, aged {age}, has gone missing three times this month. On the last occasion {they} "
            "returned with a new phone and smelling of alcohol. Believed to be staying at {place}.",
            "Missing episode: {child} ({age}) left home at {time} and was found by officers at {place} in "
            "{area} with {man}.",
        ),
        person=0.5,
        phone=0.3,
        sources={"police": 2.5, "csc": 2, "public": 0.6},
    ),
    Scenario(
        "online",
        10,
        {"online": 0.95, "older_partner": 0.5, "gifts": 0.25, "wellbeing": 0.3, "withdrawn_disclosure": 0.15},
        {"online": 6},
        (
            "{child} ({age}) told a teacher that an older man on {place} has been asking {them} for images "
            "and sending money. He uses the number {phone}.",
            "{child}'s parent found messages on {place} from {man} asking {child} ({age}) to meet. The "
            "messages came from {phone}.",
            "{child}, aged {age}, has been added to a group chat on {place} where older users share sexual "
            "images of young people.",
        ),
        person=0.5,
        phone=0.7,
        sources={"education": 2.5, "voluntary": 1.5, "self": 2.5, "police": 0.7, "licensing": 0.1},
    ),
    Scenario(
        "hotel",
        6,
        {"venues": 0.9, "older_partner": 0.6, "substances": 0.5, "missing": 0.4},
        {"hotel": 5, "car_park": 1},
        (
            "Night staff at {place} report that {child} ({age}) was brought to the hotel at {time} by "
            "{man}, who booked a room and paid in cash.",
            "{child}, aged {age}, was found in a room at {place} with two adult men and alcohol. Officers "
            "attended at {time}.",
        ),
        vehicle=0.4,
        person=0.8,
        phone=0.3,
        sources={"police": 2.5, "public": 1.5, "education": 0.3, "licensing": 0.3},
    ),
    Scenario(
        "gifts",
        8,
        {"gifts": 0.9, "older_partner": 0.5, "school_absence": 0.4, "wellbeing": 0.2},
        {"shop": 3, "house": 2, "shopping_centre": 2},
        (
            "{child} ({age}) has come to school with a new phone, designer clothes and cash, and says an "
            "older friend called {man} bought them.",
            "{child}'s family are worried: {child} ({age}) has money that nobody can explain and is often "
            "dropped off near {place} by {car}.",
        ),
        vehicle=0.3,
        person=0.5,
        phone=0.4,
        sources={"education": 2, "public": 1.2, "health": 0.5},
    ),
    Scenario(
        "school",
        9,
        {"school_absence": 0.9, "cars": 0.45, "peers": 0.4, "wellbeing": 0.3, "gifts": 0.2},
        {"school": 6, "car_park": 1},
        (
            "{child} ({age}) has missed most of this half term. When in school {they} leaves at lunchtime "
            "and has been seen getting into {car} at the gates of {place}.",
            "Attendance concern at {place}: {child}, aged {age}, is regularly collected by {man} in {car} "
            "and misses afternoon lessons.",
        ),
        vehicle=0.6,
        person=0.4,
        sources={"education": 4, "police": 0.5, "public": 0.3},
    ),
    Scenario(
        "taxi",
        6,
        {"cars": 0.7, "venues": 0.8, "gifts": 0.5, "older_partner": 0.3},
        {"taxi_rank": 4, "takeaway": 2},
        (
            "A taxi driver working from {place} has been giving {child} ({age}) and friends free rides and "
            "cigarettes. The taxi is {car}.",
            "{child} ({age}) said a private hire driver took {them} to {place2} instead of home and asked "
            "for {their} phone number. The cab was {car}.",
        ),
        vehicle=0.95,
        taxi=0.95,
        person=0.5,
        phone=0.3,
        sources={"licensing": 8, "public": 1.5, "police": 1.2, "education": 0.8},
    ),
    Scenario(
        "parties",
        9,
        {"substances": 0.8, "older_partner": 0.5, "peers": 0.6, "missing": 0.4, "gifts": 0.2},
        {"house": 5, "street": 1},
        (
            "Neighbours report parties most weekends at {place} with young teenagers arriving late and "
            "adult men coming and going. {child} ({age}) was seen there on {day}.",
            "{child}, aged {age}, disclosed going to parties at {place} where older men give out vodka and "
            "cannabis. {They} mentioned {man}.",
        ),
        vehicle=0.3,
        person=0.75,
        phone=0.3,
        sources={"youth_justice": 3, "public": 1.8, "police": 1.2, "self": 1.2},
    ),
    Scenario(
        "sexual_health",
        5,
        {"sexual_health": 0.95, "older_partner": 0.6, "withdrawn_disclosure": 0.3, "wellbeing": 0.3},
        {"house": 1, "online": 1},
        (
            "{child} ({age}) attended the sexual health clinic for emergency contraception and said {their} "
            "boyfriend is 'about 25'. {They} would not give his name.",
            "{child}, aged {age}, has a positive STI test and disclosed a relationship with {man}, then "
            "withdrew what {they} said.",
        ),
        person=0.4,
        phone=0.2,
        sources={"health": 8, "self": 0.5, "public": 0.1, "licensing": 0.05},
    ),
    Scenario(
        "peers",
        8,
        {"peers": 0.8, "wellbeing": 0.5, "substances": 0.3, "school_absence": 0.3},
        {"park": 3, "shopping_centre": 2, "transport_hub": 2, "leisure": 2},
        (
            "{child} ({age}) has started spending time with an older group at {place} who are known to be "
            "exploited. {Their} mood has changed and {they} is self-harming.",
            "Outreach workers saw {child}, aged {age}, with young people at {place} late in the evening; an "
            "older man, {man}, appeared to be in charge of the group.",
        ),
        person=0.4,
        phone=0.2,
        sources={"voluntary": 3, "youth_justice": 2, "education": 1.2},
    ),
    Scenario(
        "worry",
        8,
        {"wellbeing": 0.6, "school_absence": 0.3, "peers": 0.2},
        {"house": 2, "park": 1, "school": 1, "other": 2},
        (
            "{child}'s parent is worried about new friends {they} ({age}) will not talk about, and about "
            "{their} time on {their} phone.",
            "{child} ({age}) seems withdrawn and tired in lessons. No specific disclosure, but staff are "
            "uneasy about who {they} spends time with after school near {place}.",
        ),
        person=0.1,
        sources={"public": 1.5, "education": 1.5, "self": 1.5, "health": 1.2, "licensing": 0.05},
    ),
    Scenario(
        "childrens_home",
        4,
        {"missing": 0.95, "cars": 0.6, "substances": 0.4, "older_partner": 0.4},
        {"childrens_home": 6},
        (
            "{child} ({age}) has gone missing from {place} four times in two weeks and is collected each "
            "time by {car}.",
            "Staff at {place} report that {child}, aged {age}, returns after nights away with cash and "
            "alcohol; {they} was last seen getting into {car}.",
        ),
        vehicle=0.7,
        person=0.5,
        phone=0.3,
        sources={"csc": 4, "police": 1.5, "public": 0.2},
    ),
    Scenario(
        "allotments",
        4,
        {"older_partner": 0.7, "substances": 0.5, "venues": 0.2, "missing": 0.3},
        {"allotment": 4, "park": 2},
        (
            "Allotment holders at {place} report that young teenagers, one believed to be {child} ({age}), "
            "are taken into a shed by older men in the evenings. A car, {car}, parks by the gate.",
            "{child} ({age}) was seen leaving {place} after dark with {man}; {they} appeared drunk.",
        ),
        vehicle=0.5,
        person=0.7,
        sources={"public": 2.5, "police": 1.5},
    ),
)

INDICATOR_EVIDENCE = {
    "missing": "Missing from home or care on more than one occasion, as the referral describes.",
    "older_partner": "Association with an adult much older than the child, described in the referral.",
    "cars": "Seen getting into cars driven by adults who are not family.",
    "gifts": "New phone, money or clothes the child cannot explain.",
    "venues": "Taken to a hotel, taxi office or takeaway by adults.",
    "substances": "Alcohol or cannabis given by adults.",
    "school_absence": "Attendance below 80% this term; leaves school at lunchtime.",
    "sexual_health": "Sexual health clinic attendance reported by health.",
    "withdrawn_disclosure": "Made a disclosure and later withdrew it.",
    "online": "Messages asking for images, seen by a parent or teacher.",
    "peers": "Spends time with young people known to be exploited.",
    "wellbeing": "Withdrawn, tired, self-harm reported by school or family.",
}

JUDGEMENTS = {
    "high": (
        "The pattern of adults, cars and missing episodes is consistent with sexual exploitation. Immediate "
        "multi-agency response needed.",
        "Serious concern: the child is being groomed by adults and the risk is escalating.",
    ),
    "medium": (
        "Some indicators of exploitation; agencies need to find out more and put support in place.",
        "Concerning but not yet conclusive; an assessment is needed.",
    ),
    "low": (
        "No clear indicators of exploitation at present; family support and advice are appropriate.",
        "Low-level worry; universal services can respond.",
    ),
}

RATIONALES = {
    "nfa": (
        "Information checked with school and family; no indicators of exploitation found and the family is "
        "already supported.",
        "The concern has been looked into and is explained by a family dispute; no safeguarding role for "
        "agencies.",
    ),
    "advice": (
        "Low risk. Advice given to the parent about online safety and where to get help.",
        "Concern shared with the school's safeguarding lead; advice on warning signs given to the referrer.",
    ),
    "refer": (
        "Indicators of exploitation present; agencies to assess and act within their timescales.",
        "Referral to agencies for assessment, safety planning and disruption of the adults involved.",
    ),
    "strategy": (
        "Significant harm suspected: strategy discussion with police, social care and health.",
        "High risk of sexual exploitation; strategy discussion to agree section 47 enquiries and disruption.",
    ),
}
ADVICE_GIVEN = (
    "Talked the parent through the signs of exploitation and gave the NSPCC helpline number.",
    "Advised the school to keep monitoring attendance and to refer again if anything changes.",
    "Gave the young person information about the drop-in service and how to contact it.",
)
SIGN_OFF_REJECTIONS = (
    "Speak to the school before closing: the absences need explaining.",
    "The car and the older man in the account need checking with the police first.",
    "Not enough checks made; please screen again with health information.",
)
SIGN_OFF_APPROVALS = ("Agreed.", "Agreed; checks are proportionate.", "")

# What an agency records when it completes a task: outcome codes it is likely to choose, with weights.
OUTCOMES_BY_KIND: dict[str, tuple[tuple[str, float], ...]] = {
    "police": (
        ("crime_recorded", 3),
        ("investigation", 3),
        ("disruption", 3),
        ("intelligence_recorded", 4),
        ("arrest", 1),
        ("no_action", 1),
    ),
    "csc": (
        ("assessment_started", 5),
        ("section_47", 2),
        ("cin_plan", 2),
        ("cp_plan", 1),
        ("early_help", 3),
        ("safety_plan", 2),
        ("no_action", 1),
    ),
    "health": (("health_assessment", 5), ("referred_on", 2), ("no_action", 2)),
    "education": (("school_support", 6), ("safety_plan", 2), ("no_action", 1)),
    "licensing": (
        ("licence_review", 4),
        ("licence_suspended", 2),
        ("intelligence_recorded", 2),
        ("no_action", 1),
    ),
    "youth_justice": (("safety_plan", 3), ("referred_on", 2), ("no_action", 1)),
    "voluntary": (("safety_plan", 3), ("referred_on", 2), ("no_action", 1)),
    "partnership": (("no_action", 1),),
}
NARRATIVES = {
    "crime_recorded": "Crime recorded and allocated to the Child Exploitation Unit.",
    "investigation": "Investigation opened; the vehicle and the adults named are being traced.",
    "disruption": "Disruption visit to the address; child abduction warning notice served on one adult.",
    "intelligence_recorded": "Information recorded as intelligence and linked to existing reports.",
    "arrest": "One adult arrested on suspicion of sexual activity with a child.",
    "assessment_started": "Child and family assessment started; home visit completed.",
    "section_47": "Section 47 enquiry opened following the strategy discussion.",
    "cin_plan": "Child in need plan agreed with the family.",
    "cp_plan": "Child protection plan agreed at the initial conference.",
    "early_help": "Early help offered and accepted by the family.",
    "safety_plan": "Safety plan agreed with the young person and their family.",
    "health_assessment": "Health assessment completed; sexual health support offered.",
    "referred_on": "Referred to the specialist exploitation support service.",
    "school_support": "Mentor allocated and attendance plan put in place.",
    "licence_review": "Driver's licence reviewed; driver interviewed and warned.",
    "licence_suspended": "Driver's licence suspended pending police enquiries.",
    "no_action": "No role for this agency: the child is not known to us and the other agencies hold the "
    "work.",
}
ESCALATION_RESOLUTIONS = (
    "Task now acknowledged; the team has been reminded of the timescale.",
    "Spoke to the duty manager; the task has been allocated and is being worked.",
    "Delay caused by staff absence; cover arranged and the work is under way.",
    "Agency has now acted; raised at the partnership performance meeting.",
)
DISAGREEMENTS = (
    "We disagree that there is no action for this agency: the child was seen with the adult again last week.",
    "The outcome does not address the vehicle named in the referral; please look again.",
)
DISAGREEMENT_RESOLUTIONS = (
    "Discussed between managers; the agency has agreed to reopen its enquiries.",
    "Managers met and agreed the original decision stands, with reasons recorded.",
)
CASE_NOTES = (
    ("Home visit completed. The child was reluctant to talk; parent engaged well.", False),
    ("Child disclosed being given alcohol by adults at a flat. Police informed the same day.", True),
    ("Called the school: attendance improving since the mentor started.", False),
    ("Child missing again overnight; found in the early hours by police.", True),
    ("Return home interview offered; the child declined to speak to the worker.", False),
    ("Joint visit with police; the child gave an account of being taken to a hotel.", True),
)
STRATEGY_DECISIONS = (
    "Section 47 enquiry to proceed. Police to trace the adults and the vehicle; health to offer a sexual "
    "health assessment; school to monitor attendance daily.",
    "Threshold for section 47 met. Disruption plan for the address; child abduction warning notices to be "
    "considered; safety plan with the family.",
    "Section 47 not needed at this stage; child in need assessment with a safety plan, reviewed in four "
    "weeks.",
)
STRATEGY_ACTIONS = {
    "police": "Trace and interview the adults named; check the vehicle on police systems.",
    "csc": "Visit the child and family within two working days and update the safety plan.",
    "health": "Offer a health assessment and sexual health support.",
    "education": "Daily attendance checks and a named adult in school.",
    "licensing": "Check the driver's licence record and interview the driver.",
    "youth_justice": "Share what is known about the peer group.",
    "voluntary": "Offer a specialist exploitation support worker.",
}
FLAG_JUSTIFICATIONS = {
    "cse": "Strategy discussion agreed that the child is at risk of sexual exploitation.",
    "missing": "Repeated missing episodes with associated exploitation risk.",
    "group_based": "Several adults acting together to groom the child and friends.",
    "cce": "Child used to carry drugs for older peers.",
}
FLAG_REJECTIONS = ("Not enough evidence yet; review after the section 47 enquiry.",)
FLAG_REMOVALS = "Risk reduced: no missing episodes or contact with the adults for six months; plan closed."
MISSING_FOUND = (
    "at a friend's house",
    "at a flat in the town centre",
    "at the bus station by officers",
    "at a hotel with adults",
    "walking home in the early hours",
)
RETURN_INTERVIEW_NOTES = "Return interview offered."

# Relationships of public reporters to what they saw.
REPORTER_RELATIONSHIPS = (
    "Neighbour",
    "Parent",
    "Grandparent",
    "Shop worker",
    "Taxi passenger",
    "Passer-by",
    "Takeaway staff",
    "Hotel staff",
    "Allotment holder",
    "Friend's parent",
)
# How persons of concern are described besides sex and age: appearance and habits, never ethnicity.
PERSON_FEATURES = (
    "short dark hair and a beard",
    "heavy build, wears a grey tracksuit",
    "thin, tattoo on the neck",
    "grey hair, glasses",
    "designer clothes, drives different cars",
    "shaved head, gold chain",
    "tall, walks with a limp",
    "curly hair, always on two phones",
)
# Where concerns happen online, as places of type "online".
ONLINE_PLACES = ("Snapchat", "Instagram", "TikTok", "a WhatsApp group", "an online gaming chat", "Telegram")
CHILDRENS_HOMES = (
    "Willow House children's home",
    "Cedar Lodge children's home",
    "Brookside children's home",
    "Granary Court children's home",
)
STREET_PLACES = (
    "the underpass on {street}",
    "the alley behind {street}",
    "the canal towpath near {area}",
    "the bus shelter on {street}",
    "the footbridge over the railway in {area}",
)
TIMES = ("21:00", "22:30", "23:00", "23:45", "00:30", "01:15", "16:00", "18:30", "19:45")
DAYS = (
    "Friday night",
    "Saturday night",
    "Sunday evening",
    "Tuesday evening",
    "a school night",
    "the weekend",
)
