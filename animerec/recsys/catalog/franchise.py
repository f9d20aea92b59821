"""Works and franchises: which titles are entries of one story, in what order, and where a newcomer starts.

Two units, one graph:
* a **work** is the entries of one story: joined by MyAnimeList's Sequel, Prequel, Parent story, Side
  story, Summary and Full story, and, for titles MyAnimeList 2018 does not know, by the catalog build's
  ``work`` links (anime-relations, bangumi's tmdb groups, sequel/side-story title matches). The fan rules
  work on it: one slot per work, a work's entry point for a member new to it, a sequel only after an
  earlier entry of its work, and "already seen" stays inside the work;
* a **franchise** adds spin-offs, alternative versions and the build's ``franchise`` links (remakes,
  title prefixes): Railgun beside Index, Fullmetal Alchemist (2003) beside Brotherhood. It is what a
  title is shown with ("same series: ..."), never a reason to hold a pick back.

Membership comes from the catalog build's links (animerec.recsys.catalog.build.link_works decides each
relation's level from both of its directions and cuts crossovers such as "Mazinger Z tai Devilman");
without them, from the MyAnimeList relations by the same rule. The order inside a work comes from the
relation edges: an edge (a, relation, b) reads "b is a's <relation>", so (a, "Prequel", b) means b came
before a. A title with no such edge (most titles aired after 2018) follows the latest entry of its work
that aired before it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from animerec.recsys.catalog.build import UnionFind, relation_edges, title_edges
from animerec.recsys.catalog.catalog import TYPES, Catalog
from animerec.recsys.data import load_catalog_links, load_catalog_table, load_dates, load_relations

# (a, rel, b) with rel here: b comes before a in the story a member follows.
_EARLIER = frozenset({"Prequel", "Parent story"})
# (a, rel, b) with rel here: a comes before b (the reverse edges of _EARLIER).
_LATER = frozenset({"Sequel", "Side story"})
# Entry points prefer a TV series, then a film; an OVA/ONA only when the work has neither: the catalog's
# TYPES are listed in that order of preference.
_ENTRY_TYPES = TYPES
# Build evidence of a pair MyAnimeList links only as side story / parent story.
_SIDE_SERIES = frozenset({"mal2018:Parent story/Side story", "mal2018:Side story", "mal2018:Parent story"})
# What a title without an order edge follows: the latest earlier entry of one of these types, else any.
_MAIN_TYPES = frozenset({"TV", "Movie", "OVA", "ONA"})
# Releases that, aired between two TV seasons of a work, are a side story rather than a step of it: the
# later season follows the season before them as well (Franchises._order_by_air_date).
ASIDE_TYPES = frozenset({"OVA", "ONA"})
# A title its own names call a compilation of episodes is a recap, whatever its relations say: the films and
# web releases since 2017 that only bangumi-data lists come with no MyAnimeList "Summary" edge, so without
# this a recap film (劇場総集編ぼっち・ざ・ろっく！ Re:) would be offered as the next entry after Bocchi the Rock!.
_RECAP_NAME = re.compile(r"総集[編篇]|soushuuhen|\brecaps?\b|\bcompilation\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TitleInfo:
    """What franchise rules need of one title (a slim view of the catalog)."""

    anime_id: int
    type: str | None
    members: int
    recap: bool = False  # its names call it a compilation of episodes (named_recap)


def named_recap(*names: str | None) -> bool:
    """Whether any of a title's names (main, English, Japanese) calls it a recap: 総集編, Soushuuhen,
    Recap, Compilation."""
    return any(name and _RECAP_NAME.search(name) for name in names)


def _groups(ids: Iterable[int], pairs: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """Connected components: root -> members."""
    parent = {a: a for a in ids}

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    out: dict[int, list[int]] = defaultdict(list)
    for a in parent:
        out[find(a)].append(a)
    return out


class Franchises:
    """The work and franchise graph over a set of titles.

    Titles without any link are works (and franchises) of one; `work_of` and `franchise_of` answer for
    every known title, so callers never special-case standalone works.
    """

    def __init__(self, titles: Iterable[TitleInfo], relations: pd.DataFrame, dates: pd.DataFrame,
                 links: pd.DataFrame | None = None) -> None:
        """``relations``: MyAnimeList edges (anime_id, relation, related_id); ``dates``: anime_id,
        start_date; ``links``: the catalog build's anime_id, related_id, level (work or franchise), or
        None to derive the levels from ``relations`` alone."""
        info = {t.anime_id: t for t in titles}
        self._info = info
        start = dict(zip(dates["anime_id"].tolist(), dates["start_date"].tolist()))
        self._start: dict[int, pd.Timestamp] = {a: d for a, d in start.items() if a in info and not pd.isna(d)}
        if links is None:
            starts = {a: d.date().isoformat() for a, d in self._start.items()}
            links = pd.DataFrame(relation_edges(relations, set(info), starts),
                                 columns=["anime_id", "related_id", "level", "evidence"])
        links = links[links["anime_id"].isin(info) & links["related_id"].isin(info)]
        pairs = [(a, b, self._level(a, b, level, evidence, info)) for a, b, level, evidence in zip(
            links["anime_id"].tolist(), links["related_id"].tolist(), links["level"].tolist(),
            links["evidence"].tolist())]
        work_groups = _groups(info, ((a, b) for a, b, level in pairs if level == "work"))
        franchise_groups = _groups(info, ((a, b) for a, b, _ in pairs))
        work_root = {a: r for r, ids in work_groups.items() for a in ids}

        # A pair joined at franchise level only (a timeline link, a spin-off) orders nothing, even when other
        # links put both in one work: Nekomonogatari (2012) is no earlier entry for a Bakemonogatari fan.
        work_pairs = {(min(a, b), max(a, b)) for a, b, level in pairs if level == "work"}
        loose = {(min(a, b), max(a, b)) for a, b, _ in pairs} - work_pairs
        edges = relations[relations["anime_id"].isin(info) & relations["related_id"].isin(info)]
        self._before: dict[int, set[int]] = defaultdict(set)  # title -> titles directly before it
        self._recaps: set[int] = set()
        for a, rel, b in zip(edges["anime_id"].tolist(), edges["relation"].tolist(), edges["related_id"].tolist()):
            if a == b or work_root[a] != work_root[b] or (min(a, b), max(a, b)) in loose:
                continue  # order is only kept inside a work: a spin-off does not wait for its parent
            if rel in _EARLIER:
                self._before[a].add(b)
            elif rel in _LATER:
                self._before[b].add(a)
            elif rel == "Full story":  # b is the full story of a: a is a recap
                self._recaps.add(a)
            elif rel == "Summary":  # b is a summary of a
                self._recaps.add(b)
        self._recaps.update(a for a, t in info.items() if t.recap)
        ordered_by = set(edges["anime_id"].tolist()) | set(self._before)  # titles the relations place
        for ids in work_groups.values():
            self._order_by_air_date(sorted(ids, key=self._order_key), ordered_by)

        self._work: dict[int, int] = {}
        self._work_entries: dict[int, tuple[int, ...]] = {}
        for ids in work_groups.values():
            name = self._name(ids, self._work, info)
            self._work_entries[name] = tuple(sorted(ids, key=self._order_key))
        self._franchise: dict[int, int] = {}
        self._entries: dict[int, tuple[int, ...]] = {}
        for ids in franchise_groups.values():
            name = self._name(ids, self._franchise, info)
            self._entries[name] = tuple(sorted(ids, key=self._order_key))
        self._ancestors: dict[int, frozenset[int]] = {}

    @classmethod
    def load(cls, catalog: Catalog) -> Franchises:
        """Over a catalog's titles: the bundled relations (data/mal-2018/), the catalog build's links, and
        air dates from the catalog itself (MyAnimeList 2018's where it has none). A title the build never
        saw (a catalog overlay's, lifecycle/overlay.py) joins by placed_links."""
        dates = pd.DataFrame([(a.anime_id, a.start_date) for a in catalog if a.start_date],
                             columns=["anime_id", "start_date"])
        dates["start_date"] = pd.to_datetime(dates["start_date"], errors="coerce")
        dates = pd.concat([dates.dropna(), load_dates()]).drop_duplicates("anime_id")
        links = load_catalog_links()
        built = set(load_catalog_table(usecols=["anime_id"])["anime_id"].tolist())
        links = pd.concat([links, placed_links(catalog, links, built)], ignore_index=True)
        return cls((TitleInfo(a.anime_id, a.type, a.members, named_recap(a.name, a.english, a.japanese))
                    for a in catalog), load_relations(), dates, links)

    # --------------------------------------------------------------------------- construction
    @staticmethod
    def _level(a: int, b: int, level: str, evidence: str, info: Mapping[int, TitleInfo]) -> str:
        """A TV series that MyAnimeList calls only a side story of another TV series runs on its own
        (Railgun beside Index, Gundam Build Fighters, Sword Oratoria): one franchise, two works, so an
        Index fan can be offered Railgun and Index III both."""
        if level == "work" and evidence in _SIDE_SERIES and info[a].type == info[b].type == "TV":
            return "franchise"
        return level

    def _order_key(self, a: int) -> tuple:
        d = self._start.get(a)
        return (d is None, d if d is not None else pd.Timestamp(0), a)

    def _order_by_air_date(self, ordered: list[int], placed: set[int]) -> None:
        """A title no relation places (aired after MyAnimeList 2018) follows the latest entry of its work
        that aired before it, a series, film or OVA/ONA when there is one: Railgun T (2020) follows
        Railgun S (2013), not a 2014 special. A TV series with only OVAs and ONAs (ASIDE_TYPES) between it
        and the season before it follows that season as well: Re:Zero's 2nd season (2020) goes on from the
        first (2016), not only from the Memory Snow OVA (2018), and so do My Hero Academia's 6th season past
        an OVA and Mob Psycho 100 III past a 2019 OVA. A film between them stays the step it is (Made in
        Abyss's Dawn of the Deep Soul, between its two seasons, tells the story on)."""
        for k, a in enumerate(ordered):
            if a in placed or a not in self._start:
                continue
            earlier = [b for b in ordered[:k] if b in self._start and self._start[b] < self._start[a]
                       and b not in self._recaps]
            main = [b for b in earlier if self._info[b].type in _MAIN_TYPES]
            if main or earlier:
                self._before[a].add((main or earlier)[-1])
            if self._info[a].type == "TV":
                seasons = [j for j, b in enumerate(main) if self._info[b].type == "TV"]
                if seasons and all(self._info[b].type in ASIDE_TYPES for b in main[seasons[-1] + 1:]):
                    self._before[a].add(main[seasons[-1]])

    def _name(self, ids: list[int], of: dict[int, int], info: Mapping[int, TitleInfo]) -> int:
        """Name a group by its entry point, record it for every member, and return the name."""
        entry = self._pick_entry_point(sorted(ids, key=self._order_key), info)
        for a in ids:
            of[a] = entry
        return entry

    def _pick_entry_point(self, ordered: list[int], info: Mapping[int, TitleInfo]) -> int:
        """A TV series if there is one (else a film, ...); among those a root (nothing before it in the
        group) first, then the most watched: Clannad over its earlier film, Bakemonogatari (its prequel
        is a film) for Monogatari."""
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

    def work_of(self, anime_id: int) -> int | None:
        """The work id (its entry point's anime_id), or None for a title this graph does not know."""
        return self._work.get(int(anime_id))

    def entries(self, franchise: int) -> tuple[int, ...]:
        """Every entry of a franchise, oldest first (undated last)."""
        return self._entries[franchise]

    def work_entries(self, work: int) -> tuple[int, ...]:
        """Every entry of a work, oldest first (undated last)."""
        return self._work_entries[work]

    def size(self, anime_id: int) -> int:
        f = self.franchise_of(anime_id)
        return 1 if f is None else len(self._entries[f])

    def entry_point(self, group: int) -> int:
        """Where a newcomer to a work or franchise starts: the title that names it."""
        return group

    def start(self, anime_id: int) -> pd.Timestamp | None:
        return self._start.get(int(anime_id))

    def is_recap(self, anime_id: int) -> bool:
        return int(anime_id) in self._recaps

    def before(self, anime_id: int) -> frozenset[int]:
        """The titles of its work directly before this one (its prequels and parent stories)."""
        return frozenset(self._before.get(int(anime_id), ()))

    def ancestors(self, anime_id: int) -> frozenset[int]:
        """Entries a member who saw this title has almost surely seen: the titles before it in its work,
        transitively. An alternative version is another work: a member who rated Brotherhood has not
        thereby seen Fullmetal Alchemist (2003)."""
        a = int(anime_id)
        cached = self._ancestors.get(a)
        if cached is not None:
            return cached
        found: set[int] = set()
        stack = [a]
        while stack:
            x = stack.pop()
            for y in self._before.get(x, set()) - found - {a}:
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

    def work_key(self, anime_id: int) -> int:
        """The work id, or the anime id itself for a title this graph does not know (a work of its own)."""
        return self._work.get(int(anime_id), int(anime_id))

    def work_array(self, anime_ids: np.ndarray) -> np.ndarray:
        """work_key of each anime id."""
        return np.array([self.work_key(a) for a in anime_ids], np.int64)

    def __len__(self) -> int:
        return len(self._entries)


def placed_links(catalog: Catalog, links: pd.DataFrame, built: set[int]) -> pd.DataFrame:
    """Links (anime_id, related_id, level, evidence) for the catalog's titles that the build (its ids
    ``built``, its ``links``) never saw: a catalog overlay's. A title whose row names
    another title's work or franchise (the overlay's AniList relations, lifecycle/refresh.py) joins it;
    any other is matched by its names to a known franchise's season phrasing, by the build's own title
    rules (build.title_edges): "[Oshi no Ko] 3rd Season" joins the work of "[Oshi no Ko]"."""
    placed = [a for a in catalog if a.anime_id not in built]
    rows = []
    for a in placed:
        for target, level in ((a.work_id, "work"), (a.franchise_id, "franchise")):
            if target is not None and target != a.anime_id and target in catalog:
                rows.append((a.anime_id, target, level, f"catalog:{level}_id"))
                break
    unmatched = {a.anime_id for a in placed} - {r[0] for r in rows}
    if unmatched:
        ids = {a.anime_id for a in catalog}
        groups = UnionFind(ids)
        for x, y in zip(links["anime_id"].tolist(), links["related_id"].tolist()):
            if x in ids and y in ids:
                groups.union(x, y)
        table = pd.DataFrame([(a.anime_id, a.start_date, a.members) for a in catalog],
                             columns=["anime_id", "start_date", "members_latest"])
        names = pd.DataFrame([(a.anime_id, kind, name) for a in catalog
                              for kind, name in (("main", a.name), ("english", a.english), ("japanese", a.japanese))
                              if name], columns=["anime_id", "kind", "title"])
        rows += title_edges(table, names, groups, unmatched, ids)[0]
    return pd.DataFrame(rows, columns=["anime_id", "related_id", "level", "evidence"])
