"""Held-out members: whole users held out of training, and the protocols that split each one's
interactions into what the model is given and what it must find."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TEST_FRACTION = 0.15  # of the users, held out of training
PROTOCOLS = ("p80", "cold5")


@dataclass(frozen=True)
class Case:
    """One held-out user under a protocol: what the model is given, and what it must find."""

    user_id: str
    given_items: np.ndarray  # MAL ids
    given_ratings: np.ndarray  # 1-10 or -1 (watched)
    target_items: np.ndarray
    target_ratings: np.ndarray


def split_users(df: pd.DataFrame, test_fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out whole users: (train interactions, held-out users' interactions)."""
    users = np.sort(df["user_id"].unique())
    rng = np.random.default_rng(seed)
    test_users = set(rng.choice(users, size=int(round(len(users) * test_fraction)), replace=False))
    is_test = df["user_id"].isin(test_users)
    return df[~is_test].reset_index(drop=True), df[is_test].reset_index(drop=True)


def make_cases(test: pd.DataFrame, protocol: str, seed: int) -> list[Case]:
    """p80: 80% of each user's interactions given, 20% to find. cold5: 5 ratings given, the rest to find."""
    rng = np.random.default_rng(seed)
    cases = []
    for user_id, g in test.groupby("user_id", sort=True):
        items = g["anime_id"].to_numpy()
        ratings = g["rating"].to_numpy(np.float32)
        if protocol == "p80":
            if len(items) < 5:
                continue
            perm = rng.permutation(len(items))
            n_given = int(round(0.8 * len(items)))
            given, target = perm[:n_given], perm[n_given:]
        elif protocol == "cold5":
            rated = np.flatnonzero(ratings > 0)
            if len(rated) < 6:
                continue
            given = rng.choice(rated, size=5, replace=False)
            target = np.setdiff1d(np.arange(len(items)), given)
        else:
            raise ValueError(f"unknown protocol {protocol!r}; use p80 or cold5")
        cases.append(Case(str(user_id), items[given], ratings[given], items[target], ratings[target]))
    return cases
