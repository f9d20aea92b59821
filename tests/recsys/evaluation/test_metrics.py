import numpy as np
import pytest

from animerec.recsys.evaluation.metrics import ndcg_at, recall_at


def test_recall_and_ndcg_known_answers():
    ranked = np.array([5, 1, 7, 3])
    assert recall_at(ranked, np.array([1, 3]), 2) == 0.5
    assert recall_at(ranked, np.array([1, 3]), 4) == 1.0
    assert ndcg_at(ranked, np.array([5]), 10) == pytest.approx(1.0)
    assert ndcg_at(ranked, np.array([1]), 10) == pytest.approx(1 / np.log2(3))
    assert np.isnan(recall_at(ranked, np.array([], int), 5))
