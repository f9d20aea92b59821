"""`evaluate --engines default,spark`: the served model trained with each training engine (the default
numba ALS, or Spark MLlib's) on one split, each scored on the same held-out members.

Only the ALS item factors differ between the engines' models; animerec.recsys.evaluation.report holds
the bar (ENGINE_TOLERANCE) and the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import pandas as pd

from animerec.recsys.algorithms.spark_als import SparkSettings
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.evaluation.metrics import Accumulator
from animerec.recsys.evaluation.protocols import fan_context, popularity_ranks, served_lists, served_predictions
from animerec.recsys.evaluation.splits import TEST_FRACTION, make_cases, split_users
from animerec.recsys.model import ModelConfig, Recommender, single_threaded_blas
from animerec.recsys.serving.served import ServedModel


def fit_engine(train: pd.DataFrame, config: ModelConfig, catalog: Catalog,
               spark: SparkSettings | None = None) -> tuple[Recommender, float]:
    """The served model trained with one engine (``spark``: its settings, or None for the default
    numba ALS) and its ALS seconds."""
    stages: dict[str, float] = {}
    model = Recommender.fit(train, config, catalog=catalog, spark=spark, stage_times=stages)
    return model, stages["als"]


def engine_figures(model: Recommender, catalog: Catalog, test: pd.DataFrame, protocols: list[str],
                   seed: int) -> dict[str, dict]:
    """{protocol: figures of the served list and predictions} of one trained model, on held-out users."""
    served = ServedModel(model, catalog)
    ranks = popularity_ranks(served.ids, catalog)  # every served title, as discover counts
    out = {}
    with single_threaded_blas():
        for protocol in protocols:
            cases = make_cases(test, protocol, seed + 1)
            acc = Accumulator(model.n_items, fan_context(served, cases, ranks))
            lists, predicted = served_lists(served), served_predictions(model)
            for case in cases:
                acc.add(case, lists(case), predicted(case))
            out[protocol] = asdict(acc.figures())
    return out


def compare_engines(df: pd.DataFrame, engines: dict[str, SparkSettings | None], protocols: list[str], seed: int,
                    config: ModelConfig | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """The served list of each engine's model, trained on the same split: {"seed", "engines": {name:
    {"als_seconds", "settings", "protocols": {protocol: figures}}}}. ``engines`` maps a name to a
    SparkSettings or None (the default engine)."""
    say = progress or (lambda msg: None)
    config = config or ModelConfig()
    train, test = split_users(df, TEST_FRACTION, seed)
    catalog = Catalog.load()
    out: dict = {"seed": seed, "engines": {}}
    for name, spark in engines.items():
        say(f"training with the {name} engine")
        model, seconds = fit_engine(train, config, catalog, spark)
        say(f"{name}: ALS {seconds:.1f} s; scoring")
        out["engines"][name] = {"als_seconds": seconds, "settings": None if spark is None else asdict(spark),
                                "protocols": engine_figures(model, catalog, test, protocols, seed)}
    return out
