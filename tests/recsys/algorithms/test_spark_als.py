"""The Spark engine (animerec.recsys.algorithms.spark_als) on a small planted sample: one local[1] session for the module.

Skipped, with the reason, when pyspark or Java is missing (`pip install -e '.[spark]'`; CI installs it).
"""

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from animerec.recsys.algorithms.spark_als import SparkSettings, unavailable_reason
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.model import ModelConfig, Recommender

BLOCK_ITEMS = 10  # as in conftest.checkerboard
REASON = unavailable_reason()
needs_spark = pytest.mark.skipif(REASON is not None, reason=f"Spark engine unavailable: {REASON}")

BLOCK0 = set(range(1000, 1000 + BLOCK_ITEMS))
BLOCK1 = set(range(1000 + BLOCK_ITEMS, 1000 + 2 * BLOCK_ITEMS))
CONFIG = ModelConfig(factors=4, iterations=10, regularization=0.5, ease_neighbors=8, knn_neighbors=8,
                     ann_trees=5, ann_search_k=100)
# Spark regularizes a row by reg_param * its count (about 7 here): about our 0.5.
SETTINGS = SparkSettings(master="local[1]", reg_param=0.07, blocks=1, driver_memory="1g")


def _java_children() -> list[int]:
    """Live child processes of this one that run Java (Spark's JVM)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            state = stat.rsplit(")", 1)[1].split()[0]
            if ppid == os.getpid() and state != "Z" and b"java" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.fixture(scope="module")
def spark_run(board):
    """(model, non-daemon threads before, after) of one Spark training on the checkerboard."""
    before = {t.ident for t in threading.enumerate() if not t.daemon}
    model = Recommender.fit(board, CONFIG, spark=SETTINGS)
    after = [t.name for t in threading.enumerate() if not t.daemon and t.ident not in before]
    return model, after


@needs_spark
def test_spark_item_factors_rank_the_planted_block_first(spark_run):
    model, _ = spark_run
    assert model.meta["engine"]["name"] == "spark"
    # The ALS preference alone (no item-item scorers): a block-0 member's unseen block-0 titles first.
    for given, block in (({1000: 9, 1001: 8, 1002: 10}, BLOCK0), ({1010: 9, 1011: -1}, BLOCK1)):
        folded = model.fold_in(given)
        scores = model.item_factors @ folded.pref
        order = [int(model.item_ids[i]) for i in np.argsort(-scores) if int(model.item_ids[i]) not in given]
        assert set(order[:BLOCK_ITEMS - len(given)]) == block - set(given)


@needs_spark
def test_spark_factors_are_in_the_models_item_order(spark_run):
    # Each title's nearest title by the factors' cosine is one of its own block: a factor row put at
    # another title's index would break this.
    model, _ = spark_run
    V = model.item_factors / np.linalg.norm(model.item_factors, axis=1, keepdims=True)
    cos = V @ V.T
    np.fill_diagonal(cos, -np.inf)
    nearest = model.item_ids[np.argmax(cos, axis=1)]
    assert [(a in BLOCK0) for a in nearest.tolist()] == [(a in BLOCK0) for a in model.item_ids.tolist()]


@needs_spark
def test_a_spark_trained_model_is_published_and_served_like_any_other(spark_run, tmp_path):
    model, _ = spark_run
    path = artifacts.publish(model, tmp_path)
    loaded = artifacts.load_current(tmp_path)
    assert path.name == loaded.meta["version"]
    assert loaded.meta["engine"]["master"] == "local[1]"
    np.testing.assert_array_equal(loaded.item_factors, model.item_factors)
    recs = loaded.recommend({1000: 9, 1001: 8, 1002: 10}, n=5)
    assert {r.anime_id for r in recs} <= BLOCK0 - {1000, 1001, 1002}
    assert (loaded.predict({1000: 10, 1001: 9}, [1003, 1004]) > 7).all()


@needs_spark
def test_spark_training_leaves_no_jvm_or_thread_behind(spark_run):
    from pyspark import SparkContext

    _, leaked = spark_run
    assert leaked == []
    assert SparkContext._active_spark_context is None and SparkContext._gateway is None
    assert _java_children() == []
