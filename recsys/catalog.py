"""The title catalog: lookup by MAL id, name search for autocomplete, free-text resolution, filters.

Every title is kept in popularity order (members, descending), and every index below stores
positions in that order ("ranks"), so "sorted by rank" is "most popular first" and ties in any
match tier are broken by popularity for free.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from recsys.data import ANIME_CSV, load_anime_table

TYPES = ("TV", "Movie", "OVA", "ONA", "Special", "Music")
ADULT_GENRE = "Hentai"

# Only this much of a query is looked at: enough for any title (the longest is 97 characters
# normalized) and it bounds the work a pasted wall of text can cause.
MAX_QUERY_CHARS = 100

# Scores are rapidfuzz fuzz.ratio (0-100) between normalized strings. One typo in a 5-letter word
# costs 10-20 points, so 75 keeps typo'd words and drops unrelated ones.
SEARCH_CUTOFF = 75.0
# resolve() acts on the user's behalf (it records a rating), so it wants a near miss of one title:
# a score of at least RESOLVE_CUTOFF, ahead of any other title by RESOLVE_MARGIN.
RESOLVE_CUTOFF = 90.0
RESOLVE_MARGIN = 3.0

_NON_ALNUM = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"\d+")
# Sorts after any character a key can contain, so [q, q + _MAX_CHAR) is every key starting with q.
_MAX_CHAR = chr(0x10FFFF)


def normalize_name(text: str) -> str:
    """Lowercase, accents stripped, every run of punctuation/space as one space: "Steins;Gate" -> "steins gate"."""
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", text).strip()


def _key(text: str) -> str:
    """normalize_name without spaces, for short labels: "scifi", "Sci-Fi" and "sci fi" are one key."""
    return normalize_name(text).replace(" ", "")


@dataclass(frozen=True, slots=True)
class Anime:
    anime_id: int
    name: str
    genres: tuple[str, ...]
    type: str | None
    episodes: int | None
    rating: float | None
    members: int

    @property
    def is_adult(self) -> bool:
        return ADULT_GENRE in self.genres


class Catalog:
    TYPES = TYPES

    def __init__(self, animes: Iterable[Anime]) -> None:
        self._animes = sorted(animes, key=lambda a: (-a.members, a.anime_id))
        self._by_id = {a.anime_id: a for a in self._animes}
        if len(self._by_id) != len(self._animes):
            raise ValueError("duplicate anime_id in catalog")
        n = len(self._animes)

        ids = np.array([a.anime_id for a in self._animes], dtype=np.int64)
        self._id_order = np.argsort(ids)  # rank of the i-th smallest id
        self._sorted_ids = ids[self._id_order]

        self._adult = np.array([a.is_adult for a in self._animes], dtype=bool)
        self._genres = tuple(sorted({g for a in self._animes for g in a.genres}))
        self._genre_masks = {g: np.zeros(n, dtype=bool) for g in self._genres}
        for rank, a in enumerate(self._animes):
            for g in a.genres:
                self._genre_masks[g][rank] = True
        types = np.array([a.type or "" for a in self._animes], dtype=object)
        self._type_masks = {t: types == t for t in TYPES}
        self._genre_keys = {_key(g): g for g in self._genres}
        self._type_keys = {_key(t): t for t in TYPES}

        self._names = [normalize_name(a.name) for a in self._animes]
        self._exact: dict[str, list[int]] = {}
        for rank, name in enumerate(self._names):
            self._exact.setdefault(name, []).append(rank)
        # Prefix matches are a bisect over the sorted names; word-prefix matches a bisect over the
        # sorted suffixes that start a later word ("alchemist brotherhood", "brotherhood").
        self._prefix_keys, self._prefix_ranks = self._sorted_index(
            (name, rank) for rank, name in enumerate(self._names)
        )
        self._word_keys, self._word_ranks = self._sorted_index(
            (name[m.end() :], rank) for rank, name in enumerate(self._names) for m in re.finditer(" ", name)
        )
        # Substring matches are found in one string of all names, mapped back by offset.
        self._joined = "\n".join(self._names)
        self._starts = np.cumsum([0] + [len(name) + 1 for name in self._names[:-1]], dtype=np.int64)

    @staticmethod
    def _sorted_index(pairs: Iterable[tuple[str, int]]) -> tuple[list[str], np.ndarray]:
        ordered = sorted(pairs)
        return [k for k, _ in ordered], np.array([r for _, r in ordered], dtype=np.int64)

    @classmethod
    def load(cls, path: Path | str = ANIME_CSV) -> Catalog:
        return cls.from_frame(load_anime_table(path))

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> Catalog:
        """From a frame shaped like load_anime_table's (anime_id, name, genres, type, episodes, rating, members)."""
        return cls(
            Anime(
                anime_id=int(anime_id),
                name=str(name),
                genres=tuple(genres),
                type=None if pd.isna(type_) else str(type_),
                episodes=None if pd.isna(episodes) else int(episodes),
                rating=None if pd.isna(rating) else float(rating),
                members=int(members),
            )
            for anime_id, name, genres, type_, episodes, rating, members in zip(
                df["anime_id"], df["name"], df["genres"], df["type"], df["episodes"], df["rating"], df["members"]
            )
        )

    def __len__(self) -> int:
        return len(self._animes)

    def __contains__(self, anime_id: object) -> bool:
        return anime_id in self._by_id

    def __iter__(self) -> Iterator[Anime]:
        """Most popular first."""
        return iter(self._animes)

    def get(self, anime_id: int) -> Anime:
        return self._by_id[anime_id]

    def ids(self) -> set[int]:
        """Every MAL anime_id in the catalog."""
        return set(self._by_id)

    @property
    def genres(self) -> tuple[str, ...]:
        return self._genres

    def normalize_genre(self, text: str | None) -> str | None:
        return self._genre_keys.get(_key(text)) if text else None

    def normalize_type(self, text: str | None) -> str | None:
        return self._type_keys.get(_key(text)) if text else None

    # --- search -------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 25, *, allow_adult: bool = True) -> list[Anime]:
        """Best matches first: exact name, name prefix, word prefix, substring, then fuzzy (typos).

        Within a tier the more popular title comes first. A query with nothing to match (empty, only
        punctuation or emoji) gives the most popular titles.
        """
        if limit <= 0:
            return []
        query = query[:MAX_QUERY_CHARS]
        q = normalize_name(query)
        tiers = self._tiers(q, query) if q else [range(len(self))]
        picked: list[int] = []
        seen: set[int] = set()
        for ranks in tiers:
            for rank in map(int, ranks):
                if rank in seen or (not allow_adult and self._adult[rank]):
                    continue
                seen.add(rank)
                picked.append(rank)
                if len(picked) == limit:
                    return [self._animes[r] for r in picked]
        return [self._animes[r] for r in picked]

    def _tiers(self, q: str, query: str) -> Iterator[Iterable[int]]:
        """Ranks of the titles matching q, one tier at a time, computed lazily: later tiers are
        only reached when the earlier ones did not fill the result."""
        yield self._exact_ranks(q, query)
        yield self._bisect(self._prefix_keys, self._prefix_ranks, q)
        yield self._bisect(self._word_keys, self._word_ranks, q)
        offsets = np.array([m.start() for m in re.finditer(re.escape(q), self._joined)], dtype=np.int64)
        yield np.unique(np.searchsorted(self._starts, offsets, side="right") - 1)
        yield self._fuzzy_ranks(q)

    def _exact_ranks(self, q: str, query: str) -> list[int]:
        # "Gintama", "Gintama'" and "Gintama°" all normalize to "gintama": the one spelled as typed wins.
        typed = query.strip().casefold()
        return sorted(self._exact.get(q, ()), key=lambda r: self._animes[r].name.casefold() != typed)

    @staticmethod
    def _bisect(keys: list[str], ranks: np.ndarray, q: str) -> np.ndarray:
        return np.unique(ranks[bisect_left(keys, q) : bisect_left(keys, q + _MAX_CHAR)])

    def _fuzzy_ranks(self, q: str) -> np.ndarray:
        """Ranks scoring at least SEARCH_CUTOFF, best first. A title scores its best of the whole
        name (a typo'd full title) and the name cut to the query's length (a typo'd prefix, as
        typed into autocomplete)."""
        whole = process.cdist([q], self._names, scorer=fuzz.ratio, score_cutoff=SEARCH_CUTOFF)[0]
        cut = list(map(itemgetter(slice(len(q))), self._names))
        start = process.cdist([q], cut, scorer=fuzz.ratio, score_cutoff=SEARCH_CUTOFF)[0]
        scores = np.maximum(whole, start)
        hits = np.flatnonzero(scores)  # cdist reports scores under the cutoff as 0
        return hits[np.argsort(-scores[hits], kind="stable")]

    def resolve(self, text: str, *, allow_adult: bool = True) -> Anime | None:
        """The one title `text` means, or None: a MAL id, an exact name, or a near miss of a single title."""
        text = text[:MAX_QUERY_CHARS].strip()
        # Digits are a MAL id (as autocomplete sends them) when one exists; the length check keeps
        # int() away from huge numbers.
        if text.isascii() and text.isdigit() and len(text) <= 12:
            anime = self._by_id.get(int(text))
            if anime is not None and (allow_adult or not anime.is_adult):
                return anime
        q = normalize_name(text)
        if not q:
            return None
        for rank in self._exact_ranks(q, text):
            if allow_adult or not self._adult[rank]:
                return self._animes[rank]
        return self._fuzzy_resolve(q, allow_adult)

    def _fuzzy_resolve(self, q: str, allow_adult: bool) -> Anime | None:
        scores = process.cdist([q], self._names, scorer=fuzz.ratio, score_cutoff=RESOLVE_CUTOFF - RESOLVE_MARGIN)[0]
        if not allow_adult:
            scores[self._adult] = 0
        # A number is a sequel, season or movie, never a typo: "... Movie 7" must not become "... Movie 6".
        numbers = _NUMBER.findall(q)
        hits = [r for r in np.flatnonzero(scores) if _NUMBER.findall(self._names[r]) == numbers]
        hits.sort(key=lambda r: -scores[r])
        if not hits or scores[hits[0]] < RESOLVE_CUTOFF:
            return None
        if len(hits) > 1 and scores[hits[0]] - scores[hits[1]] < RESOLVE_MARGIN:
            return None  # two titles are about as close: ambiguous, let the user pick
        return self._animes[hits[0]]

    def suggest(self, text: str, n: int = 3, *, allow_adult: bool = True) -> list[Anime]:
        """Candidates to offer ("did you mean ...?") for text that did not resolve; empty when nothing is close."""
        if not normalize_name(text[:MAX_QUERY_CHARS]):
            return []
        return self.search(text, n, allow_adult=allow_adult)

    # --- filters ------------------------------------------------------------------------------

    def filter_mask(
        self,
        anime_ids: np.ndarray,
        *,
        genre: str | None = None,
        type: str | None = None,
        allow_adult: bool = True,
    ) -> np.ndarray:
        """Which of anime_ids pass the filters, aligned to anime_ids; ids not in the catalog never pass.

        genre and type are matched as normalize_genre/normalize_type do; an unknown one is a ValueError.
        """
        ids = np.asarray(anime_ids, dtype=np.int64)
        keep = np.ones(len(self), dtype=bool)
        if genre is not None:
            canonical = self.normalize_genre(genre)
            if canonical is None:
                raise ValueError(f"unknown genre {genre!r}")
            keep &= self._genre_masks[canonical]
        if type is not None:
            canonical = self.normalize_type(type)
            if canonical is None:
                raise ValueError(f"unknown type {type!r}")
            keep &= self._type_masks[canonical]
        if not allow_adult:
            keep &= ~self._adult
        if not len(self):
            return np.zeros(ids.shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self._sorted_ids, ids), len(self) - 1)
        return (self._sorted_ids[pos] == ids) & keep[self._id_order[pos]]
