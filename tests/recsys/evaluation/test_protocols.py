"""The evaluation end to end on a small slice of the bundled data (the `results` fixture): every method
scored; and the pieces on three members and three titles."""

import numpy as np
import pandas as pd
import pytest

from animerec.recsys.algorithms.baselines import TrainIndex, popularity
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.evaluation.protocols import DISCOVER, PLAIN, SERVED, _rank, _run, franchise_check
from animerec.recsys.evaluation.splits import Case
from animerec.recsys.serving.served import franchises_for

pytestmark = pytest.mark.timeout(240)


def test_every_method_is_scored_and_the_served_list_follows_the_fan_rules(results):
    rows = results["protocols"]["p80"]
    assert {SERVED, DISCOVER, PLAIN, "popularity", "item-kNN cosine", "Funk SVD (retrained)"} <= set(rows)
    assert rows[SERVED]["users"] == rows[PLAIN]["users"] > 0
    assert rows[SERVED]["earlier10"] == 0 and rows[SERVED]["extra10"] == 0
    assert rows[PLAIN]["earlier10"] > 0  # the raw ranking does list prequels: the figure can see them
    assert rows[DISCOVER]["outside_top100"] == 1.0  # discover never shows the 100 most watched
    assert 0 < rows[SERVED]["fresh_ndcg10"] < 1 and 0 < rows[SERVED]["rmse"] < 3


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


def test_popularity_ranks_by_interactions_without_what_was_given():
    ix = TrainIndex(TINY)
    given = case([10])
    scores = popularity(ix)(given.given_items, given.given_ratings)
    assert scores.tolist() == [3.0, 2.0, 1.0]
    assert _rank(ix, scores, ix.positions(np.array([10]))).tolist() == [20, 30]


def test_a_scorer_that_ranks_the_target_first_scores_full_marks():
    ix = TrainIndex(TINY)
    figures = _run(ix, [case([10], targets=[20])], popularity(ix))
    assert (figures.recall20, figures.ndcg10, figures.users) == (1.0, 1.0, 1)
    missed = _run(ix, [case([10], targets=[30])], popularity(ix))  # 30 comes second: half the gain at rank 2
    assert missed.recall20 == 1.0 and missed.ndcg10 == pytest.approx(1 / np.log2(3))


def test_the_served_neighbours_scored_are_titles_the_split_trained_on():
    from coldkit import cold_plant

    from animerec.recsys.evaluation.protocols import served_neighbours

    served, _ = cold_plant()
    queries = (1000, 1004, 1010, 1011)
    assert any(served.is_cold(b) for a in queries for b, _ in served.similar(a, 10).neighbours)  # as the bot serves
    neighbours = served_neighbours(served)
    for a in queries:
        found = neighbours(a, 10)
        assert found and not any(served.is_cold(b) for b in found)
