"""What the demo adds to the borough after its history, area by area, in the order `lantern demo` loads them.

Each area provides `demo_load(*, seed, loaded) -> list[str]`, where `loaded` is the `HistoryResult` of the
referral history just loaded (None when no history was loaded this time); it returns lines to report. Each must
be idempotent, as `lantern demo` is.
"""

from lantern.demo.areas import (
    accountability,
    breakglass,
    complaints,
    family,
    governance,
    items,
    linking,
    resourcing,
    reviews,
    statistics,
    subject_access,
    survivor,
)

# The areas in loading order, a step at a time: each step is loaded in one transaction of its own. Intelligence
# items share theirs with the first linking run, so the items' real-time matching runs after it on commit. The
# survivor's own referrals have a step to themselves, so they are matched on commit before her child's case names
# the man they record; resourcing comes after that case, so its owner is not yet held to training requirements.
# Subject access comes last, so the requests find every record the other areas made.
STEPS = (
    (items, linking),
    (accountability, statistics),
    (reviews, complaints),
    (survivor,),
    (family, breakglass, resourcing),
    (governance,),
    (subject_access,),
)
