"""Fixtures for the complaints and conduct tests: a referral routed to agencies (`people` is casework's)."""

import pytest

from lantern.casework.tests.fixtures import route


@pytest.fixture
def routed_referral(people):
    """A referral routed to the police and social care: (referral, case, tasks by agency kind)."""
    return route(people)
