"""Lantern's rooms depend one way: each may import only from the rooms below it (README, "Layout").

Every import in every production module counts, including those inside functions, since a lazy import is
still a dependency. Tests, migrations and the browser tests are left out: a test may use fixtures from anywhere.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Lowest first. Rooms on one line are siblings: neither may import the other. A room that names an app with
# sub-packages ("intel") is the app's own modules, which gather them (models, api, urls, rules, jobs, commands)
# and sit above them: a sub-package imports its siblings below it, never its app's gathering modules.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("audit",),
    ("accounts",),
    ("intel.linking",),
    ("intake",),
    ("casework",),
    ("intel.items",),
    ("intel.network",),
    ("intel",),
    ("frontdoor",),
    ("insights.accountability", "insights.statistics", "insights.resourcing"),
    ("insights",),
    ("oversight.reviews",),
    ("oversight.complaints",),
    ("oversight",),
    ("governance.retention",),
    ("governance.subject_access",),
    ("governance",),
    ("api",),
    ("urls", "cli", "settings", "wsgi", "asgi"),
    ("demo",),
]
LEVEL = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str | None:
    """The room a dotted module `lantern.…` belongs to: the longest listed prefix, or None for `lantern` itself."""
    parts = module.split(".")[1:]
    for size in range(len(parts), 0, -1):
        candidate = ".".join(parts[:size])
        if candidate in LEVEL:
            return candidate
    return None


def is_production(path: Path) -> bool:
    """Modules that ship: not tests, migrations, or the browser tests."""
    parts = set(path.relative_to(ROOT).parts)
    return not (parts & {"tests", "migrations", "browser_tests"}) and not path.name.startswith("test_")


def module_name(path: Path) -> str:
    """The dotted name of a file under the repository root."""
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every `lantern.…` module the file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("lantern.")}


def production_modules() -> list[Path]:
    """Every production module in the package."""
    return sorted(path for path in (ROOT / "lantern").rglob("*.py") if is_production(path))


def upward_imports() -> list[str]:
    """Each import that reaches a room on the same line or above, as `importer -> imported`."""
    wrong = []
    for path in production_modules():
        here = room_of(module_name(path))
        if here is None:
            continue
        for name in sorted(imports_of(path)):
            there = room_of(name)
            if there is None or there == here:
                continue
            if LEVEL[there] >= LEVEL[here]:
                wrong.append(f"{module_name(path)} ({here}) -> {name} ({there})")
    return wrong


def test_every_room_is_listed():
    """Each app and sub-package with modules of its own has a place in the layering."""
    unplaced = sorted(
        {module_name(p) for p in production_modules() if room_of(module_name(p)) is None} - {"lantern"}
    )
    assert unplaced == []


def test_no_room_imports_a_room_above_it_or_beside_it():
    """The app import graph is a DAG: every import points down the layering."""
    assert upward_imports() == []


def test_no_production_module_imports_the_demo_borough():
    """Only the demo's own commands and tests use `lantern.demo`; nothing that ships depends on it."""
    users = [
        module_name(path)
        for path in production_modules()
        if not module_name(path).startswith("lantern.demo")
        and any(name == "lantern.demo" or name.startswith("lantern.demo.") for name in imports_of(path))
    ]
    assert users == []


@pytest.mark.parametrize(
    ("module", "room"),
    [
        ("lantern.core.policy", "core"),
        ("lantern.intel.linking.resolution.batch", "intel.linking"),
        ("lantern.intel.models", "intel"),
        ("lantern.oversight.complaints.services", "oversight.complaints"),
        ("lantern.urls", "urls"),
        ("lantern", None),
    ],
)
def test_modules_are_placed_in_their_room(module, room):
    """A module belongs to the most specific room that contains it."""
    assert room_of(module) == room
