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


def test_work_ndcg_credits_each_work_once_and_its_ideal_counts_target_works():
    from animerec.recsys.evaluation.metrics import work_ndcg_at

    work = {1: 100, 2: 100, 3: 300, 4: 400, 5: 500, 6: 400}.__getitem__
    ranked = np.array([1, 2, 3, 4])
    # Targets 2 and 6 are in works 100 and 400, 5 in work 500: three target works.
    got = work_ndcg_at(ranked, np.array([2, 6, 5]), work, 10)
    # Slot 1 (work 100) gains; slot 2 is work 100 again; slot 3 misses; slot 4 (work 400) gains.
    assert got == pytest.approx((1 + 1 / np.log2(5)) / (1 + 1 / np.log2(3) + 1 / np.log2(4)))
    assert work_ndcg_at(np.array([2, 1]), np.array([1, 2]), work, 10) == pytest.approx(1.0)  # one work, found
    assert np.isnan(work_ndcg_at(ranked, np.array([], int), work, 10))
