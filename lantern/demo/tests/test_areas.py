"""The demo's areas: one explicit list, in the order `lantern demo` loads them after the history."""

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from lantern.demo.areas import STEPS


def test_the_areas_load_in_order_a_step_at_a_time():
    """Items then linking, accountability then statistics, reviews then complaints, the survivor's referrals, then
    her child's family network, a restricted case opened by break glass and the training register, then retention,
    then subject access, each step in one transaction."""
    assert [[area.__name__.rsplit(".", 1)[1] for area in step] for step in STEPS] == [
        ["items", "linking"],
        ["accountability", "statistics"],
        ["reviews", "complaints"],
        ["survivor"],
        ["family", "breakglass", "resourcing"],
        ["governance"],
        ["subject_access"],
    ]
    assert all(callable(area.demo_load) for step in STEPS for area in step)


def test_no_app_keeps_a_demo_module_of_its_own():
    """What the demo adds lives in `lantern.demo.areas`; an app's own `demo` module would never be loaded."""
    stray = [
        config.name
        for config in apps.get_app_configs()
        if config.name.startswith("lantern.")
        and config.name != "lantern.demo"
        and module_has_submodule(config.module, "demo")
    ]
    assert stray == []
