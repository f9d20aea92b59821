"""The time split and the new-titles section of the report, on small synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from animerec.recsys.evaluation import coldstart as ce
from animerec.recsys.evaluation import report
from animerec.recsys.evaluation.splits import Case


def _table() -> pd.DataFrame:
    rows = [(1, "2010-01-01", 10, 1), (2, "2012-01-01", 500, 2), (3, "2017-01-01", 100, 1), (4, "2018-05-01", 900, 4),
            (5, "2016-04-01", 50, 5)]
    return pd.DataFrame(rows, columns=["anime_id", "start_date", "members_latest", "franchise_id"])


def test_time_split_holds_out_every_watcher_of_a_cut_title():
    df = pd.DataFrame([("a", 1, 8.0), ("a", 3, 9.0), ("b", 1, 7.0), ("b", 2, -1.0), ("c", 5, 6.0), ("c", 2, 8.0)],
                      columns=["user_id", "anime_id", "rating"])
    train, held, cut = ce.time_split(df, _table(), "2016-04-01")
    assert cut.tolist() == [3, 5]  # on or after the cut date; 4 has no interactions
    assert set(train["user_id"]) == {"b"} and set(held["user_id"]) == {"a", "c"}
    assert not train["anime_id"].isin(cut).any()


def test_halves_give_older_titles_and_ask_for_the_cut_ones():
    held = pd.DataFrame([(u, a, 8.0) for u in ("a", "b", "c", "d") for a in (1, 2, 3)],
                        columns=["user_id", "anime_id", "rating"])
    cases, community = ce.halves(held, np.array([3]), seed=0)
    assert len(cases) == 2 and community["user_id"].nunique() == 2
    assert not set(community["user_id"]) & {c.user_id for c in cases}
    for case in cases:
        assert case.given_items.tolist() == [1, 2] and case.target_items.tolist() == [3]


def test_sequels_of_liked_titles_come_first_then_popularity():
    cut = np.array([3, 4, 5])
    rank = ce.sequels_ranker(_table(), cut)
    case = Case("a", np.array([1, 2]), np.array([9.0, 5.0]), np.array([3]), np.array([9.0]))
    order = cut[np.argsort(-rank(case))]
    assert order.tolist() == [3, 4, 5]  # 3 continues liked title 1; then by members
    assert ce.figures([case], cut, rank)["ndcg10"] == 1.0


def test_the_bar_compares_with_the_best_baseline():
    def result(served: float, best: float) -> dict:
        f = lambda x: {"ndcg10": x, "ndcg10_liked": x}  # noqa: E731
        return {"methods": {ce.SERVED: f(served), ce.POPULARITY: f(best), ce.SEQUELS: f(best / 2)}}
    assert all(ok for _, ok in ce.coldstart_checks(result(0.55, 0.5)))
    assert not any(ok for _, ok in ce.coldstart_checks(result(0.54, 0.5)))


def test_the_new_titles_section_is_replaced_and_kept_by_a_regeneration(tmp_path):
    docs = tmp_path / "evaluation.md"
    docs.write_text("# Evaluation\n\nbody\n")
    for text in ("first", "second"):
        report.write_section(docs, f"{report.COLDSTART_BEGIN}\n{text}\n{report.COLDSTART_END}",
                             report.COLDSTART_BEGIN, report.COLDSTART_END)
    page = docs.read_text()
    assert "second" in page and "first" not in page and page.count(report.COLDSTART_BEGIN) == 1
    kept = report.section(page, report.COLDSTART_BEGIN, report.COLDSTART_END)
    assert "second" in kept and "body" not in kept
