"""Demo borough: statistics."""


def demo_load(*, seed: int, loaded) -> list[str]:
    """Add to the demo borough (idempotently); return lines for the report."""
    return []
