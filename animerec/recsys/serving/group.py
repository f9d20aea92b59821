"""/watchparty: one list for a group, after the fan rules for every member at once.

The strategies decide how members' appetites for a title combine into one score; the list is then
held to the same rules as a member's own (animerec.recsys.serving.rules.FanRules.slots), with a floor of
FEW_SCORES_FLOOR for every member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from animerec.recsys.model import standardized, top_n
from animerec.recsys.serving.rules import CANDIDATE_DEPTH, FEW_SCORES_FLOOR
from animerec.recsys.serving.served import ServedModel

STRATEGIES = {
    "average": "best for the group on average",
    "least_misery": "best for the least keen member: nobody gets a title they'd dislike",
    "fair": "average minus the disagreement between members, so one fan can't carry a pick",
}


@dataclass(frozen=True)
class GroupPick:
    anime_id: int
    group_score: float
    predictions: tuple[float, ...]  # one calibrated 1-10 prediction per member, in the order given
    more_in_series: int


def combine(utility: np.ndarray, strategy: str) -> np.ndarray:
    """One score per title from a (members x titles) utility matrix (each member's standardized
    ranking score, so members with loud and quiet histories weigh the same); -inf stays -inf."""
    if strategy == "average":
        return utility.mean(axis=0)
    if strategy == "least_misery":
        return utility.min(axis=0) + 1e-3 * utility.mean(axis=0)  # the mean breaks ties
    if strategy == "fair":
        with np.errstate(invalid="ignore"):  # -inf columns: std is nan, the mean keeps them -inf
            return np.where(np.isfinite(utility).all(axis=0), utility.mean(axis=0) - utility.std(axis=0), -np.inf)
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def group_picks(
    served: ServedModel,
    members: Sequence[Mapping[int, float]],
    n: int = 10,
    *,
    strategy: str = "average",
    exclude: Iterable[int] = (),
    allowed: np.ndarray | None = None,
) -> list[GroupPick]:
    """Titles none of the members gave and none of them has almost surely seen, ranked by the strategy,
    after the fan rules for all of them. ``allowed``: bool mask aligned to model.item_ids."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if not members:
        return []
    model, rules = served.model, served.rules
    users = [model.fold_in(r) for r in members]
    gave = [set(map(int, r)) for r in members]
    blocked = model.blocked(np.concatenate([u.seen for u in users]), exclude, allowed)
    for r, u in zip(members, users):
        blocked[rules.earlier(r, u)] = True
    utility = np.vstack([standardized(model.ranking_scores(u).astype(np.float64)) for u in users])
    utility[:, blocked] = -np.inf
    group_score = combine(utility, strategy)
    predicted: dict[int, tuple[float, ...]] = {}

    def predictions(i: int) -> tuple[float, ...]:
        if i not in predicted:
            predicted[i] = tuple(float(model.predicted_ratings(u, np.array([i]))[0]) for u in users)
        return predicted[i]

    slots = rules.slots(top_n(group_score, CANDIDATE_DEPTH).tolist(), group_score, blocked, gave, predictions,
                        [FEW_SCORES_FLOOR] * len(members), n)
    given = set().union(*gave)
    picks = []
    for slot in slots:
        anime_id = int(model.item_ids[slot.shown])
        picks.append(GroupPick(anime_id, float(group_score[slot.ranked]), predicted[slot.shown],
                               rules.more_in_series(anime_id, given)))
    return picks
