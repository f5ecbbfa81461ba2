"""Small checks that services share when they validate what they are given."""

MAX_TEXT = 5000


def clean_text(value, field: str, errors: dict, *, required: str = "", limit: int = MAX_TEXT) -> str:
    """Strip a text field; record `required` (the message) if it is needed and empty, or an error if over `limit`."""
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        errors.setdefault(field, []).append(required)
    elif len(value) > limit:
        errors.setdefault(field, []).append(f"This must be {limit:,} characters or fewer.")
    return value
