"""A plain text table for the benchmarks' printed figures (a helper: `run_all.py` skips files named `_*`)."""


def table(headings: list[str], rows: list[list[str]]) -> str:
    """A plain text table."""
    widths = [max(len(str(r[i])) for r in [headings, *rows]) for i in range(len(headings))]
    lines = [
        "  ".join(str(h).ljust(w) for h, w in zip(headings, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(
            str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    return "\n".join(lines)
