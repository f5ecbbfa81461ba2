"""Permission rules: subject access requests. Registered with lantern.core.policy.

* The data protection officer and the records manager record and work requests: they find the subject's
  records, confirm them and redact them. Through a request they read the content of the records it finds, and
  every such read is logged; they see case content in no other way (DESIGN §1).
* A bundle is signed off by a data protection officer or records manager who did not prepare it: not its
  handler, nor anyone who confirmed its records or made one of its redactions (four eyes).
* Only a signed-off bundle is released.
"""

import rules

from lantern.core.policy import has_role, register
from lantern.core.vocabulary import Role
from lantern.governance.subject_access.models import SubjectAccessRequest

SUBJECT_ACCESS_ROLES = (Role.DATA_PROTECTION_OFFICER, Role.RECORDS_MANAGER)
works_subject_access = has_role(*SUBJECT_ACCESS_ROLES)


def preparers(request: SubjectAccessRequest) -> set[int]:
    """Everyone who prepared the bundle: its handler, and whoever confirmed records or made redactions in it."""
    people = {request.handler_id}
    people |= set(request.records.values_list("decided_by_id", flat=True))
    people |= set(request.redactions.values_list("added_by_id", flat=True))
    people |= set(request.redactions.exclude(removed_by=None).values_list("removed_by_id", flat=True))
    return people


@rules.predicate
def is_request(user, request) -> bool:
    """The object is a subject access request."""
    return isinstance(request, SubjectAccessRequest)


@rules.predicate
def did_not_prepare(user, request) -> bool:
    """The user had no hand in preparing the bundle."""
    return isinstance(request, SubjectAccessRequest) and user.pk not in preparers(request)


@rules.predicate
def is_signed_off(user, request) -> bool:
    """A second person has signed the bundle off."""
    return isinstance(request, SubjectAccessRequest) and request.signed_off_at is not None


can_record_subject_access_request = register("can_record_subject_access_request", works_subject_access)
can_view_subject_access_request = register(
    "can_view_subject_access_request", works_subject_access & is_request
)
# Whether the request's state allows the move (a signed-off bundle no longer changes) is the services' to say,
# with a 409, so that these rules answer only who may.
can_work_subject_access_request = register(
    "can_work_subject_access_request", works_subject_access & is_request
)
can_sign_off_subject_access_request = register(
    "can_sign_off_subject_access_request", works_subject_access & is_request & did_not_prepare
)
can_release_subject_access_bundle = register(
    "can_release_subject_access_bundle", works_subject_access & is_signed_off
)
