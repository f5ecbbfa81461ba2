"""The planned referral history: the volume change, determinism, coverage, networks and demographics."""

from collections import Counter
from datetime import date, datetime

import pytest

from lantern.core.calendar import LONDON
from lantern.core.normalise import normalise_phone, normalise_registration
from lantern.core.vocabulary import PlaceType
from lantern.demo import history
from lantern.demo.population import ETHNICITY, SEX, Streams

UNTIL = datetime(2026, 6, 30, 17, 0, tzinfo=LONDON)


def deseasonalised_ratio(plan: history.HistoryPlan) -> float:
    """Referrals per month inside the window over those outside, each month divided by its seasonal factor."""
    inside = [plan.counts[m] / history.SEASON[m.month] for m in plan.months if plan.volume_change.covers(m)]
    outside = [
        plan.counts[m] / history.SEASON[m.month] for m in plan.months[:-1] if not plan.volume_change.covers(m)
    ]
    return (sum(inside) / len(inside)) / (sum(outside) / len(outside))


@pytest.mark.parametrize("seed", [1, 7])
def test_the_volume_change_window_has_about_factor_times_the_referrals(seed):
    """Inside the planted window, referrals per month are about F times the rate outside it."""
    plan = history.plan_history(seed=seed, until=UNTIL, per_month=100)
    change = plan.volume_change.truth()
    assert change["factor"] == history.VOLUME_FACTOR
    assert 6 <= len([m for m in plan.months if plan.volume_change.covers(m)]) <= 12
    assert plan.months[0] < plan.volume_change.start <= plan.volume_change.end < plan.months[-1]
    assert deseasonalised_ratio(plan) == pytest.approx(history.VOLUME_FACTOR, abs=0.15)


def test_an_exact_total_is_shared_out_with_the_same_change():
    """With a total (as `lantern generate` uses), the counts add up to it and the window still shows F."""
    plan = history.plan_history(seed=3, until=history.GENERATED_UNTIL, total=200_000)
    assert sum(plan.counts.values()) == 200_000
    assert history.month_label(plan.months[0]) == "2022-01"
    assert history.month_label(plan.months[-1]) == "2025-12"
    assert deseasonalised_ratio(plan) == pytest.approx(history.VOLUME_FACTOR, abs=0.05)


def test_seasons_average_to_one_and_summer_is_busiest():
    """The seasonal factors have mean 1; July and August are above it, February below."""
    assert sum(history.SEASON.values()) / 12 == pytest.approx(1)
    assert history.SEASON[8] > history.SEASON[7] > 1 > history.SEASON[2]


def contents(plan: history.HistoryPlan) -> list[tuple]:
    """What each planned referral says and mentions."""
    return [
        (r.key, r.received_at, r.source, r.summary, repr(r.parts()), tuple(r.mentions))
        for r in plan.referrals()
    ]


def test_same_seed_same_referrals():
    """A seed always gives the same referrals, and replaying a plan gives them again; another seed differs."""
    first = history.plan_history(seed=5, until=UNTIL, first=date(2026, 1, 1), per_month=20)
    again = history.plan_history(seed=5, until=UNTIL, first=date(2026, 1, 1), per_month=20)
    other = history.plan_history(seed=6, until=UNTIL, first=date(2026, 1, 1), per_month=20)
    assert contents(first) == contents(again) == contents(first)
    assert contents(first) != contents(other)


@pytest.fixture(scope="module")
def full_plan():
    """A demo-sized plan over four and a half years, with its referrals."""
    plan = history.plan_history(seed=1, until=UNTIL, per_month=30, showcase=True)
    return plan, list(plan.referrals())


def test_referrals_cover_every_source_place_type_and_kind_of_part(full_plan):
    """Professional, public (named and anonymous) and self-referrals; every PlaceType; every mention kind."""
    _, referrals = full_plan
    assert {r.source for r in referrals} == {"professional", "public", "self"}
    assert {r.agency for r in referrals if r.source == "professional"} == {
        "police",
        "education",
        "health",
        "csc",
        "youth_justice",
        "voluntary",
        "licensing",
    }
    public = [r for r in referrals if r.source == "public"]
    assert any(r.anonymous for r in public) and any(r.reporter for r in public)
    assert {p["type"] for r in referrals for p in r.places} == set(PlaceType.values)
    assert {m.kind for r in referrals for m in r.mentions} == {"child", "person", "vehicle", "phone", "place"}


