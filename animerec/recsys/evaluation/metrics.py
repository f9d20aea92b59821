"""Ranking and rating metrics over held-out members, and what a fan notices in a list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from animerec.recsys.evaluation.splits import Case

LIKED = 8.0  # a held-out rating at or above this counts as "liked"


def _dcg_discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2))


def recall_at(ranked: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Hits in the top k over min(k, |targets|), so a perfect list scores 1."""
    if len(targets) == 0:
        return float("nan")
    return len(np.intersect1d(ranked[:k], targets)) / min(k, len(targets))


def ndcg_at(ranked: np.ndarray, targets: np.ndarray, k: int) -> float:
    if len(targets) == 0:
        return float("nan")
    disc = _dcg_discounts(k)
    hits = np.isin(ranked[:k], targets)
    return float((hits * disc[: len(hits)]).sum() / disc[: min(k, len(targets))].sum())


def work_ndcg_at(ranked: np.ndarray, targets: np.ndarray, work_of: Callable[[int], int], k: int) -> float:
    """NDCG@k at the level of works: a slot gains when its work holds a target and no earlier slot took
    that work; the ideal is min(k, target works). A list is not punished for showing a work once and
    folding its other entries away, nor rewarded for showing it twice."""
    if len(targets) == 0:
        return float("nan")
    wanted = {work_of(a) for a in targets.tolist()}
    disc = _dcg_discounts(k)
    taken: set[int] = set()
    gain = 0.0
    for pos, a in enumerate(ranked[:k].tolist()):
        w = work_of(a)
        if w in wanted and w not in taken:
            taken.add(w)
            gain += disc[pos]
    return float(gain / disc[: min(k, len(wanted))].sum())


@dataclass
class Figures:
    """Aggregated figures for one model under one protocol."""

    recall20: float
    ndcg10: float
    recall20_liked: float
    ndcg10_liked: float
    rmse: float
    mae: float
    coverage10: float
    users: int
    # What a fan notices (NaN where the evaluation had no work graph): picks in the top 10 that are
    # earlier entries of the member's works, and slots beyond one per work (both per 10); NDCG@10 with
    # those already-seen titles removed from the lists and the targets ("fresh"), per title and per
    # work (work_ndcg_at); and popularity: the median popularity rank of the top-10 picks (0 = most
    # watched), and the share of them outside the 100 most watched.
    earlier10: float = float("nan")
    extra10: float = float("nan")
    fresh_ndcg10: float = float("nan")
    fresh_ndcg10_liked: float = float("nan")
    popularity_rank: float = float("nan")
    outside_top100: float = float("nan")
    work_ndcg10: float = float("nan")
    work_ndcg10_liked: float = float("nan")

    COLUMNS = ("recall20", "ndcg10", "recall20_liked", "ndcg10_liked", "rmse", "mae", "coverage10")
    FAN_COLUMNS = ("earlier10", "extra10", "fresh_ndcg10", "fresh_ndcg10_liked", "popularity_rank", "outside_top100",
                   "work_ndcg10", "work_ndcg10_liked")


@dataclass(frozen=True)
class FanContext:
    """What the fan figures need: each held-out user's already-seen earlier entries (by user id),
    the work of a title (Franchises.work_key: its own id when it has none), and popularity ranks (0 = most
    MyAnimeList members in the catalog)."""

    earlier: dict[str, set[int]]
    work_of: Callable[[int], int]
    popularity_rank: dict[int, int]


class Accumulator:
    def __init__(self, n_items: int, fan: FanContext | None = None):
        self.n_items = n_items
        self.fan = fan
        self.rows: list[tuple[float, float, float, float]] = []
        self.fan_rows: list[tuple[float, ...]] = []
        self.errors: list[np.ndarray] = []
        self.top10: set[int] = set()

    def add(self, case: Case, ranked: np.ndarray, predicted: np.ndarray | None) -> None:
        liked = case.target_items[case.target_ratings >= LIKED]
        self.rows.append(
            (
                recall_at(ranked, case.target_items, 20),
                ndcg_at(ranked, case.target_items, 10),
                recall_at(ranked, liked, 20),
                ndcg_at(ranked, liked, 10),
            )
        )
        self.top10.update(ranked[:10].tolist())
        if predicted is not None:
            rated = case.target_ratings > 0
            self.errors.append(predicted[rated] - case.target_ratings[rated])
        if self.fan is not None:
            self.fan_rows.append(self._fan_row(self.fan, case, ranked, liked))

    @staticmethod
    def _fan_row(fan: FanContext, case: Case, ranked: np.ndarray, liked: np.ndarray) -> tuple[float, ...]:
        earlier = fan.earlier.get(case.user_id, set())
        top = ranked[:10].tolist()
        fresh = np.array([a for a in ranked.tolist() if a not in earlier], np.int64)
        keep = lambda items: np.array([a for a in items.tolist() if a not in earlier], np.int64)  # noqa: E731
        ranks = [fan.popularity_rank.get(a, len(fan.popularity_rank)) for a in top]
        return (
            sum(a in earlier for a in top),
            len(top) - len({fan.work_of(a) for a in top}),
            ndcg_at(fresh, keep(case.target_items), 10),
            ndcg_at(fresh, keep(liked), 10),
            float(np.median(ranks)) if ranks else float("nan"),
            float(np.mean([r >= 100 for r in ranks])) if ranks else float("nan"),
            work_ndcg_at(fresh, keep(case.target_items), fan.work_of, 10),
            work_ndcg_at(fresh, keep(liked), fan.work_of, 10),
        )

    def figures(self) -> Figures:
        r = np.array(self.rows, dtype=float)
        means = np.nanmean(r, axis=0)
        err = np.concatenate(self.errors) if self.errors else np.array([np.nan])
        fan = (np.nanmean(np.array(self.fan_rows, dtype=float), axis=0) if self.fan_rows
               else [float("nan")] * len(Figures.FAN_COLUMNS))
        return Figures(
            recall20=means[0], ndcg10=means[1], recall20_liked=means[2], ndcg10_liked=means[3],
            rmse=float(np.sqrt(np.mean(err**2))), mae=float(np.mean(np.abs(err))),
            coverage10=len(self.top10) / self.n_items, users=len(self.rows),
            **dict(zip(Figures.FAN_COLUMNS, map(float, fan))),
        )
