"""Franchises: which titles are entries of one work, in what order, and where a newcomer starts.

Built from MyAnimeList's relation edges (data/mal-2018/relations.csv). Only the relations that join
entries of one work count (FRANCHISE_RELATIONS); "Alternative setting", "Character" and "Other" link
different works (Steins;Gate and Robotics;Notes) and are ignored. An edge (a, relation, b) reads "b is
a's <relation>": (a, "Prequel", b) means b came before a.

What a member sees depends on three facts per title, all derived here:
* its franchise and the franchise's entry point (the title a newcomer should start with);
* its ancestors: prequels and parent stories (transitively) and the originals of alternative versions,
  the entries a member who rated it has almost surely seen;
* whether it is a recap (it has a "Full story"), which is never worth a pick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from animerec.recsys.data import load_dates, load_relations

FRANCHISE_RELATIONS = frozenset({
    "Sequel", "Prequel", "Parent story", "Side story", "Summary", "Full story", "Alternative version", "Spin-off",
})
# (a, rel, b) with rel here: b comes before a in the story a member follows.
_EARLIER = frozenset({"Prequel", "Parent story"})
# (a, rel, b) with rel here: a comes before b (the reverse edges of _EARLIER).
_LATER = frozenset({"Sequel", "Side story"})
# Entry points prefer a TV series, then a film; an OVA/ONA only when the franchise has neither.
_ENTRY_TYPES = ("TV", "Movie", "OVA", "ONA", "Special", "Music")


@dataclass(frozen=True, slots=True)
class TitleInfo:
    """What franchise rules need of one title (a slim view of the catalog)."""

    anime_id: int
    type: str | None
    members: int


class Franchises:
    """The franchise graph over a set of titles.

    Titles without any franchise edge are franchises of one; `franchise_of` answers for every known
    title, so callers never special-case standalone works.
    """

    def __init__(self, titles: Iterable[TitleInfo], relations: pd.DataFrame, dates: pd.DataFrame) -> None:
        info = {t.anime_id: t for t in titles}
        start = dict(zip(dates["anime_id"].tolist(), dates["start_date"].tolist()))
        self._start: dict[int, pd.Timestamp] = {a: d for a, d in start.items() if a in info and not pd.isna(d)}

        edges = relations[relations["relation"].isin(FRANCHISE_RELATIONS)
                          & relations["anime_id"].isin(info) & relations["related_id"].isin(info)]
        parent = {a: a for a in info}

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        self._before: dict[int, set[int]] = defaultdict(set)  # title -> titles directly before it
        self._alternatives: dict[int, set[int]] = defaultdict(set)
        self._recaps: set[int] = set()
        for a, rel, b in zip(edges["anime_id"].tolist(), edges["relation"].tolist(), edges["related_id"].tolist()):
            if a == b:
                continue
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
            if rel in _EARLIER:
                self._before[a].add(b)
            elif rel in _LATER:
                self._before[b].add(a)
            elif rel == "Alternative version":
                self._alternatives[a].add(b)
                self._alternatives[b].add(a)
            elif rel == "Full story":  # b is the full story of a: a is a recap
                self._recaps.add(a)
            elif rel == "Summary":  # b is a summary of a
                self._recaps.add(b)

        groups: dict[int, list[int]] = defaultdict(list)
        for a in info:
            groups[find(a)].append(a)
        self._franchise: dict[int, int] = {}
        self._entries: dict[int, tuple[int, ...]] = {}
        self._entry_point: dict[int, int] = {}
        for ids in groups.values():
            ordered = tuple(sorted(ids, key=self._order_key))
            entry = self._pick_entry_point(ordered, info)
            for a in ordered:
                self._franchise[a] = entry  # a franchise is named by its entry point
            self._entries[entry] = ordered
            self._entry_point[entry] = entry
        self._ancestors: dict[int, frozenset[int]] = {}

    @classmethod
    def load(cls, titles: Iterable[TitleInfo]) -> Franchises:
        """From the bundled relations and dates (data/mal-2018/)."""
        return cls(titles, load_relations(), load_dates())

    # --------------------------------------------------------------------------- construction
    def _order_key(self, a: int) -> tuple:
        d = self._start.get(a)
        return (d is None, d if d is not None else pd.Timestamp(0), a)

    def _pick_entry_point(self, ordered: tuple[int, ...], info: Mapping[int, TitleInfo]) -> int:
        """A TV series if there is one (else a film, ...); among those a root (nothing before it in the
        franchise) first, then the most watched: Clannad over its earlier film, Hunter x Hunter (2011)
        over its 1999 version, Bakemonogatari (its prequel is a film) for Monogatari."""
        if len(ordered) == 1:
            return ordered[0]
        members = set(ordered)

        def rank(a: int) -> tuple:
            t = info[a].type
            type_rank = _ENTRY_TYPES.index(t) if t in _ENTRY_TYPES else len(_ENTRY_TYPES)
            is_root = not (self._before.get(a, set()) & members)
            return (type_rank, not is_root, self.is_recap(a), -info[a].members, self._order_key(a))

        return min(ordered, key=rank)

    # --------------------------------------------------------------------------- queries
    def franchise_of(self, anime_id: int) -> int | None:
        """The franchise id (its entry point's anime_id), or None for a title this graph does not know."""
        return self._franchise.get(int(anime_id))

    def entries(self, franchise: int) -> tuple[int, ...]:
        """Every entry of a franchise, oldest first (undated last)."""
        return self._entries[franchise]

    def size(self, anime_id: int) -> int:
        f = self.franchise_of(anime_id)
        return 1 if f is None else len(self._entries[f])

    def entry_point(self, franchise: int) -> int:
        return self._entry_point[franchise]

    def start(self, anime_id: int) -> pd.Timestamp | None:
        return self._start.get(int(anime_id))

    def is_recap(self, anime_id: int) -> bool:
        return int(anime_id) in self._recaps

    def before(self, anime_id: int) -> frozenset[int]:
        """The titles directly before this one (its prequels and parent stories)."""
        return frozenset(self._before.get(int(anime_id), ()))

    def ancestors(self, anime_id: int) -> frozenset[int]:
        """Entries a member who saw this title has almost surely seen: prequels and parent stories,
        transitively, and the earlier-started original of any alternative version on the way."""
        a = int(anime_id)
        cached = self._ancestors.get(a)
        if cached is not None:
            return cached
        found: set[int] = set()
        stack = [a]
        while stack:
            x = stack.pop()
            nxt = set(self._before.get(x, ()))
            sx = self._start.get(x)
            for alt in self._alternatives.get(x, ()):
                salt = self._start.get(alt)
                if sx is not None and salt is not None and salt < sx:
                    nxt.add(alt)
            for y in nxt - found - {a}:
                found.add(y)
                stack.append(y)
        out = frozenset(found)
        self._ancestors[a] = out
        return out

    def seen_earlier(self, given: Iterable[int]) -> set[int]:
        """Titles a member who gave `given` has almost surely seen: the ancestors of every given title.
        None of these is ever a pick; they make good "seen these?" questions."""
        out: set[int] = set()
        for a in given:
            out |= self.ancestors(a)
        return out

    def franchise_array(self, anime_ids: np.ndarray) -> np.ndarray:
        """The franchise id of each anime id (the id itself for titles this graph does not know)."""
        return np.array([self._franchise.get(int(a), int(a)) for a in anime_ids], np.int64)

    def __len__(self) -> int:
        return len(self._entries)
