"""Positions of MAL ids in a fixed id array, and rows grouped by a fixed key, looked up for many ids at once."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class IdPositions:
    """MAL id -> index over a fixed id array, for a member's whole ratings at once: one searchsorted
    instead of a dict look-up per rating, on every request's path."""

    def __init__(self, ids: np.ndarray) -> None:
        self._order = np.argsort(ids, kind="stable")
        self._sorted = np.asarray(ids, np.int64)[self._order]

    def of(self, anime_ids: np.ndarray) -> np.ndarray:
        """The index of each id, -1 for an id not in the array."""
        anime_ids = np.asarray(anime_ids, np.int64)
        if len(self._sorted) == 0:
            return np.full(len(anime_ids), -1, np.int64)
        at = np.minimum(np.searchsorted(self._sorted, anime_ids), len(self._sorted) - 1)
        return np.where(self._sorted[at] == anime_ids, self._order[at], -1)

    def known(self, ratings: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """(indices, float32 ratings) of the rated ids in the array, in the ratings' order."""
        ids = np.fromiter(ratings.keys(), np.int64, len(ratings))
        r = np.fromiter(ratings.values(), np.float32, len(ratings))
        idx = self.of(ids)
        found = idx >= 0
        return idx[found], r[found]

    def __len__(self) -> int:
        return len(self._sorted)


class RowGroups:
    """The rows of a fixed per-row key array (a cold title's franchise or work), grouped by key: the rows
    of a member's keys are then one gather, where a membership test (np.isin, or a lookup per row) reads
    every row on each request."""

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, np.int64)
        self._order = np.argsort(keys, kind="stable")
        values, starts = np.unique(keys[self._order], return_index=True)
        self._values = IdPositions(values)
        self._starts = np.append(starts, len(keys)).astype(np.int64)

    def pairs(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(j, row) for every row whose key is keys[j]: each wanted key's rows, in the keys' order."""
        at = self._values.of(np.asarray(keys, np.int64))
        which = np.flatnonzero(at >= 0)
        start = self._starts[at[which]]
        size = self._starts[at[which] + 1] - start
        offsets = np.repeat(start - np.cumsum(size) + size, size) + np.arange(int(size.sum()))
        return np.repeat(which, size), self._order[offsets]

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """The rows whose key is one of ``keys``, each once."""
        return self.pairs(np.unique(np.asarray(keys, np.int64)))[1]
