"""Canonical JSON: one value, one string, whichever way its keys and numbers arrive."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantern.audit import chain
from lantern.core.canonical import canonical_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def test_keys_are_sorted_and_whitespace_is_left_out():
    """Keys come out sorted at every depth, with no spaces after separators."""
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": None}}) == '{"a":{"c":null,"d":[1,2]},"b":1}'


def test_integral_floats_are_written_as_integers():
    """1e16 and 2.0 are written as PostgreSQL's jsonb gives them back; other floats are kept."""
    assert canonical_json({"big": 1e16, "two": 2.0, "half": 0.5, "pair": (1.0, 3)}) == (
        '{"big":10000000000000000,"half":0.5,"pair":[1,3],"two":2}'
    )


def test_text_is_kept_as_written_and_other_values_become_strings():
    """Non-ASCII text is not escaped, and a value JSON has no type for is written as its string."""
    assert canonical_json({"name": "Zoë", "when": 2024}) == '{"name":"Zoë","when":2024}'
    assert json.loads(canonical_json({"at": object})) == {"at": str(object)}


def test_nan_is_refused():
    """NaN has no JSON form, so it is refused rather than written as a non-standard token."""
    with pytest.raises(ValueError):
        canonical_json({"score": math.nan})


@given(json_values)
def test_a_round_trip_gives_the_same_bytes(value):
    """Reading canonical JSON back and writing it again gives the same string."""
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once


def test_the_audit_chain_uses_the_same_function():
    """The audit chain stores event data and signs checkpoints with this one function."""
    assert chain.canonical_json is canonical_json
