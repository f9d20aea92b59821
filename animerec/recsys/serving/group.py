"""Group strategies for /watchparty: how members' appetites for a title combine into one score.

The list itself (titles none of them gave, after the fan rules) is animerec.recsys.serving.served.ServedModel.group.
"""

from __future__ import annotations

import numpy as np

STRATEGIES = {
    "average": "best for the group on average",
    "least_misery": "best for the least keen member: nobody gets a title they'd dislike",
    "fair": "average minus the disagreement between members, so one fan can't carry a pick",
}


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
