"""The inputs and outputs of subject access, once: the API uses them and the forms check the same limits."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from lantern.core.api import Id, IsoDate, offset_field
from lantern.governance.subject_access.models import IdentityCheck, RecordKind, RedactionReason, RequesterKind

PAGE_MAX = 100


class SubjectAccessStrictIn(Schema):
    """Input that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SubjectAccessRequestIn(SubjectAccessStrictIn):
    """A subject access request as received: who it is about, who asked, how their identity was checked."""

    subject_name: str = Field(..., min_length=1, max_length=200)
    subject_other_names: str = Field(
        "", max_length=300, description="Other names or nicknames, comma separated."
    )
    subject_date_of_birth: IsoDate | None = None
    subject_address: str = Field("", max_length=300)
    subject_entity_id: Id | None = Field(
        None, description="The person entity the request is about, where known (from entity search)."
    )
    requester_kind: RequesterKind
    requester_name: str = Field(..., min_length=1, max_length=200)
    requester_contact: str = Field("", max_length=300)
    identity_method: IdentityCheck
    identity_checked_by: str | None = Field(
        None, max_length=150, description="Username of who checked the identity; the caller if left out."
    )
    identity_confirmed_on: IsoDate | None = Field(
        None, description="When the identity was confirmed, if after receipt: the clock starts then."
    )
    what_is_asked: str = Field(..., min_length=1, max_length=5000)
    received_on: IsoDate


class SubjectAccessExtensionIn(SubjectAccessStrictIn):
    """An extension by one or two further months, with the reason."""

    months: int = Field(..., ge=1, le=2)
    reason: str = Field(..., min_length=1, max_length=2000)


class SubjectAccessRecordDecisionIn(SubjectAccessStrictIn):
    """One candidate record, confirmed as the subject's or not."""

    kind: RecordKind
    id: Id
    include: bool


class SubjectAccessRecordsIn(SubjectAccessStrictIn):
    """Decisions on candidate records."""

    records: list[SubjectAccessRecordDecisionIn] = Field(..., min_length=1, max_length=500)


class SubjectAccessRedactionIn(SubjectAccessStrictIn):
    """Add a redaction (record, part, reason, and the text, or the whole part) or remove one (its id, a reason)."""

    action: Literal["add", "remove"]
    record: str | None = Field(None, max_length=40, description="The record as `kind:id`, e.g. referral:12.")
    part: str | None = Field(None, max_length=60)
    text: str = Field("", max_length=5000, description="The exact text to withhold; the whole part if empty.")
    reason: str = Field(
        ...,
        min_length=1,
        max_length=500,
        description="To add: an exemption. To remove: why it can be released.",
    )
    note: str = Field("", max_length=500)
    redaction_id: Id | None = None


class SubjectAccessSignOffIn(SubjectAccessStrictIn):
    """A second person's sign-off, with an optional note."""

    note: str = Field("", max_length=2000)


class SubjectAccessListQuery(Schema):
    """Filters and paging for the list of requests."""

    status: Literal["received", "redaction", "signed_off", "released"] | None = None
    offset: int = offset_field()
    limit: int = Field(50, ge=1, le=PAGE_MAX)


class SubjectAccessPersonOut(Schema):
    """A member of staff named on a request."""

    id: int
    name: str


class SubjectAccessEscalationOut(Schema):
    """A rung raised as the deadline neared or passed."""

    level: int
    deadline: dt.date
    reason: str
    raised_at: dt.datetime


class SubjectAccessSummaryOut(Schema):
    """A request in a list."""

    id: int
    reference: str
    subject_name: str
    status: str
    received_on: dt.date
    due_on: dt.date
    extended_due_on: dt.date | None
    deadline: dt.date
    handler: SubjectAccessPersonOut


class SubjectAccessPageOut(Schema):
    """A page of requests."""

    count: int
    offset: int
    limit: int
    items: list[SubjectAccessSummaryOut]


class SubjectAccessRecordOut(Schema):
    """A record decided on: in the bundle or not."""

    key: str
    kind: str
    record_id: int
    included: bool
    why: str


class SubjectAccessRedactionOut(Schema):
    """A redaction; its withheld text is shown only to those working the request."""

    id: int
    record: str
    part: str
    text: str
    reason: RedactionReason
    note: str
    proposed: bool
    active: bool
    added_by: SubjectAccessPersonOut
    added_at: dt.datetime
    removed_at: dt.datetime | None
    removal_reason: str


class SubjectAccessRequestOut(SubjectAccessSummaryOut):
    """A request with its clock, identity check, records, redactions, sign-off and escalations."""

    subject_other_names: str
    subject_date_of_birth: dt.date | None
    requester_kind: str
    requester_name: str
    identity_method: str
    identity_checked_by: SubjectAccessPersonOut
    identity_confirmed_on: dt.date
    what_is_asked: str
    extension_reason: str
    signed_off_by: SubjectAccessPersonOut | None
    signed_off_at: dt.datetime | None
    released_at: dt.datetime | None
    records: list[SubjectAccessRecordOut]
    redactions: list[SubjectAccessRedactionOut]
    escalations: list[SubjectAccessEscalationOut]


class SubjectAccessCandidateOut(Schema):
    """A record Lantern found that may be the subject's, why, and any decision made."""

    key: str
    kind: str
    record_id: int
    reference: str
    title: str
    on: dt.date | None
    why: str
    decision: bool | None


class SubjectAccessPartOut(Schema):
    """One part of a record in the bundle: as held, and as it will be released."""

    key: str
    label: str
    text: str
    released: str
    third_party: bool


class SubjectAccessDocumentOut(Schema):
    """A record in the bundle, part by part."""

    key: str
    title: str
    parts: list[SubjectAccessPartOut]
