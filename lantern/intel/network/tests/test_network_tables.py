"""The network tables' cells are written exactly as the template filters they replace would write them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.template.defaultfilters import floatformat
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.intel.templatetags.network_tables import shown_date, three_places

TIME = Template('<time datetime="{{ at|date:\'c\' }}">{{ at|date:"j M Y" }}</time>')


@pytest.mark.parametrize(
    "value",
    [
        0.0,
        -0.0,
        -1e-17,
        1.0,
        0.5,
        0.0625,
        0.0005,
        0.0015,
        0.9995,
        2 / 3,
        1 / 7,
        0.1234999,
        12.3456,
        3,
        float("nan"),
    ],
)
def test_three_places_is_floatformat_3(value):
    """Halves round up, a zero has no minus sign, whole numbers keep three places: as `floatformat:3`."""
    assert three_places(value) == floatformat(value, 3)


@settings(max_examples=300, deadline=None)
@given(value=st.floats(min_value=-1.0, max_value=1000.0, allow_nan=False))
def test_three_places_agrees_with_floatformat_on_any_figure(value):
    """Any figure a centrality measure can take is written as `floatformat:3` writes it."""
    assert three_places(value) == floatformat(value, 3)


@settings(max_examples=100, deadline=None)
@given(
    at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
)
def test_shown_date_is_the_date_filter_in_london(at):
    """A link's last sighting reads as the `date` filter writes it in London time, summer and winter."""
    assert str(shown_date(at)) == TIME.render(Context({"at": at}))


def test_shown_date_across_the_clock_change_and_without_a_date():
    """Just after midnight in summer is still the day before in UTC; no date is a dash."""
    summer = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert str(shown_date(summer)) == TIME.render(Context({"at": summer}))
    assert "1 Jul 2026" in str(shown_date(summer))
    assert str(shown_date(summer + timedelta(days=180))) == TIME.render(
        Context({"at": summer + timedelta(days=180)})
    )
    assert shown_date(None) == "–"
