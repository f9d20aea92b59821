from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from animerec.recsys.lifecycle import artifacts
from animerec.recsys.lifecycle.train import train_model
from animerec.recsys.model import ModelConfig, Recommender

BLOCK_ITEMS = 10  # checkerboard: users of group g interact only with items of block g


def checkerboard(n_users: int = 60, n_blocks: int = 2, density: float = 0.7, seed: int = 0) -> pd.DataFrame:
    """Planted structure: two taste groups, each watching (and rating 7-10) only its own block of titles."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        g = u % n_blocks
        for a in range(g * BLOCK_ITEMS, (g + 1) * BLOCK_ITEMS):
            if rng.random() < density:
                rating = float(rng.integers(7, 11)) if rng.random() < 0.8 else -1.0
                rows.append((f"u{u}", 1000 + a, rating))
    return pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"])


@pytest.fixture(scope="session")
def board() -> pd.DataFrame:
    return checkerboard()


@pytest.fixture(scope="session")
def board_model(board) -> Recommender:
    return Recommender.fit(board, ModelConfig(factors=4, iterations=15, regularization=0.5, ease_neighbors=8,
                                              knn_neighbors=8,
                                              ann_trees=5, ann_search_k=100))


@pytest.fixture(scope="session")
def small_models_root(tmp_path_factory) -> Path:
    """A small model trained on the bundled data, published once for the whole session."""
    root = tmp_path_factory.mktemp("models")
    artifacts.publish(train_model(config=ModelConfig.small()), root)
    return root
