"""The evaluation end to end on a small slice of the bundled data: every method scored, every bar read."""

import numpy as np
import pandas as pd
import pytest

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.data import load_interactions
from animerec.recsys.evaluation.evaluate import (
    DISCOVER,
    PLAIN,
    SERVED,
    TrainIndex,
    _bar,
    _rank,
    _run,
    bars,
    evaluate,
    format_table,
    franchise_check,
    item_knn,
    popularity,
)
from animerec.recsys.evaluation.metrics import Case
from animerec.recsys.model import ModelConfig
from animerec.recsys.serving.served import franchises_for

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def results():
    df = load_interactions()
    users = np.sort(df["user_id"].unique())[:400]
    return evaluate(df[df["user_id"].isin(users)], ["p80"], seed=0, config=ModelConfig.small())


def test_every_method_is_scored_and_the_served_list_follows_the_fan_rules(results):
    rows = results["protocols"]["p80"]
    assert {SERVED, DISCOVER, PLAIN, "popularity", "item-kNN cosine", "Funk SVD (retrained)"} <= set(rows)
    assert rows[SERVED]["users"] == rows[PLAIN]["users"] > 0
    assert rows[SERVED]["earlier10"] == 0 and rows[SERVED]["extra10"] == 0
    assert rows[PLAIN]["earlier10"] > 0  # the raw ranking does list prequels: the figure can see them
    assert rows[DISCOVER]["outside_top100"] == 1.0  # discover never shows the 100 most watched
    assert 0 < rows[SERVED]["fresh_ndcg10"] < 1 and 0 < rows[SERVED]["rmse"] < 3


def test_the_report_names_every_bar_and_the_side_figures(results):
    checks = bars(results)
    assert len(checks) == 4 + 1 + 3 + 2  # fan bars of p80, its RMSE, /similar, title search
    table = format_table(results)
    for heading in ("protocol `p80`", "What a fan notices", "`/similar`", "Franchise graph", "Title search"):
        assert heading in table
    for sampling in ("per interaction", "5 per member"):
        sim = results["similar"][sampling]["animerec /similar (served)"]
        assert sim["same_franchise"] == 0 and sim["queries"] > 0


def test_franchise_check_counts_prequel_edges_the_co_watch_data_contradicts():
    franchises = franchises_for(Catalog.load())
    # Steins;Gate's film (11577) comes after its special (10863): 3 of 4 film watchers saw the special.
    rows = [(u, 11577, 8.0) for u in "abcd"] + [(u, 10863, 8.0) for u in "abc"]
    df = pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"])
    check = franchise_check(franchises, df, min_watchers=4)
    assert check == {"edges": 1, "disagree": 0, "median_share": 0.75, "min_watchers": 4}
    only_a = df[(df["anime_id"] == 11577) | (df["user_id"] == "a")]  # 1 of 4 film watchers saw the special
    assert franchise_check(franchises, only_a, min_watchers=4) == {"edges": 1, "disagree": 1, "median_share": 0.25,
                                                                     "min_watchers": 4}


# --- the pieces, on three members and three titles ---------------------------------------------------
# u1 gave 10 and 20, u2 10 and 20 (watched, no score), u3 10 and 30.
TINY = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3", "u3"], "anime_id": [10, 20, 10, 20, 10, 30],
                     "rating": [9.0, 8.0, 7.0, -1.0, 6.0, 5.0]})


def case(given, targets=(20,)) -> Case:
    return Case("x", np.array(given, np.int64), np.full(len(given), 8.0), np.array(targets, np.int64),
                np.full(len(targets), 8.0))


def test_the_train_index_numbers_members_and_titles_densely():
    ix = TrainIndex(TINY)
    assert ix.items.tolist() == [10, 20, 30] and ix.n_users == 3
    assert ix.positions(np.array([30, 99, 10])).tolist() == [2, 0]  # a title not in training is dropped
    assert ix.matrix(ix.ratings).toarray().tolist() == [[9, 8, 0], [7, -1, 0], [6, 0, 5]]


def test_popularity_ranks_by_interactions_without_what_was_given():
    ix = TrainIndex(TINY)
    scores = popularity(ix)(case([10]))
    assert scores.tolist() == [3.0, 2.0, 1.0]
    assert _rank(ix, scores, ix.positions(np.array([10]))).tolist() == [20, 30]


def test_item_knn_sums_the_cosines_of_the_given_titles():
    ix = TrainIndex(TINY)
    knn = item_knn(ix)
    # Watcher vectors: 10 = (1, 1, 1), 20 = (1, 1, 0), 30 = (0, 0, 1).
    np.testing.assert_allclose(knn(case([10])), [0.0, 2 / np.sqrt(6), 1 / np.sqrt(3)], atol=1e-6)
    np.testing.assert_allclose(knn(case([20, 30])), [2 / np.sqrt(6) + 1 / np.sqrt(3), 0.0, 0.0], atol=1e-6)


def test_a_scorer_that_ranks_the_target_first_scores_full_marks():
    ix = TrainIndex(TINY)
    figures = _run(ix, [case([10], targets=[20])], popularity(ix))
    assert (figures.recall20, figures.ndcg10, figures.users) == (1.0, 1.0, 1)
    missed = _run(ix, [case([10], targets=[30])], popularity(ix))  # 30 comes second: half the gain at rank 2
    assert missed.recall20 == 1.0 and missed.ndcg10 == pytest.approx(1 / np.log2(3))


def test_a_bar_passes_on_its_side_of_the_bound():
    assert _bar("p80: earlier10", 0.25, 0.2, "max") == ("p80: earlier10 0.2500 <= 0.2", False)
    assert _bar("p80: earlier10", 0.2, 0.2, "max")[1]
    assert _bar("p80: fresh_ndcg10", 0.5, 0.47, "min") == ("p80: fresh_ndcg10 0.5000 >= 0.47", True)


def test_bars_read_the_served_row_of_each_protocol_the_similar_figures_and_search():
    served = {"earlier10": 0.0, "extra10": 0.5, "fresh_ndcg10": 0.5, "fresh_ndcg10_liked": 0.3, "rmse": 1.1}
    results = {"protocols": {"p80": {SERVED: served, "Funk SVD (retrained)": {"rmse": 1.2}}},
               "similar": {"per interaction": {"animerec /similar (served)": {
                   "cowatch_precision": 0.6, "genre_overlap": 0.3, "obscure_share": 0.01}}},
               "search": {"english_top1": 0.95, "abbrev_top1": 0.85}}
    checks = bars(results)
    assert [ok for _, ok in checks] == [True, False, True, False, True, True, False, True, True, False]
    assert checks[4][0] == "p80: RMSE 1.1000 < Funk SVD 1.2000"
