"""Demo borough: accountability."""

from lantern.insights.accountability.selectors import accountability_refresh


def demo_load(*, seed: int, loaded) -> list[str]:
    """Rebuild the accountability figures over the whole history just loaded; return lines for the report."""
    if loaded is None:
        return []
    # The history is backdated, so every day's figures are rebuilt, not just the last.
    result = accountability_refresh(rebuild=True)
    if result.start is None:
        return ["Accountability figures: nothing to aggregate."]
    return [
        f"Accountability figures rebuilt for {result.start:%-d %b %Y} to {result.end:%-d %b %Y} "
        f"({result.rows:,} daily rows); see /insights/accountability."
    ]
