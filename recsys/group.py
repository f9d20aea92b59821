"""One list for a group (a /watchparty): titles none of them gave, that all are predicted to enjoy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from recsys.model import Recommender, standardized, top_n

STRATEGIES = {
    "average": "best for the group on average",
    "least_misery": "best for the least keen member: nobody gets a title they'd dislike",
    "fair": "average minus the disagreement between members, so one fan can't carry a pick",
}
# Candidates are the union of each member's own top picks, so the group list stays personal.
CANDIDATES_PER_MEMBER = 200


@dataclass(frozen=True)
class GroupPick:
    anime_id: int
    group_score: float
    predictions: tuple[float, ...]  # one predicted 1-10 score per member, in the order given


def group_recommend(
    model: Recommender,
    members: Sequence[Mapping[int, float]],
    n: int = 10,
    *,
    strategy: str = "average",
    exclude: Iterable[int] = (),
    allowed: np.ndarray | None = None,
) -> list[GroupPick]:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if not members:
        return []
    seen = {int(a) for ratings in members for a in ratings} | {int(a) for a in exclude}
    candidates: dict[int, None] = {}
    for ratings in members:
        for rec in model.recommend(ratings, CANDIDATES_PER_MEMBER, exclude=seen, allowed=allowed):
            candidates.setdefault(rec.anime_id, None)
    ids = list(candidates)
    if not ids:
        return []
    # Each member's appetite for a title is their own ranking score, standardized over the
    # candidates so members with loud and quiet histories weigh the same; the 1-10 predictions
    # are shown next to each pick.
    utility = np.vstack([standardized(model.candidate_scores(ratings, ids)) for ratings in members])
    preds = np.vstack([model.predict(ratings, ids) for ratings in members])  # members x candidates
    if strategy == "average":
        score = utility.mean(axis=0)
    elif strategy == "least_misery":
        score = utility.min(axis=0) + 1e-3 * utility.mean(axis=0)  # the mean breaks ties
    else:
        score = utility.mean(axis=0) - utility.std(axis=0)
    top = top_n(score.astype(np.float64), n)
    return [GroupPick(ids[j], float(score[j]), tuple(float(p) for p in preds[:, j])) for j in top]
