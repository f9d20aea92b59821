"""The time split and the new-titles section of the report, on small synthetic data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from recsys.conftest import grouped_franchises

from animerec.recsys.evaluation import coldstart as ce
from animerec.recsys.evaluation import report
from animerec.recsys.evaluation.splits import Case
from animerec.recsys.model import ModelConfig, Recommender


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
    rank = ce.sequels_ranker(_table(), cut, grouped_franchises(_table()))
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


@pytest.fixture(scope="module")
def small_split():
    """20 old titles in two genres, 3 cut ones; 40 training members, 8 held out (4 scored, 4 community)."""
    rng = np.random.default_rng(0)
    titles = [(a, "2010-01-01", 100 + a, a, "Action" if a < 10 else "Romance") for a in range(20)]
    titles += [(100, "2017-01-01", 900, 100, "Action"), (101, "2017-01-01", 50, 101, "Romance"),
               (102, "2018-01-01", 500, 5, "Action")]
    table = pd.DataFrame(titles, columns=["anime_id", "start_date", "members_latest", "franchise_id", "genres"])
    table["work_id"] = table["franchise_id"]
    rows = [(f"u{u}", int(a), float(rng.integers(6, 11))) for u in range(48)
            for a in rng.choice(range(10) if u % 2 else range(10, 20), 6, replace=False)]
    rows += [(f"u{u}", 100 + u % 3, 9.0) for u in range(40, 48)] + [(f"u{u}", 102, 8.0) for u in range(40, 46)]
    df = pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"]).drop_duplicates(["user_id", "anime_id"])
    train, held, cut_ids = ce.time_split(df, table)
    model = Recommender.fit(train, ModelConfig(factors=4, iterations=4, item_max_items=50), content=table,
                            franchises=grouped_franchises(table))
    cases, community = ce.halves(held, cut_ids, seed=0)
    return model, table, cases, community, cut_ids


def test_community_raters_are_gathered_per_cut_title_and_folded_in_from_min_raters(small_split):
    model, table, _, community, cut_ids = small_split
    raters = ce.community_raters(model, community, cut_ids)
    truth = community[community["anime_id"].isin(cut_ids)].groupby("anime_id")["rating"].apply(sorted).to_dict()
    assert {a: sorted(r for _, r in rs) for a, rs in raters.items()} == truth
    need = 2
    folded = ce.with_cold(model, table, replace(model.cold.config, min_raters=need), grouped_franchises(table))
    counts = ce.fold_in_community(folded, raters)
    enough = {a: len(rs) for a, rs in raters.items() if len(rs) >= need}
    assert counts == {"titles": len(enough), "raters": sum(enough.values())}
    assert {int(a) for a in folded.cold.anime_ids[folded.cold.source == 0]} == set(enough)


def test_the_reference_puts_continuations_of_franchises_not_started_last(small_split):
    model, _, _, _, cut_ids = small_split
    rank = ce.started_popularity_ranker(model, cut_ids)
    # 102 continues trained title 5; by members the cut titles go 100 (900), 102 (500), 101 (50).
    def order(given: list[int]) -> list[int]:
        case = Case("x", np.array(given), np.full(len(given), 8.0), np.array([100]), np.array([9.0]))
        return cut_ids[np.argsort(-rank(case))].tolist()
    assert order([5, 6]) == [100, 102, 101]
    assert order([6, 7]) == [100, 101, 102]


def test_overlap10_counts_the_shared_titles_of_two_top_tens():
    cases = [Case("a", np.array([1]), np.array([8.0]), np.array([2]), np.array([8.0]))] * 2
    up, down = (lambda case: np.arange(30.0)), (lambda case: -np.arange(30.0))
    assert ce.overlap10(cases, up, up) == 1.0 and ce.overlap10(cases, up, down) == 0.0
    assert ce.overlap10(cases, up, lambda case: np.r_[np.zeros(23), np.ones(7)]) == pytest.approx(0.7)


def test_calibration_without_shrinkage_is_the_served_one_at_full_trust(small_split):
    model, _, cases, _, _ = small_split
    folded = ce.fold_cases(model, cases)
    full = ce.with_trust(model, (1.0, 1.0, 1.0, 1.0))
    assert ce.calibration(full, cases, folded)["served"] == pytest.approx(
        ce.calibration(model, cases)["no shrinkage"])
    assert ce.calibration(model, cases, folded) == ce.calibration(model, cases)
    assert model.cold.config.trust != full.cold.config.trust  # with_trust left the served model alone


def _results(served: float, best: float) -> dict:
    def f(x: float) -> dict:
        return {"ndcg10": x, "ndcg10_liked": x, "recall20": x, "recall20_liked": x}
    cal = {"served": 1.2, "no shrinkage": 1.3, "member mean": 1.4, "ratings": 10}
    methods = {ce.SERVED: f(served), ce.COMMUNITY: f(served), ce.POPULARITY: f(best), ce.CEILING: f(2 * served)}
    return {"cut": "2016-04-01", "seed": 0, "methods": methods,
            "split": {"cut_titles": 3, "training_members": 4, "scored_members": 2, "community_members": 2},
            "sources": {"franchise": 1, "content": 2}, "community": {"titles": 1, "raters": 5},
            "calibration": cal, "calibration_community": cal}


def test_the_section_says_whether_the_bar_is_met_and_how_far_from_the_ceiling():
    for served, met in ((0.6, True), (0.5, False)):
        results = _results(served, 0.5)
        text = ce.coldstart_doc(results, "cmd", "<b>", "<e>", report.bar_lines(ce.coldstart_checks(results)))
        assert ("**The bar is not met**" in text) is not met and ("The bar is met" in text) is met
        assert "50% of the warm ceiling's" in text and "sealed holdout" in text
        assert "No tuning record" in text
        assert "reference, not one of the bar's baselines" not in text
    # With the reference row, the section says how far the served path leads it too.
    results = _results(0.6, 0.5)
    results["methods"][ce.POPULARITY_STARTED] = {"ndcg10": 0.4, "ndcg10_liked": 0.3, "recall20": 0.5,
                                                 "recall20_liked": 0.5}
    text = ce.coldstart_doc(results, "cmd", "<b>", "<e>", report.bar_lines(ce.coldstart_checks(results)))
    assert "not one of the bar's baselines): ndcg10 1.500 x, ndcg10_liked 2.000 x." in text
    assert "The served top 10 shares" not in text
    results["popularity_overlap"] = 0.7
    text = ce.coldstart_doc(results, "cmd", "<b>", "<e>", report.bar_lines(ce.coldstart_checks(results)))
    assert "The served top 10 shares 70% of its titles with popularity's top 10" in text


def test_a_rescored_copy_takes_fold_ins_without_touching_the_served_vectors(small_split):
    model, table, _, community, cut_ids = small_split
    before = {k: v.copy() for k, v in model.cold.arrays().items()}
    copy = ce.with_scoring(model, replace(model.cold.config, min_raters=1))
    assert ce.fold_in_community(copy, ce.community_raters(model, community, cut_ids))["titles"] == 3
    assert (copy.cold.source[[copy.cold.index_of(a) for a in cut_ids]] == 0).all()
    for name, array in model.cold.arrays().items():
        np.testing.assert_array_equal(array, before[name])
    # The same config builds the same vectors.
    rebuilt = ce.with_cold(model, table, model.cold.config, grouped_franchises(table))
    np.testing.assert_allclose(rebuilt.cold.factors, model.cold.factors, rtol=1e-5, atol=1e-6)
