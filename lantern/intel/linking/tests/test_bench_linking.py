"""The linking benchmark's data sets and its tuned Splink baseline (bench/linking.py), on small slices."""

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[4] / "bench"
FIELDS = {"unique_id", "given_name", "family_name", "date_of_birth", "postcode", "address", "id_number"}


@pytest.fixture
def linking(monkeypatch):
    """bench/linking.py, imported as a module."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("linking")


def _check_shape(records: list[dict], truth: dict, *, rows: int = 200) -> None:
    assert len(records) >= rows
    assert set(truth) == {r["unique_id"] for r in records}
    for record in records[:rows]:
        assert set(record) >= FIELDS
        assert all(isinstance(record[f], str) for f in FIELDS - {"unique_id"})
        assert truth[record["unique_id"]] not in (None, "")
    # Some records are truly the same entity, or there would be nothing to resolve.
    assert len(set(truth.values())) < len(truth)


@pytest.mark.parametrize("name", ["febrl1", "febrl2", "febrl3", "febrl4"])
def test_febrl_loaders_give_records_and_their_true_record_number(linking, name):
    """Every FEBRL set gives one record per row, each with the N of its `rec-N-...` id as its true entity."""
    loader, args = linking.dataset_loader(name)
    records, truth = getattr(linking, loader)(*args)
    _check_shape(records, truth)
    assert all(truth[r["unique_id"]].isdigit() for r in records[:200])
    # A missing value is an empty field, not the text "nan" (a handful of FEBRL's addresses truly have it).
    assert sum("nan" in r["address"].split() or r["given_name"] == "nan" for r in records) < 5
    assert sum(not r["given_name"] for r in records) > 0


def test_pseudopeople_form_gives_simulants_with_iso_dates(linking):
    """A pseudopeople form gives its records with the simulant as truth and dates of birth as YYYY-MM-DD."""
    records, truth = linking.pseudopeople_form("pp-wic")
    _check_shape(records, truth)
    dates = [r["date_of_birth"] for r in records[:200] if r["date_of_birth"]]
    assert sum(len(d) == 10 and d[4] == "-" and d[7] == "-" for d in dates) > 0.9 * len(dates)
    assert sum(bool(r["address"]) for r in records[:200]) > 150
    assert "pp-census" in linking.HELD_OUT


def test_splink_tuned_assigns_every_record_a_cluster(linking):
    """The tuned Splink baseline runs on FEBRL1 and puts every record in a cluster, most duplicates found."""
    from lantern.intel.linking.resolution import metrics

    records, truth = linking.febrl(1)
    assignment = linking.run_splink_tuned(records)
    assert set(assignment) == {r["unique_id"] for r in records}
    assert metrics.pairwise(assignment, truth)["f1"] > 0.9


@pytest.fixture
def resolved_by_batch(db):
    """A small synthetic set resolved by batch (trained, as `lantern link` runs), and every fourth mention."""
    from datetime import UTC, datetime

    from lantern.intel.linking.resolution import batch
    from lantern.intel.linking.tests.test_resolution import synthetic_mentions

    mentions = synthetic_mentions(people=150)
    batch.link_people(now=datetime(2026, 6, 1, 12, tzinfo=UTC), train=True)
    return [m.pk for m in mentions[::4]]


def test_real_time_decides_about_held_out_mentions_as_batch_did(linking, resolved_by_batch):
    """Each mention held out of what batch wrote and matched again by real time goes where batch put it (the same
    entity, or a new person both times) at least 99 times in 100, and most of them join an entity."""
    result = linking.agreement_with_batch(resolved_by_batch)
    assert result["held_out"] == len(resolved_by_batch) > 100
    assert result["decisions"].get("same entity", 0) > result["held_out"] / 2
    assert result["agreement"] >= 0.99, result["decisions"]


def test_agreement_counts_what_real_time_decides_otherwise(linking, resolved_by_batch, monkeypatch):
    """A real time that never joins a mention to an entity disagrees with batch wherever batch joined it, and the
    agreement says so."""
    from lantern.intel.linking import realtime

    scorer, linkage = realtime.current_scorer()
    never = type(scorer)({"comparisons": []}, {}, threshold=1.01)
    monkeypatch.setattr(realtime, "current_scorer", lambda: (never, linkage))
    result = linking.agreement_with_batch(resolved_by_batch)
    joined = result["decisions"]["real time new, batch joined"]
    assert joined > result["held_out"] / 2
    assert result["agreement"] == pytest.approx(1 - joined / result["held_out"])
