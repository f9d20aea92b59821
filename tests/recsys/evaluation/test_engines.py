"""The training-engine comparison: the default engine alone here (tests/recsys/algorithms/test_spark_als.py
trains on Spark)."""

import pytest

from animerec.recsys.evaluation.engines import compare_engines
from animerec.recsys.evaluation.protocols import SERVED
from animerec.recsys.model import ModelConfig

pytestmark = pytest.mark.timeout(240)


def test_an_engine_is_scored_as_the_evaluation_scores_the_served_list(evaluation_sample, results):
    out = compare_engines(evaluation_sample, {"default": None}, ["p80"], seed=0, config=ModelConfig.small())
    row = out["engines"]["default"]
    assert out["seed"] == 0 and row["settings"] is None and row["als_seconds"] > 0
    # Same split, same training, same scoring: the full evaluation's served row, figure for figure.
    assert row["protocols"]["p80"] == pytest.approx(results["protocols"]["p80"][SERVED], nan_ok=True)
