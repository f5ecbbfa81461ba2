"""The shared vocabulary: agency kinds and roles live in core, and accounts names the same classes."""

from lantern.accounts import models as accounts
from lantern.core import vocabulary


def test_accounts_names_the_vocabularys_agency_kinds_and_roles():
    """`lantern.accounts.models.Role` and `AgencyKind` are core's classes, so either import gives one choice set."""
    assert accounts.Role is vocabulary.Role
    assert accounts.AgencyKind is vocabulary.AgencyKind
    assert accounts.User._meta.get_field("role").choices == vocabulary.Role.choices
    assert accounts.Agency._meta.get_field("kind").choices == vocabulary.AgencyKind.choices
