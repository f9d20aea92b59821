"""The evaluation end to end on a small slice of the bundled data: every method scored, every bar read."""

import numpy as np
import pandas as pd
import pytest

from recsys.catalog import Catalog
from recsys.data import load_interactions
from recsys.evaluate import DISCOVER, PLAIN, SERVED, bars, evaluate, format_table, franchise_check
from recsys.model import ModelConfig
from recsys.serving import franchises_for

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