def test_noise_is_there_and_every_part_would_be_accepted(full_plan):
    """Partial plates, varied phone layouts, familiar names and missing fields, all valid referral input."""
    _, referrals = full_plan
    plates = [v["registration"] for r in referrals for v in r.vehicles if v.get("registration")]
    assert any("?" in p for p in plates) and any(" " not in p for p in plates)
    assert all(normalise_registration(p).valid for p in plates)
    numbers = [p["number"] for r in referrals for p in r.phones]
    assert any(n.startswith("+44") for n in numbers) and all(normalise_phone(n).valid for n in numbers)
    children = [c for r in referrals for c in r.children]
    assert any("date_of_birth" not in c for c in children) and any(not c["name"] for c in children)
    assert all(len(r.summary) <= 5000 and r.summary[0].isupper() for r in referrals)
    assert all(r.received_at <= UNTIL for r in referrals)


def test_every_mention_is_in_a_field_or_in_the_narrative(full_plan):
    """Each mention the truth records is there to be found: in a structured part, or in the summary."""
    _, referrals = full_plan
    narrative_only = 0
    for referral in referrals:
        fields = {
            "child": [c.get("name") or c.get("description") for c in referral.children],
            "person": [p.get("name") or p.get("nickname") or p.get("description") for p in referral.persons],
            "vehicle": [
                v.get("registration") or f"{v.get('colour', '')} {v.get('make', '')}".strip()
                for v in referral.vehicles
            ],
            "phone": [p["number"] for p in referral.phones],
            "place": [p["name"] for p in referral.places],
        }
        for mention in referral.mentions:
            if mention.written not in fields[mention.kind]:
                assert mention.kind == "vehicle", (referral.key, mention)
                assert mention.written in referral.summary, (referral.key, mention)
                narrative_only += 1
    assert narrative_only > 0


def test_networks_recur_across_sources(full_plan):
    """Each planted network is mentioned in several referrals from at least two different kinds of source."""
    plan, referrals = full_plan
    keys = {r.key for r in referrals}
    assert len(plan.networks) >= 4
    for network in plan.networks:
        mentioned_in = {m["key"] for m in network.mentions}
        assert len(mentioned_in) >= 3, network.id
        assert mentioned_in <= keys
        assert len({m["agency"] or m["source"] for m in network.mentions}) >= 2, network.id
        entity_ids = {e["id"] for e in network.entities()}
        assert {m["entity"] for m in network.mentions} <= entity_ids


def test_showcase_referrals_come_at_the_end(full_plan):
    """The planted referrals of the last weeks are there, in order of receipt, before the history ends."""
    _, referrals = full_plan
    planted = [r for r in referrals if r.showcase]
    assert [r.showcase for r in planted] == [code for code, *_ in history.SHOWCASE]
    assert all((UNTIL - r.received_at).days < 21 for r in planted)


def test_childrens_sex_and_ethnicity_come_from_their_own_stream(full_plan):
    """Each new child's sex and ethnicity are the next draws of a stream nothing else reads, so nothing about
    the concern (source, scenario, risk) can shape them."""
    plan, _ = full_plan
    children = plan.planner.cast.children
    stream = Streams(plan.seed)("history.children.demographics")
    assert [(c.sex, c.ethnicity) for c in children] == [(SEX(stream), ETHNICITY(stream)) for _ in children]
    assert len(Counter(c.sex for c in children)) >= 2


def test_bad_plans_are_refused():
    """Both or neither of per_month and total, negative counts, or an end before the start are refused."""
    with pytest.raises(ValueError, match="either"):
        history.plan_history(seed=1, until=UNTIL)
    with pytest.raises(ValueError, match="negative"):
        history.plan_history(seed=1, until=UNTIL, per_month=-1)
    with pytest.raises(ValueError, match="after it starts"):
        history.plan_history(seed=1, until=datetime(2021, 1, 1, tzinfo=LONDON), per_month=10)
