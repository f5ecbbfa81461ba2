"""Training a person model with Splink and scoring pairs with it, in batch (Splink) and in pure Python.

Batch runs on one of Splink's backends (`splink_api`): DuckDB on this machine by default, or Spark where a region
or the national picture outgrows one machine (decision 0024). The settings, comparisons, blocking rules and what
is done with the predictions are the same on both; only the SQL functions a level names differ by dialect.

Training needs no labels: the chance that two random mentions match is estimated from deterministic rules, u
(how often a level holds by chance) by random sampling, and m (how often it holds for true matches) by
expectation maximisation over blocked pairs. Term-frequency adjustments make a rare name count for more than a
common one. The saved model (Splink's own JSON, and the term frequencies) is what real-time matching scores with.
"""

import contextlib
import functools
import itertools
import logging
import math
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lantern.intel.linking.resolution import person

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
STRONG_THRESHOLD = 0.99
# Disagreements weighing this much together (odds of about 4,000 to 1 from them alone that the two are
# different people: another sex, another postcode, a date of birth years apart) keep two mentions out of one
# cluster, however much else they share and however they are linked.
CONFLICT_WEIGHT = -12.0
# Disagreements weighing half that (odds of about 64 to 1 from them alone: a given name wholly different, a sex and
# a postcode both different) keep a lone mention out of a cluster it is not, on the whole, the person of.
DOUBT_WEIGHT = CONFLICT_WEIGHT / 2
PROBABILITY_FLOOR = 1e-5
# The smallest prior kept: one true pair in a billion random pairs.
PRIOR_FLOOR = 1e-9
# DuckDB's own memory (blocked pairs, comparison vectors, predictions) past which it spills to disk under
# var/duckdb/, rather than its default of 80% of the machine; two threads keep a join's hash tables small.
DUCKDB_MEMORY_LIMIT = "3GB"
DUCKDB_THREADS = 2
# Feature rows go into Arrow a chunk at a time, and predictions come out of DuckDB a batch at a time.
CHUNK_ROWS = 50_000
# A blocking key shared by more mentions than this (a common given name and birth year, a street nickname,
# across a city) finds no pairs in batch by itself: its pairs grow with the square of its mentions, and the
# pairs of one person in it share other keys too. Like real time's candidate limit, it bounds what one common
# name can cost.
BLOCK_LIMIT = 300
BATCH_ROWS = 500_000
TF_COLUMNS = tuple(level.tf_column for c in person.COMPARISONS for level in c.levels if level.tf_column)
# Deterministic rules that almost only true matches pass: they estimate the prior chance of a match.
DETERMINISTIC_RULES = (
    "l.given = r.given AND l.family = r.family AND l.dob = r.dob",
    "l.id_number = r.id_number",
)
# Expectation maximisation blocks: each pins one or two strong fields, so that the others are learnt; together
# they learn every comparison. Each is tried only when its columns are known.
EM_RULES = (
    ("dob", "family_ph"),
    ("dob", "given_ph"),
    ("given_ph", "family_ph", "postcode"),
    ("given_ph", "family_ph", "address"),
    ("id_number",),
)


def prediction_rules(columns) -> list[str]:
    """Splink blocking rules for prediction: one per blocking key column (the same keys real time looks up)."""
    return [f"l.{c} = r.{c}" for c in person.BLOCKING_COLUMNS if c in columns]


def feature_table(rows):
    """Feature rows (dicts from `person.features`) as one Arrow table, built a chunk at a time.

    A million feature dicts are never held at once, Arrow's strings take a fraction of the memory of Python's,
    and DuckDB reads the table where it lies."""
    import pyarrow as pa

    rows = iter(rows)
    chunks, schema = [], None
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        schema = schema or _schema(chunk[0])
        chunks.append(pa.Table.from_pylist(chunk, schema=schema))
    return pa.concat_tables(chunks) if chunks else pa.table({})


