"""Canonical JSON: the same value always gives the same bytes, for hashes, signatures and request fingerprints."""

import json
from typing import Any


def jsonb_numbers(value: Any) -> Any:
    """The value with every integral float written as an integer, as PostgreSQL's jsonb gives it back."""
    # jsonb keeps numbers as `numeric`, so a float such as 1e16 comes back as the integer 10000000000000000;
    # writing integral floats as integers makes a hash the same before and after a round trip.
    kind = type(value)
    if kind is dict:
        return {key: jsonb_numbers(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [jsonb_numbers(item) for item in value]
    if kind is float and value.is_integer():
        return int(value)
    return value


def dumps(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace, for a value whose numbers are already canonical."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
    )


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: the same value always gives the same bytes."""
    return dumps(jsonb_numbers(value))
