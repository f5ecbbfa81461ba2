"""Permission rules: retention, legal holds and disposal, and the data protection view. Registered with the policy.

* The records manager and the data protection officer see the retention queue, the schedule, holds and the
  disposal history, and the data protection view. They see records only by reference, class, agency and dates:
  never their content.
* Only the records manager retains or disposes of a record (disposal always needs this person; no job disposes).
* Either places or lifts a legal hold: the data protection officer may need to hold records for a claim or an
  inquiry as much as the records manager does.
* Nobody else, whatever their role: a system administrator has no access to any of it.
"""

from lantern.core.policy import has_role, register
from lantern.core.vocabulary import Role

is_records_manager = has_role(Role.RECORDS_MANAGER)
is_data_protection_officer = has_role(Role.DATA_PROTECTION_OFFICER)
is_governance = is_records_manager | is_data_protection_officer

register("can_view_retention", is_governance)
register("can_decide_retention", is_records_manager)
register("can_manage_legal_holds", is_governance)
register("can_view_data_protection", is_governance)