def without_common_keys(table, limit: int | None):
    """The feature table with every blocking key value held by more than `limit` mentions taken out (None: all
    kept), for prediction's blocking rules; the features compared are untouched."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for column in person.BLOCKING_COLUMNS if limit is not None else ():
        if column not in table.column_names:
            continue
        keys = table.column(column)
        counts = keys.drop_null().value_counts()
        common = counts.field("values").filter(pc.greater(counts.field("counts"), limit))
        if len(common):
            kept = pc.if_else(pc.is_in(keys, value_set=common), pa.scalar(None, keys.type), keys)
            table = table.set_column(table.column_names.index(column), column, kept)
    return table


def _schema(row: dict):
    import pyarrow as pa

    types = {
        "unique_id": pa.int64(),
        "birth_year": pa.int64(),
        "has_dob": pa.bool_(),
        "given_forms": pa.list_(pa.string()),
    }
    return pa.schema([(column, types.get(column, pa.string())) for column in row])


def _known(table, column: str) -> int:
    """How many rows of the table know the column (0 when it has no such column)."""
    return len(table) - table.column(column).null_count if column in table.column_names else 0


ENGINES = ("duckdb", "spark")


def engine_or_default(engine: str | None = None) -> str:
    """The engine asked for, else the LANTERN_LINK_ENGINE setting; an unknown one is refused."""
    from django.conf import settings

    engine = engine or settings.LINK_ENGINE
    if engine not in ENGINES:
        raise ValueError(f"No linking engine '{engine}': choose one of {', '.join(ENGINES)}.")
    return engine


def splink_api(engine: str | None = None):
    """The Splink backend that batch resolution runs on: DuckDB (`duckdb_api`) or Spark (`spark_api`)."""
    return spark_api() if engine_or_default(engine) == "spark" else duckdb_api()


def duckdb_api():
    """A DuckDB connection for Splink that spills to disk past `DUCKDB_MEMORY_LIMIT` instead of growing."""
    from django.conf import settings
    from splink import DuckDBAPI

    spill = Path(settings.VAR_DIR) / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    db_api = DuckDBAPI()
    db_api.duckdb_con.execute(
        f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'; SET threads = {DUCKDB_THREADS}; "
        f"SET temp_directory = '{spill}'; SET preserve_insertion_order = false"
    )
    return db_api


def spark_session():
    """The Spark session of this process (one, made on first use and kept): at LANTERN_SPARK_MASTER, with the
    jar of Splink's similarity functions (Jaro-Winkler, Damerau-Levenshtein) on its class path."""
    from django.conf import settings
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    scratch = Path(settings.VAR_DIR) / "spark"
    scratch.mkdir(parents=True, exist_ok=True)
    spark = (
        SparkSession.builder.master(settings.SPARK_MASTER)
        .appName("lantern-link")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", settings.SPARK_DRIVER_MEMORY)
        .config("spark.sql.shuffle.partitions", str(settings.SPARK_SHUFFLE_PARTITIONS))
        .config("spark.default.parallelism", str(settings.SPARK_SHUFFLE_PARTITIONS))
        # The predicted pairs come back to the driver (as Arrow) to be clustered: no cap on their size.
        .config("spark.driver.maxResultSize", "0")
        .config("spark.local.dir", str(scratch / "local"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_api():
    """Splink's Spark backend, its intermediate tables written (LANTERN_SPARK_BREAK_LINEAGE: as Parquet by
    default) under a checkpoint directory of this run's own (LANTERN_SPARK_CHECKPOINT_DIR), so that the long
    lineage of EM's iterations is broken and the run's tables can go with it (`release`)."""
    from django.conf import settings
    from splink.backends.spark import SparkAPI

    spark = spark_session()
    spark.sparkContext.setCheckpointDir(f"{settings.SPARK_CHECKPOINT_DIR.rstrip('/')}/{uuid.uuid4().hex}")
    return SparkAPI(spark_session=spark, break_lineage_method=settings.SPARK_BREAK_LINEAGE)


def dialect_of(db_api) -> str:
    """The SQL dialect of a Splink backend: "duckdb" or "spark"."""
    return db_api.sql_dialect.sql_dialect_str


def u_chunks(db_api) -> int:
    """How many chunks u's random pairs are drawn in, one comparison at a time (Splink stops a comparison early once
    every level has held for at least 100 of the pairs drawn so far).

    On DuckDB, Splink's ten: a chunk costs milliseconds, and stopping early saves the rest. On Spark, one: every
    chunk is a Spark job of its own (a scan, a join, a shuffle, a collect), whose fixed costs (seconds on a loaded
    machine, a second or so on a cluster) far outweigh the pairs it spares. Ten chunks and a probe for each of eight
    comparisons were most of Spark's training time on a small set; one chunk of the whole sample is also the
    better estimate, from every pair drawn."""
    return 1 if dialect_of(db_api) == "spark" else 10


def release(db_api) -> None:
    """Let go of what a Splink backend holds for one run: DuckDB's connection; Spark's cached tables and this
    run's checkpoint files (the session stays, for the next run). Checkpoints on a cluster's shared storage
    (hdfs://, s3a://) are left to its own clean-up."""
    if dialect_of(db_api) == "duckdb":
        db_api.duckdb_con.close()
        return
    spark = db_api.spark
    spark.catalog.clearCache()
    checkpoints = spark.sparkContext.getCheckpointDir()
    if checkpoints and checkpoints.startswith(("file:", "/")):
        # Spark checkpoints into a directory of its own naming inside the run's (`spark_api`): both go.
        run = Path(checkpoints.removeprefix("file:"))
        shutil.rmtree(run, ignore_errors=True)
        with contextlib.suppress(OSError):
            run.parent.rmdir()


def settings_for(comparisons: list[person.Comparison], columns, dialect: str = "duckdb") -> dict:
    """The Splink settings of Lantern's person model for data with these comparisons and columns, its SQL in the
    dialect of the engine that runs it."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-4,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": dialect} for rule in prediction_rules(columns)
        ],
        "comparisons": [person.splink_comparison(c, dialect) for c in comparisons],
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": False,
    }


def term_frequencies(rows, columns=TF_COLUMNS) -> dict:
    """Each value's share of the known values in each column (of feature rows or their Arrow table); values
    seen once are left to a floor of 1/n."""
    import pyarrow as pa

    tables = {}
    for column in columns:
        if isinstance(rows, pa.Table):
            if column not in rows.column_names:
                continue
            found = rows.column(column).drop_null().value_counts()
            counts = dict(
                zip(
                    map(str, found.field("values").to_pylist()),
                    found.field("counts").to_pylist(),
                    strict=True,
                )
            )
        else:
            counts = Counter(r[column] for r in rows if r.get(column) is not None)
        total = sum(counts.values())
        if not total:
            continue
        tables[column] = {
            "floor": 1 / total,
            "values": {value: count / total for value, count in counts.items() if count > 1},
        }
    return tables


@contextlib.contextmanager
def _phase(phases: dict, name: str):
    """Add the seconds the block takes to `phases[name]`, and log them."""
    started = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
        logger.info("Linking phase %s took %.1f s", name, phases[name])


@dataclass
class Trained:
    """A trained model: Splink's JSON, the term frequencies, the threshold, and the linker and its backend
    (batch only)."""

    settings: dict
    tf: dict
    threshold: float
    linker: object = None
    db_api: object = None
    # Seconds each phase of training and prediction took ("prior", "u", "em 1", ..., "predict", "transfer"): where
    # an engine's time goes.
    phases: dict = field(default_factory=dict)

    def close(self) -> None:
        """Let go of the backend and the feature table once prediction is done, before clustering."""
        if self.db_api is not None:
            release(self.db_api)
        self.linker = self.db_api = None


def train(
    rows,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_pairs: float = 2e6,
    seed: int = 1,
    em_rules=EM_RULES,
    block_limit: int | None = BLOCK_LIMIT,
    engine: str | None = None,
) -> Trained:
    """Train a person model, without labels, on feature rows (from `person.features`): a list, or any iterable
    (which is read once into an Arrow table, so that a million rows need not be held twice), on the engine
    asked for (`splink_api`)."""
    from splink import Linker

    phases: dict = {}
    with _phase(phases, "features"):
        frame = feature_table(rows)
    comparisons = [c for c in person.COMPARISONS if _known(frame, c.columns[0]) >= 2]
    with _phase(phases, "start"):
        db_api = splink_api(engine)
        linker = Linker(
            db_api.register(frame),
            settings_for(comparisons, frame.column_names, dialect_of(db_api)),
            log_level=logging.ERROR,
        )
    deterministic = [
        rule for rule in DETERMINISTIC_RULES if "id_number" not in rule or "id_number" in frame.column_names
    ]
    with _phase(phases, "prior"):
        try:
            linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
        except Exception:  # noqa: BLE001 - too little data for the rules: keep the default prior
            logger.info("Kept the default prior: the deterministic rules found too little")
    with _phase(phases, "u"):
        linker.training.estimate_u_using_random_sampling(
            max_pairs=max_pairs, seed=seed, num_chunks=u_chunks(db_api)
        )
    for number, columns in enumerate(em_rules, start=1):
        if all(_known(frame, c) > 1 for c in columns):
            with _phase(phases, f"em {number}"):
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        " AND ".join(f"l.{c} = r.{c}" for c in columns),
                        fix_u_probabilities=True,
                    )
                except Exception:  # noqa: BLE001 - a block with no pairs to learn from is skipped, not fatal
                    logger.info("EM blocked on %s found nothing to learn from", columns)
    settings = clamped(linker.misc.save_model_to_json())
    if households_in(frame):
        settings = with_household(settings, frame.column_names, dialect_of(db_api))
    # Training's tables go with its backend; predict with the clamped model, so that batch scores exactly as
    # real time will.
    with _phase(phases, "start"):
        release(db_api)
        db_api = splink_api(engine)
        linker = Linker(
            db_api.register(without_common_keys(frame, block_limit)), settings, log_level=logging.ERROR
        )
    return Trained(
        settings=settings,
        tf=term_frequencies(frame),
        threshold=threshold,
        linker=linker,
        db_api=db_api,
        phases=phases,
    )


def clamped(settings: dict) -> dict:
    """The model with every m and u kept off zero, and levels never seen in training made neutral (m = u).

    A level that never held for a true match in training (m = 0) would otherwise forbid a match outright;
    evidence that strong should come from an analyst, not from a sample. The prior is kept inside (0, 1) too: on
    data where the deterministic rules find no pairs at all it is estimated as 0, which no weight can overcome.
    A comparison's last level (its values differ) that random pairs reach (u known) but expectation
    maximisation left without an m never held for a match in the pairs it learnt from: it gets the floor, as
    m = 0 would, not neutrality, or whether namesakes born forty years apart differ would turn on the sample.
    A wholly different given name is kept no likelier in true matches than a given name garbled in part (`_near_m`).
    """
    given_near = next(
        (
            _near_m(c["comparison_levels"])
            for c in settings["comparisons"]
            if c["output_column_name"] == "given"
        ),
        None,
    )
    prior = settings.get("probability_two_random_records_match")
    if prior is not None:
        settings["probability_two_random_records_match"] = min(max(prior, PRIOR_FLOOR), 0.5)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if m is None and u is not None and level is comparison["comparison_levels"][-1]:
                m = 0.0
            if m is None or u is None:
                level["m_probability"] = level["u_probability"] = max(u or m or 0.01, PROBABILITY_FLOOR)
                continue
            level["m_probability"] = max(m, PROBABILITY_FLOOR)
            level["u_probability"] = max(u, PROBABILITY_FLOOR)
    for comparison in settings["comparisons"]:
        if comparison["output_column_name"] == "given" and given_near is not None:
            _cap_last_m(comparison["comparison_levels"], given_near)
    return settings


# Pairs of mentions with one family name at one address looked at to tell whether the data holds households.
HOUSEHOLD_SAMPLE = 200_000
HOUSEHOLD_GROUP = 30


def households_in(frame) -> bool:
    """Whether the mentions (an Arrow feature table) hold households of several people: whether, of the pairs
    that share a family name and an address, most have given names that disagree (`person.given_names_disagree`).

    The household comparison (`with_household`) presumes so. Where mentions at one address with one family name
    are mostly one person written several ways (FEBRL's records, rewritten given names and all: a fifth of such
    pairs disagree), a given name that disagrees there is a clerk's error, not a sibling, and it is not added.
    Where no pairs share both (no addresses), there are no households to tell apart."""
    columns = ("family", "address", "given", "given_forms", "given_ph")
    if not all(column in frame.column_names for column in columns):
        return False
    homes: dict[tuple, list[dict]] = {}
    for row in frame.select(list(columns)).to_pylist():
        if row["family"] and row["address"] and row["given"] and len(row["given"]) > 1:
            homes.setdefault((row["family"], row["address"]), []).append(row)
    pairs = disagree = 0
    for members in homes.values():
        for left, right in itertools.combinations(members[:HOUSEHOLD_GROUP], 2):
            pairs += 1
            disagree += person.given_names_disagree(left, right)
        if pairs >= HOUSEHOLD_SAMPLE:
            break
    logger.info(
        "%d of %d pairs at one address with one family name disagree on the given name", disagree, pairs
    )
    return pairs > 0 and disagree > pairs / 2


def with_household(settings: dict, columns=("given",), dialect: str = "duckdb") -> dict:
    """The model with `person.HOUSEHOLD` added, its weights derived from the trained ones (not trained): each of
    its levels takes back the exact-agreement weight of the family name and of the address when shared, and of a
    date of birth or an identifying number when one of them is shared, not both (what one household's members
    may share: twins a date of birth, a couple a copied number), so that a given name that disagrees is judged
    on what is left. A date of birth and a number both shared are evidence of one person and stand. Its SQL is in `dialect`.

    Expectation maximisation cannot learn this: in the blocks it learns from, twins and a couple sharing a number
    look like one person whose given name changed. Left out when the data has no given or family names to
    compare (`columns`: the feature table's)."""
    trained = {c["output_column_name"]: c for c in settings["comparisons"]}
    if not {"given", "family"} <= trained.keys() or "given" not in columns:
        return settings
    exact = {name: _exact_weight(trained.get(name)) for name in ("family", "address", "birth", "id_number")}
    entry = person.splink_comparison(person.HOUSEHOLD, dialect)
    for level in entry["comparison_levels"][1:]:
        shared = level["label_for_charts"].removeprefix("shares ").split(", ")
        taken = (exact["family"] if "family" in shared else 0.0) + (
            exact["address"] if "address" in shared else 0.0
        )
        if ("dob" in shared) != ("id_number" in shared):
            taken += exact["birth"] if "dob" in shared else exact["id_number"]
        # A Bayes factor of 2^-taken, as m and u.
        level["m_probability"], level["u_probability"] = 2.0 ** -max(taken, 0.0), 1.0
    settings["comparisons"] = [c for c in settings["comparisons"] if c["output_column_name"] != "household"]
    settings["comparisons"].append(entry)
    return settings


def _exact_weight(comparison: dict | None) -> float:
    """The weight of a trained comparison's "exact" level (before any term-frequency adjustment); 0 when the
    comparison was not made."""
    if comparison is None:
        return 0.0
    for level in comparison["comparison_levels"]:
        if (
            level.get("label_for_charts") == "exact"
            and level.get("m_probability")
            and level.get("u_probability")
        ):
            return math.log2(level["m_probability"] / level["u_probability"])
    return 0.0


def _near_m(levels: list[dict]) -> float | None:
    """The m of the given name's levels for a name garbled in the writing (a slip, a sound-alike, a name alike,
    given and family names swapped: every level after the exact one and the familiar form, before the last,
    "different"), added up over those training learnt; None when it learnt none of them.

    The most a wholly different given name's m may be. A name is written wholly wrong by the same noise (a
    clerk's, a form's, a transcription's) that garbles it in part, and less often, so in true matches a given
    name differs wholly no more often than it is garbled. (A familiar form is not the writer's noise but the
    person's own usage, and has a level of its own.) Expectation maximisation learns otherwise where the blocks it
    learns the given name from pin what a household shares (a family name and a date of birth, an address, an
    identifying number copied from one member's form onto another's): twins and siblings then pass for one person
    whose given name changed (on a sample of mothers and young children, in one true pair in seven by its estimate,
    against one in forty in truth), and a different given name, the one thing that tells them apart, comes to
    count for little.
    """
    known = [level for level in levels if not level.get("is_null_level")]
    garbled = [level for level in known[1:-1] if level.get("label_for_charts") != "familiar form"]
    learnt = [level["m_probability"] for level in garbled if level.get("m_probability") is not None]
    return sum(learnt) if learnt else None


def _cap_last_m(levels: list[dict], most: float) -> None:
    """A comparison's last level's m kept at or below `most`, what it gives up shared among the other levels
    training learnt in proportion to their m (a level made neutral, m = u, stays so), so that the m of the
    levels still sum to one."""
    known = [level for level in levels if not level.get("is_null_level")]
    last = known[-1]
    others = [level for level in known[:-1] if level["m_probability"] != level["u_probability"]]
    excess = last["m_probability"] - most
    total = sum(level["m_probability"] for level in others)
    if excess <= 0 or not total:
        return
    last["m_probability"] = most
    for level in others:
        level["m_probability"] += excess * level["m_probability"] / total


def predict_pairs(trained: Trained, threshold: float | None = None):
    """Every blocked pair at or above the threshold, as a DataFrame (unique_id_l, unique_id_r, probability)."""
    threshold = trained.threshold if threshold is None else threshold
    result = trained.linker.inference.predict(threshold_match_probability=threshold)
    frame = result.as_pandas_dataframe()
    return frame[["unique_id_l", "unique_id_r", "match_probability", "match_weight"]]


def predicted_pairs(trained: Trained, threshold: float | None = None, batch_rows: int = BATCH_ROWS):
    """Every blocked pair at or above the threshold, as Arrow record batches of (unique_id_l, unique_id_r,
    match_probability), on either engine: only those three columns leave the backend, as one Arrow table (no
    frame of every pair's columns is built), handed on a batch at a time."""
    threshold = trained.threshold if threshold is None else threshold
    with _phase(trained.phases, "predict"):
        result = trained.linker.inference.predict(threshold_match_probability=threshold)
    with _phase(trained.phases, "transfer"):
        # The table's name is the one Splink gave its own predictions; no value is built into the SQL.
        pairs = trained.linker.misc.query_sql(
            f"SELECT unique_id_l, unique_id_r, match_probability FROM {result.physical_name}"  # noqa: S608
        )
        table = pairs.as_pyarrow_table()
    try:
        yield from table.to_batches(batch_rows)
    finally:
        pairs.drop_table_from_database_and_remove_from_cache()
        result.drop_table_from_database_and_remove_from_cache()


class Scorer:
    """Scores two mentions' features with a saved model, in pure Python (no DuckDB): for real-time matching."""

    def __init__(
        self, settings: dict, tf: dict, threshold: float, strong_threshold: float = STRONG_THRESHOLD
    ) -> None:
        self.threshold = threshold
        self.strong_threshold = strong_threshold
        prior = settings.get("probability_two_random_records_match") or 1e-4
        self.prior_weight = math.log2(prior / (1 - prior))
        self.tf = tf
        self.comparisons = []
        for saved in settings["comparisons"]:
            spec = person.BY_NAME[saved["output_column_name"]]
            levels = []
            exact_u = None
            for level, saved_level in zip(spec.levels, saved["comparison_levels"], strict=True):
                m, u = saved_level.get("m_probability"), saved_level.get("u_probability")
                weight = math.log2(m / u) if m and u else 0.0
                if level.tf_column and u:
                    exact_u = u
                levels.append((level, weight, saved_level.get("tf_minimum_u_value", 0.0)))
            self.comparisons.append((spec, levels, exact_u))

    def _tf(self, column: str, value) -> float | None:
        table = self.tf.get(column)
        if not table or value is None:
            return None
        return table["values"].get(value, table["floor"])

    def score(self, left: dict, right: dict, *, explain: bool = False):
        """(match probability, match weight, evidence) for two mentions' features."""
        weight = self.prior_weight
        evidence = []
        for spec, levels, exact_u in self.comparisons:
            index = spec.level_of(left, right)
            level, level_weight, tf_min = levels[index]
            if level.is_null:
                continue
            if level.tf_column and exact_u:
                tfs = [
                    t
                    for t in (
                        self._tf(level.tf_column, left.get(level.tf_column)),
                        self._tf(level.tf_column, right.get(level.tf_column)),
                    )
                    if t is not None
                ]
                if tfs:
                    level_weight += math.log2(exact_u) - math.log2(max(*tfs, tf_min or 1e-12))
            weight += level_weight
            if explain:
                shown_left, shown_right = person.shown(spec.name, left), person.shown(spec.name, right)
                evidence.append(
                    {
                        "field": spec.name,
                        "level": level.label,
                        "left": shown_left,
                        "right": shown_right,
                        "weight": round(level_weight, 2),
                        # A value missing on one side is said so, never shown as nothing ("born in  and ").
                        "text": level.explain.format(
                            field=spec.description,
                            left=shown_left or person.NOT_GIVEN,
                            right=shown_right or person.NOT_GIVEN,
                        ),
                    }
                )
        probability = 1 / (1 + 2**-weight) if weight > -1000 else 0.0
        return probability, weight, evidence

    def household_apart(self, left: dict, right: dict) -> bool:
        """Whether two mentions look like two people of one household (`person.HOUSEHOLD`) and the model, what a
        household shares taken back, does not find them one person (their match is below the threshold)."""
        household = [spec for spec, _levels, _exact_u in self.comparisons if spec.derived]
        if not any(not spec.levels[spec.level_of(left, right)].is_null for spec in household):
            return False
        return self.score(left, right)[0] < self.threshold

    def against(self, left: dict, right: dict) -> float:
        """The weight of the comparisons on which two mentions disagree (the levels' weights below zero): how
        surely they are different people, whatever they share. Nothing known on either side is no
        disagreement."""
        total = 0.0
        for spec, levels, _exact_u in self.comparisons:
            if spec.derived:
                continue
            level_weight = levels[spec.level_of(left, right)][1]
            if level_weight < 0:
                total += level_weight
        return total


class Judge:
    """What clustering asks the model about mentions by id (`cluster.cluster`'s `judge`), from their features
    (`features_of(id)`; the last few hundred thousand asked about are kept)."""

    def __init__(self, scorer: Scorer, features_of: Callable[[int], dict]) -> None:
        self.scorer = scorer
        self.features = functools.lru_cache(maxsize=200_000)(features_of)
        self.threshold_weight = math.log2(scorer.threshold / (1 - scorer.threshold))

    def conflict(self, a: int, b: int) -> bool:
        """Whether the model is all but sure two mentions are different people, from what they disagree on.
        Not from their match weight: two mentions that share little ("Mikey Osei" and "Micahel Osei", 2008)
        have a low one without being anyone else. Nor are two people of one household whom the model does not
        find one person (`Scorer.household_apart`: twins, or a mother and the child whose given name went
        unrecorded), whatever mention bridges them."""
        left, right = self.features(a), self.features(b)
        return self.scorer.against(left, right) < CONFLICT_WEIGHT or self.scorer.household_apart(left, right)

    def together(self, left: list[int], right: list[int]) -> bool:
        """Whether two groups of mentions are, on the whole, one person: the pairs across them at the
        threshold on average. One weak link between two people said more than once (Thomas Campbell born 1964,
        and "Campbell Thomas" of another date and address) is not enough.

        A lone mention may say too little to be at the threshold with most of a person's mentions ("Thomas",
        about 14): it is that person too when it disagrees with none of them by `DOUBT_WEIGHT` or more. A
        sibling's mention with a date of birth or a first name missing (Fay Landry of 4505 Trojan Ave, beside
        Chelsey Landry of that address born 2019) is weakly linked to one child of the household and then
        another; it may join the one it is not at odds with, but never bridges the household into one person."""
        weights = [self.scorer.score(self.features(a), self.features(b))[1] for a in left for b in right]
        if sum(weights) >= self.threshold_weight * len(weights):
            return True
        return (len(left) == 1 or len(right) == 1) and all(
            self.scorer.against(self.features(a), self.features(b)) > DOUBT_WEIGHT
            for a in left
            for b in right
        )


def explain(evidence: list[dict]) -> str:
    """A readable explanation of a match from its evidence: the strongest reasons first, with their weights.

    "Same nickname 'kaz' (weight +6.1); date of birth with day and month swapped (+4.2); ..."
    """
    parts = []
    for index, item in enumerate(sorted(evidence, key=lambda e: -abs(e.get("weight") or 0))):
        text = item.get("text") or item.get("field", "")
        weight = item.get("weight")
        if index:
            text = f"{text[:1].lower()}{text[1:]}"
        if weight is None:
            parts.append(text)
        else:
            parts.append(f"{text} (weight {weight:+.1f})" if index == 0 else f"{text} ({weight:+.1f})")
    return "; ".join(parts) + ("." if parts else "")


# Until the first batch run has trained a model, real-time matching scores with these starting values: the
# chance that each level holds for the same person (m) and for two different people (u), set by hand.
STARTING_PARAMETERS = {
    "given": [
        (0.75, 0.01),
        (0.10, 0.002),
        (0.08, 0.003),
        (0.03, 0.002),
        (0.01, 0.005),
        (0.01, 0.0001),
        (0.02, 0.978),
    ],
    "family": [(0.85, 0.005), (0.08, 0.001), (0.02, 0.001), (0.02, 0.004), (0.01, 0.0001), (0.02, 0.989)],
    "nickname": [(0.6, 0.002), (0.1, 0.001), (0.3, 0.997)],
    "birth": [
        (0.55, 0.0002),
        (0.02, 0.00002),
        (0.05, 0.0015),
        (0.01, 0.0013),
        (0.01, 0.015),
        (0.18, 0.013),
        (0.12, 0.027),
        (0.05, 0.07),
        (0.01, 0.872),
    ],
    "sex": [(0.98, 0.5), (0.02, 0.5)],
    "postcode": [(0.8, 0.001), (0.05, 0.06), (0.15, 0.939)],
    "address": [(0.8, 0.003), (0.05, 0.005), (0.15, 0.992)],
    "id_number": [(0.9, 0.0001), (0.05, 0.001), (0.05, 0.9989)],
}


def starting_settings() -> dict:
    """A complete Splink model with the starting parameters, for real time before any batch run."""
    settings = settings_for(list(person.COMPARISONS), person.BLOCKING_COLUMNS)
    settings["probability_two_random_records_match"] = 1e-4
    for comparison in settings["comparisons"]:
        parameters = iter(STARTING_PARAMETERS[comparison["output_column_name"]])
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            level["m_probability"], level["u_probability"] = next(parameters)
    return with_household(settings)
