import pandas as pd

from animerec.recsys.evaluation.splits import make_cases, split_users


def _table(n_users=20, per_user=12):
    rows = [(f"u{u}", i, float(1 + i % 10)) for u in range(n_users) for i in range(per_user)]
    return pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"])


def test_split_holds_out_whole_users():
    train, test = split_users(_table(), 0.25, seed=3)
    assert set(train["user_id"]).isdisjoint(test["user_id"])
    assert test["user_id"].nunique() == 5
    assert len(train) + len(test) == 240


def test_protocols_partition_each_users_interactions():
    _, test = split_users(_table(), 0.5, seed=0)
    for case in make_cases(test, "p80", seed=1):
        assert len(case.given_items) == 10 and len(case.target_items) == 2  # 80% of 12, rounded
        assert set(case.given_items).isdisjoint(case.target_items)
    for case in make_cases(test, "cold5", seed=1):
        assert len(case.given_items) == 5 and len(case.target_items) == 7
        assert (case.given_ratings > 0).all()
