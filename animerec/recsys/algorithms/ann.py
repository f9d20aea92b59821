"""Annoy index over the /similar embeddings (animerec.recsys.algorithms.embeddings), for /similar.

Angular distance on the raw factors is cosine similarity (cos = 1 - d^2 / 2), which is what
"similar titles" means here; the inner-product trick of implicit's ann/annoy.py is only needed for
ranking by dot product, which /recommend does exactly instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from annoy import AnnoyIndex


class AnnIndex:
    """An Annoy index over item vectors; with ``rows``, over a subset of the items (item index of each
    vector indexed), still queried and answered in item indices."""

    def __init__(self, index: AnnoyIndex, item_ids: np.ndarray, search_k: int, rows: np.ndarray | None = None):
        self.index = index
        self.item_ids = item_ids
        self.search_k = search_k
        self.rows = rows
        if rows is not None:
            self._position = dict(zip(rows.tolist(), range(len(rows))))

    @classmethod
    def build(cls, item_factors: np.ndarray, item_ids: np.ndarray, *, n_trees: int, search_k: int,
              seed: int = 0, rows: np.ndarray | None = None) -> AnnIndex:
        """The index over every item's vector, or over the items ``rows`` only."""
        index = AnnoyIndex(item_factors.shape[1], "angular")
        index.set_seed(seed)
        for i, v in enumerate(item_factors if rows is None else item_factors[rows]):
            index.add_item(i, v)
        index.build(n_trees, n_jobs=1)
        return cls(index, item_ids, search_k, rows)

    def save(self, path: Path) -> None:
        self.index.save(str(path))

    @classmethod
    def load(cls, path: Path, dim: int, item_ids: np.ndarray, search_k: int) -> AnnIndex:
        index = AnnoyIndex(dim, "angular")
        if not index.load(str(path)):
            raise OSError(f"cannot load Annoy index {path}")
        if index.get_n_items() != len(item_ids):
            raise OSError(f"Annoy index {path} holds {index.get_n_items()} items, expected {len(item_ids)}")
        return cls(index, item_ids, search_k)

    def neighbours(self, i: int, n: int) -> list[tuple[int, float]]:
        """(item index, cosine similarity) of the n nearest items to item i, i itself excluded.

        Plain lists: for ten results numpy's array set-up costs more than the work. An index over a subset
        answers only for items in it.
        """
        if self.rows is None:
            idx, dist = self.index.get_nns_by_item(i, n + 1, search_k=self.search_k, include_distances=True)
            return [(j, 1.0 - d * d / 2.0) for j, d in zip(idx, dist) if j != i][:n]
        p = self._position[i]
        idx, dist = self.index.get_nns_by_item(p, n + 1, search_k=self.search_k, include_distances=True)
        rows = self.rows
        return [(int(rows[j]), 1.0 - d * d / 2.0) for j, d in zip(idx, dist) if j != p][:n]

    def similar(self, i: int, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top n neighbours (MAL id, cosine) passing the filter; widens the search when a filter rejects many."""
        want = n
        while True:
            found = self.neighbours(i, want)
            if allowed is not None:
                found = [(j, s) for j, s in found if allowed[j]]
            if len(found) >= n or want >= len(self.item_ids) - 1:
                return [(int(self.item_ids[j]), s) for j, s in found[:n]]
            want = min(want * 4, len(self.item_ids) - 1)
