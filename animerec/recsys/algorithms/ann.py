"""Annoy index over the /similar embeddings (animerec.recsys.algorithms.embeddings), for /similar.

Angular distance on the raw factors is cosine similarity (cos = 1 - d^2 / 2), which is what
"similar titles" means here; the inner-product trick of implicit's ann/annoy.py is only needed for
ranking by dot product, which /recommend does exactly instead.

Each item's nearest ``kept`` are kept once Annoy has been asked for them (``keep`` asks ahead), and
answer every later query of up to that many without Annoy, which is most of a /similar's time. They
answer exactly as a live query would: with search_k fixed, Annoy gathers the same candidates whatever
n is asked and returns the n best of them by (distance, item index), so a shorter answer is the head
of a longer one, ties included.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from annoy import AnnoyIndex

from animerec.recsys.algorithms.embeddings import CANDIDATES


class AnnIndex:
    """An Annoy index over item vectors; with ``rows``, over a subset of the items (item index of each
    vector indexed), still queried and answered in item indices. Threads may query it side by side: a
    kept answer is written whole before it is marked kept, and two threads keeping one write the same."""

    def __init__(self, index: AnnoyIndex, item_ids: np.ndarray, search_k: int, rows: np.ndarray | None = None,
                 kept: int = CANDIDATES):
        self.index = index
        self.item_ids = item_ids
        self.search_k = search_k
        self.rows = rows
        if rows is not None:
            self._position = dict(zip(rows.tolist(), range(len(rows))))
        size = index.get_n_items()
        # Annoy's answer for each indexed vector's kept + 1 nearest (itself among them), as it gave them:
        # positions and float32 distances (8 bytes a neighbour: 12.6 MB for 15,500 titles and 100 kept).
        self._width = min(kept + 1, size) if kept > 0 else 0
        self._near = np.empty((size, self._width), np.int32)
        self._distance = np.empty((size, self._width), np.float32)
        self._found = np.full(size, -1, np.int32)  # how many Annoy gave for the row; -1: not asked yet

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
    def load(cls, path: Path, dim: int, item_ids: np.ndarray, search_k: int, rows: np.ndarray | None = None) -> AnnIndex:
        """An index save() wrote, over every item or (``rows``) the items it was built over."""
        index = AnnoyIndex(dim, "angular")
        if not index.load(str(path)):
            raise OSError(f"cannot load Annoy index {path}")
        expected = len(item_ids) if rows is None else len(rows)
        if index.get_n_items() != expected:
            raise OSError(f"Annoy index {path} holds {index.get_n_items()} items, expected {expected}")
        return cls(index, item_ids, search_k, rows)

    def live(self) -> AnnIndex:
        """This index keeping nothing: every query asks Annoy (the reference the kept answers match)."""
        return AnnIndex(self.index, self.item_ids, self.search_k, self.rows, kept=0)

    @property
    def kept_bytes(self) -> int:
        """Memory for the kept answers, allocated with the index whether or not they are asked for yet."""
        return self._near.nbytes + self._distance.nbytes + self._found.nbytes

    def _nearest(self, p: int, n: int) -> tuple[list[int], list[float]]:
        """Annoy's n nearest (positions, distances) to the vector at position p, p among them: the kept
        answer when n fits it (asking Annoy for it, and keeping it, the first time)."""
        if n > self._width:
            return self.index.get_nns_by_item(p, n, search_k=self.search_k, include_distances=True)
        found = int(self._found[p])
        if found < 0:
            near, distance = self.index.get_nns_by_item(p, self._width, search_k=self.search_k,
                                                        include_distances=True)
            found = len(near)
            self._near[p, :found] = near
            self._distance[p, :found] = distance
            self._found[p] = found
        n = min(n, found)
        return self._near[p, :n].tolist(), self._distance[p, :n].tolist()

    def keep(self, items: Iterable[int]) -> int:
        """Ask Annoy ahead for the kept answers of the item indices ``items`` not kept yet; how many were
        asked (0: every one was kept already)."""
        asked = 0
        if self._width == 0:
            return 0
        for i in items:
            p = i if self.rows is None else self._position[i]
            if self._found[p] < 0:
                self._nearest(p, self._width)
                asked += 1
        return asked

    def neighbours(self, i: int, n: int) -> list[tuple[int, float]]:
        """(item index, cosine similarity) of the n nearest items to item i, i itself excluded.

        Plain lists: for ten results numpy's array set-up costs more than the work. An index over a subset
        answers only for items in it.
        """
        if self.rows is None:
            idx, dist = self._nearest(i, n + 1)
            return [(j, 1.0 - d * d / 2.0) for j, d in zip(idx, dist) if j != i][:n]
        p = self._position[i]
        idx, dist = self._nearest(p, n + 1)
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
