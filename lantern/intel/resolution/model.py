"""Training a person model with Splink (DuckDB) and scoring pairs with it, in batch (Splink) and in pure Python.

Training needs no labels: the chance that two random mentions match is estimated from deterministic rules, u
(how often a level holds by chance) by random sampling, and m (how often it holds for true matches) by
expectation maximisation over blocked pairs. Term-frequency adjustments make a rare name count for more than a
common one. The saved model (Splink's own JSON, and the term frequencies) is what real-time matching scores with.
"""

import logging
import math
from collections import Counter
from dataclasses import dataclass

from lantern.intel.resolution import person

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
STRONG_THRESHOLD = 0.99
PROBABILITY_FLOOR = 1e-5
# The smallest prior kept: one true pair in a billion random pairs.
PRIOR_FLOOR = 1e-9
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


def _dataframe(rows: list[dict]):
    import pandas as pd

    frame = pd.DataFrame.from_records(rows if isinstance(rows, list) else iter(rows))
    for column in ("birth_year",):
        frame[column] = frame[column].astype("Int64")
    # Arrow-backed strings take a fraction of the memory of Python objects, and DuckDB reads them without a copy.
    for column in frame.columns:
        if column not in ("birth_year", "has_dob", "given_forms", "unique_id") and frame[column].dtype == object:
            frame[column] = frame[column].astype("string[pyarrow]")
    return frame


def settings_for(comparisons: list[person.Comparison], columns) -> dict:
    """The Splink settings of Lantern's person model for data with these comparisons and columns."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-4,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in prediction_rules(columns)
        ],
        "comparisons": [person.splink_comparison(c) for c in comparisons],
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": False,
    }


def term_frequencies(rows, columns=TF_COLUMNS) -> dict:
    """Each value's share of the known values in each column (of feature rows or their DataFrame); values seen
    once are left to a floor of 1/n."""
    import pandas as pd

    tables = {}
    for column in columns:
        if isinstance(rows, pd.DataFrame):
            if column not in rows:
                continue
            counts = {str(v): int(n) for v, n in rows[column].dropna().value_counts().items()}
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


@dataclass
class Trained:
    """A trained model: Splink's JSON, the term frequencies, the threshold, and the linker (batch only)."""

    settings: dict
    tf: dict
    threshold: float
    linker: object = None


def train(rows, *, threshold: float = DEFAULT_THRESHOLD, max_pairs: float = 2e6, seed: int = 1,
          em_rules=EM_RULES) -> Trained:
    """Train a person model, without labels, on feature rows (from `person.features`): a list, or any iterable
    (which is read once into a DataFrame, so that a million rows need not be held twice)."""
    from splink import DuckDBAPI, Linker

    frame = _dataframe(rows)
    comparisons = [c for c in person.COMPARISONS if c.columns[0] in frame and frame[c.columns[0]].notna().sum() >= 2]
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings_for(comparisons, frame.columns), log_level=logging.ERROR)
    deterministic = [rule for rule in DETERMINISTIC_RULES if "id_number" not in rule or "id_number" in frame]
    try:
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    except Exception:  # noqa: BLE001 - too little data for the rules: keep the default prior
        logger.info("Kept the default prior: the deterministic rules found too little")
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for columns in em_rules:
        if all(c in frame.columns and frame[c].notna().sum() > 1 for c in columns):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    " AND ".join(f"l.{c} = r.{c}" for c in columns), fix_u_probabilities=True,
                )
            except Exception:  # noqa: BLE001 - a block with no pairs to learn from is skipped, not fatal
                logger.info("EM blocked on %s found nothing to learn from", columns)
    settings = clamped(linker.misc.save_model_to_json())
    # Predict with the clamped model, so that batch scores exactly as real time will.
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level=logging.ERROR)
    return Trained(settings=settings, tf=term_frequencies(frame), threshold=threshold, linker=linker)


def clamped(settings: dict) -> dict:
    """The model with every m and u kept off zero, and levels never seen in training made neutral (m = u).

    A level that never held for a true match in training (m = 0) would otherwise forbid a match outright;
    evidence that strong should come from an analyst, not from a sample. The prior is kept inside (0, 1) too: on
    data where the deterministic rules find no pairs at all it is estimated as 0, which no weight can overcome.
    """
    prior = settings.get("probability_two_random_records_match")
    if prior is not None:
        settings["probability_two_random_records_match"] = min(max(prior, PRIOR_FLOOR), 0.5)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if m is None or u is None:
                level["m_probability"] = level["u_probability"] = max(u or m or 0.01, PROBABILITY_FLOOR)
                continue
            level["m_probability"] = max(m, PROBABILITY_FLOOR)
            level["u_probability"] = max(u, PROBABILITY_FLOOR)
    return settings


def predict_pairs(trained: Trained, threshold: float | None = None):
    """Every blocked pair at or above the threshold, as a DataFrame (unique_id_l, unique_id_r, probability)."""
    threshold = trained.threshold if threshold is None else threshold
    result = trained.linker.inference.predict(threshold_match_probability=threshold)
    frame = result.as_pandas_dataframe()
    return frame[["unique_id_l", "unique_id_r", "match_probability", "match_weight"]]


class Scorer:
    """Scores two mentions' features with a saved model, in pure Python (no DuckDB): for real-time matching."""

    def __init__(self, settings: dict, tf: dict, threshold: float, strong_threshold: float = STRONG_THRESHOLD) -> None:
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
                tfs = [t for t in (self._tf(level.tf_column, left.get(level.tf_column)),
                                   self._tf(level.tf_column, right.get(level.tf_column))) if t is not None]
                if tfs:
                    level_weight += math.log2(exact_u) - math.log2(max(*tfs, tf_min or 1e-12))
            weight += level_weight
            if explain:
                shown = person.SHOWN[spec.name]
                evidence.append({
                    "field": spec.name, "level": level.label, "left": _shown(left.get(shown)),
                    "right": _shown(right.get(shown)), "weight": round(level_weight, 2),
                    "text": level.explain.format(field=spec.description, left=_shown(left.get(shown)),
                                                 right=_shown(right.get(shown))),
                })
        probability = 1 / (1 + 2 ** -weight) if weight > -1000 else 0.0
        return probability, weight, evidence


def _shown(value) -> str:
    return "" if value is None else str(value)


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
    "given": [(0.75, 0.01), (0.10, 0.002), (0.08, 0.003), (0.03, 0.002), (0.01, 0.0001), (0.03, 0.983)],
    "family": [(0.85, 0.005), (0.08, 0.001), (0.02, 0.001), (0.01, 0.0001), (0.04, 0.993)],
    "nickname": [(0.6, 0.002), (0.1, 0.001), (0.3, 0.997)],
    "birth": [(0.55, 0.0002), (0.02, 0.00002), (0.05, 0.0015), (0.30, 0.04), (0.05, 0.07), (0.03, 0.89)],
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
    return settings
