"""/watchparty: one list for a group, after the fan rules for every member at once.

The strategies decide how members' appetites for a title combine into one score; the list is then
held to the same rules as a member's own (animerec.recsys.serving.rules.FanRules.slots), with a floor of
FEW_SCORES_FLOOR for every member unless the caller gives each their own.

The ranking scores choose the titles; the list then follows the figure it shows: the strategy applied
to the members' 1-10 predictions (group_figure). Members read a list against the predicted scores beside
each pick, and one ordered by a hidden score (8.0 / 7.9 / 8.5 above 9.3 / 9.1 / 9.3) reads as a mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from animerec.recsys.model import standardized, top_n
from animerec.recsys.serving.rules import CANDIDATE_DEPTH, FEW_SCORES_FLOOR, dropped_floor, member_floor
from animerec.recsys.serving.served import ServedModel

STRATEGIES = {
    "average": "best for the group on average",
    "least_misery": "best for the least keen member: nobody gets a title they'd dislike",
    "fair": "average minus the disagreement between members, so one fan can't carry a pick",
}
# What group_figure is, by strategy, in the words shown beside each pick, and in those saying what the list
# is ordered by.
FIGURE_WORDS = {"average": "average", "least_misery": "lowest", "fair": "fair score"}
ORDER_WORDS = {"average": "the average predicted score", "least_misery": "the least keen member's predicted score",
               "fair": "the fair score (the average predicted score less the members' disagreement)"}


@dataclass(frozen=True)
class GroupPick:
    anime_id: int
    group_score: float  # the strategy over the predictions (group_figure): the list is in this order
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


def group_figure(predictions: Sequence[float], strategy: str) -> float:
    """The strategy applied to one title's 1-10 predictions (one per member): the figure a party's list
    is ordered by and shows."""
    return float(combine(np.array(predictions, np.float64)[:, None], strategy)[0])


def group_picks(
    served: ServedModel,
    members: Sequence[Mapping[int, float]],
    n: int = 10,
    *,
    strategy: str = "average",
    exclude: Iterable[int] = (),
    allowed: np.ndarray | None = None,
    floors: Sequence[float] | None = None,
) -> list[GroupPick]:
    """Titles none of the members gave and none of them has almost surely seen, chosen by the strategy
    over the ranking scores after the fan rules for all of them, best group_figure first; titles without
    interactions compete as in a member's own list (ServedModel.scores). ``allowed``: bool mask aligned
    to the served titles (ServedModel.allowed); ``floors``: each member's lowest prediction for a pick
    (default FEW_SCORES_FLOOR for all)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if not members:
        return []
    model, rules = served.model, served.rules
    users = [model.fold_in(r) for r in members]
    gave = [set(map(int, r)) for r in members]
    blocked = served.blocked(served.given(set().union(*gave)), exclude, allowed)
    mine = [rules.given(r) for r in members]
    for g, r in zip(mine, members):
        blocked[g.earlier] = True
        blocked |= rules.dropped(g, dropped_floor(r))  # a work one of them dropped is no pick for the group
    utility = np.vstack([standardized(served.scores(u, r)[0]) for r, u in zip(members, users)])
    utility[:, blocked] = -np.inf
    combined = combine(utility, strategy)
    predicted: dict[int, tuple[float, ...]] = {}

    def predictions(i: int) -> tuple[float, ...]:
        if i not in predicted:
            predicted[i] = tuple(float(served.predictions(u, np.array([i]))[0]) for u in users)
        return predicted[i]

    lowest = list(floors) if floors is not None else [FEW_SCORES_FLOOR] * len(members)
    # A spin-off of a franchise one of them disliked needs that member's prediction at their own floor.
    liking = [member_floor(r) for r in members]
    slots = rules.slots(top_n(combined, CANDIDATE_DEPTH).tolist(), combined, blocked, mine, predictions, lowest, n,
                        doubted=[rules.disliked_elsewhere(g, f) for g, f in zip(mine, liking)],
                        doubted_floors=[max(f, low) for f, low in zip(liking, lowest)])
    shown = np.array([slot.shown for slot in slots], np.int64)
    picks = [GroupPick(anime_id, group_figure(predicted[i], strategy), predicted[i], more)
             for anime_id, i, more in zip(served.ids[shown].tolist(), shown.tolist(),
                                          rules.more_in_series(shown, rules.given(set().union(*gave))))]
    return sorted(picks, key=lambda p: -p.group_score)  # stable: the ranking breaks ties
