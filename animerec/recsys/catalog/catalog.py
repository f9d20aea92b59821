"""The title catalog: lookup by MAL id, name search for autocomplete, free-text resolution, filters.

Every title is kept in popularity order (members, descending), and every index below stores
positions in that order ("ranks"), so "sorted by rank" is "most popular first" and ties in any
match tier are broken by popularity for free.

A title is found by any of its names: the main (romaji) name, the English title and the synonyms of
data/mal-2018/titles.csv, abbreviations included ("AoT", "FMA"). Names are matched as "compact" keys,
spaces removed, so "full metal alchemist" finds "Fullmetal Alchemist" and "steinsgate" "Steins;Gate".
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from animerec.recsys.data import ANIME_CSV, TITLES_CSV, load_anime_table, load_titles

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
# A resolution names at most this many other titles the text could have meant.
MAX_ALTERNATIVES = 3
# The start of a series' names resolves only from this many letters on ("steins" yes, "cod" no).
MIN_SERIES_PREFIX = 5
FranchiseOf = Callable[[int], "int | None"]  # anime_id -> its franchise (animerec.recsys.catalog.franchise), None for none
# titles.csv kinds that are searchable names; "japanese" is kana/kanji that normalize_name cannot match.
ALIAS_KINDS = ("english", "synonym")
# An abbreviation is one token of this many letters ("DN", "OHSHC") spelling another name's initials.
ABBREVIATION_CHARS = range(2, 9)
# Acronyms are generated for names of at least this many words: two-letter ones ("tg") match too much.
ACRONYM_MIN_WORDS = 3
LABEL_SEPARATOR = " · "
ELLIPSIS = "…"

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
    """normalize_name without spaces: "scifi", "Sci-Fi" and "sci fi" are one key."""
    return normalize_name(text).replace(" ", "")


def _initials(words: list[str]) -> str:
    """First letters, numbers whole: "shingeki no kyojin" -> "snk", "mobile suit gundam 00" -> "msg00"."""
    return "".join(w if w.isdigit() else w[0] for w in words)


def _distinct(english: str | None, name: str) -> str | None:
    """The English title, unless it is the main name give or take punctuation and case."""
    return english if english and normalize_name(english) != normalize_name(name) else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


class UnknownFilter(ValueError):
    """A genre or type filter that matches nothing; the message names the choices."""


class TitleNotFound(LookupError):
    """Free text that names no title; hints: close titles to offer ("did you mean ...?"), maybe none."""

    def __init__(self, text: str, hints: list[Anime]) -> None:
        super().__init__(text)
        self.text = text
        self.hints = hints


@dataclass(frozen=True, slots=True)
class Filters:
    """A request's genre and type, checked and spelt as the catalog does: made by Catalog.filters,
    once per request, and passed on as is."""

    genre: str | None = None
    type: str | None = None


NO_FILTERS = Filters()


@dataclass(frozen=True, slots=True)
class Anime:
    anime_id: int
    name: str
    genres: tuple[str, ...]
    type: str | None
    episodes: int | None
    rating: float | None
    members: int
    english: str | None = None  # the English title, when it differs from `name` beyond normalize_name

    @property
    def is_adult(self) -> bool:
        return ADULT_GENRE in self.genres


class _ByLength:
    """Names with the rank of their title, shortest first, so that the names of the lengths that can
    reach a fuzzy score are one slice: fuzz.ratio is at most 200 * shorter / (shorter + longer)."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        ordered = sorted(pairs, key=lambda e: (len(e[0]), e[1]))
        self._names = [name for name, _ in ordered]
        self._lengths = [len(name) for name in self._names]
        self._ranks = np.array([rank for _, rank in ordered], dtype=np.int64)

    def scores(self, q: str, cutoff: float, *, cut: bool = False, with_names: bool = False) -> tuple:
        """(ranks, scores[, names]) of the names scoring at least cutoff against q, each name whole or,
        with cut, cut to q's length (a typo'd prefix)."""
        shortest = len(q) * cutoff / (200 - cutoff)
        lo = bisect_left(self._lengths, math.ceil(shortest - 1e-9))
        if cut:  # any longer name cuts to len(q)
            names = self._names[lo:]
            choices = list(map(itemgetter(slice(len(q))), names))
        else:
            names = choices = self._names[lo : bisect_right(self._lengths, len(q) * len(q) / shortest + 1e-9)]
        scores = process.cdist([q], choices, scorer=fuzz.ratio, score_cutoff=cutoff)[0]
        hits = np.flatnonzero(scores)  # cdist reports scores under the cutoff as 0
        found = self._ranks[hits + lo], scores[hits]
        return (*found, [names[i] for i in hits]) if with_names else found


@dataclass(frozen=True, slots=True)
class Resolution:
    """What free text resolved to: the title taken and, when the text names others as well (Hunter x
    Hunter 1999 and 2011), those others, most popular first."""

    anime: Anime
    alternatives: tuple[Anime, ...] = ()


class Catalog:
    TYPES = TYPES

    def __init__(self, animes: Iterable[Anime], aliases: Mapping[int, Iterable[str]] | None = None) -> None:
        """aliases: anime_id -> the title's other names (synonyms, abbreviations); `english` counts already."""
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

        aliases = aliases or {}
        # Every name of every title, deduplicated per title, in rank order (main name first): one
        # "entry" per (name, title). _spellings keeps the names as written, for "the one spelled as typed".
        entry_names: list[str] = []
        entry_ranks: list[int] = []
        self._spellings: list[frozenset[str]] = []
        for rank, a in enumerate(self._animes):
            written = [a.name, *([a.english] if a.english else []), *aliases.get(a.anime_id, ())]
            for name in dict.fromkeys(filter(None, map(normalize_name, written))):
                entry_names.append(name)
                entry_ranks.append(rank)
            self._spellings.append(frozenset(w.strip().casefold() for w in written))
        self._entry_ranks = np.array(entry_ranks, dtype=np.int64)
        compact = [name.replace(" ", "") for name in entry_names]

        self._exact: dict[str, list[int]] = {}
        for key, rank in dict.fromkeys(zip(compact, entry_ranks)):
            self._exact.setdefault(key, []).append(rank)
        # Prefix matches are a bisect over the sorted keys; word-prefix matches a bisect over the
        # sorted suffixes that start a later word ("alchemist brotherhood", "brotherhood").
        self._prefix_keys, self._prefix_ranks = self._sorted_index(zip(compact, entry_ranks))
        self._word_keys, self._word_ranks = self._sorted_index(
            (name[m.end() :].replace(" ", ""), rank)
            for name, rank in zip(entry_names, entry_ranks)
            for m in re.finditer(" ", name)
        )
        # Substring matches are found in one string of all keys, mapped back by offset; the string is
        # in rank order, so the matches come most popular first and the scan stops once the limit is filled.
        self._joined = "\n".join(compact)
        self._starts = np.cumsum([0] + [len(key) + 1 for key in compact[:-1]]).tolist()
        # Typos are scored against main and English names only: synonyms are mostly abbreviations and
        # alternative romanizations, and would double the cost of the slowest tier.
        main_or_english = [
            (name, rank)
            for rank, a in enumerate(self._animes)
            for name in dict.fromkeys(filter(None, (normalize_name(a.name), normalize_name(a.english or ""))))
        ]
        self._fuzzy = _ByLength(main_or_english)
        # A typo'd prefix is scored only against the names starting with its first or second letter
        # (a typo in the first letter is rare, except for swapping the first two): cutting every name
        # to the query's length was the costliest step of a search.
        by_initial: dict[str, list[tuple[str, int]]] = {}
        for name, rank in main_or_english:
            by_initial.setdefault(name[0], []).append((name, rank))
        self._fuzzy_by_initial = {c: _ByLength(pairs) for c, pairs in by_initial.items()}
        self._index_abbreviations(entry_names, entry_ranks)

    def _index_abbreviations(self, entry_names: list[str], entry_ranks: list[int]) -> None:
        """_expansions: abbreviation -> the names it stands for, where one title has both ("fma" ->
        "full metal alchemist"), so that "fma brotherhood" is also searched as "full metal alchemist
        brotherhood". _acronyms: generated acronym -> ranks, from main and English names of
        ACRONYM_MIN_WORDS+ words ("snk", "bnha"), and from names that begin with an expansion
        ("fullmetal alchemist brotherhood" -> "fmab")."""
        by_rank: dict[int, list[str]] = {}
        for name, rank in zip(entry_names, entry_ranks):
            by_rank.setdefault(rank, []).append(name)
        expansions: dict[str, set[str]] = {}
        for names in by_rank.values():
            initials = {_initials(n.split()): n for n in names if " " in n}
            for name in names:
                if " " not in name and len(name) in ABBREVIATION_CHARS and name in initials:
                    expansions.setdefault(name, set()).add(initials[name])
        self._expansions = {abbr: sorted(names) for abbr, names in expansions.items()}

        stands_for = {e.replace(" ", ""): abbr for abbr, names in expansions.items() for e in names}
        acronyms: dict[str, set[int]] = {}
        for rank, a in enumerate(self._animes):
            for name in {normalize_name(a.name), normalize_name(a.english or "")}:
                words = name.split()
                if len(words) >= ACRONYM_MIN_WORDS:
                    acronyms.setdefault(_initials(words), set()).add(rank)
                for i in range(1, len(words)):
                    abbr = stands_for.get("".join(words[:i]))
                    if abbr is not None:
                        acronyms.setdefault(abbr + _initials(words[i:]), set()).add(rank)
        self._acronyms = {key: sorted(ranks) for key, ranks in acronyms.items()}

    @staticmethod
    def _sorted_index(pairs: Iterable[tuple[str, int]]) -> tuple[list[str], np.ndarray]:
        ordered = sorted(pairs)
        return [k for k, _ in ordered], np.array([r for _, r in ordered], dtype=np.int64)

    @classmethod
    def load(cls, path: Path | str = ANIME_CSV, titles_path: Path | str | None = TITLES_CSV) -> Catalog:
        """anime.csv, with the English titles and synonyms of titles_path (None: main names only)."""
        return cls.from_frame(load_anime_table(path), None if titles_path is None else load_titles(titles_path))

    @classmethod
    def from_frame(cls, df: pd.DataFrame, titles: pd.DataFrame | None = None) -> Catalog:
        """From a frame shaped like load_anime_table's (anime_id, name, genres, type, episodes, rating,
        members) and optionally one shaped like load_titles' (anime_id, kind, title)."""
        aliases: dict[int, list[str]] = {}
        english: dict[int, str] = {}
        if titles is not None:
            for anime_id, kind, title in zip(titles["anime_id"], titles["kind"], titles["title"]):
                if kind in ALIAS_KINDS:
                    aliases.setdefault(int(anime_id), []).append(str(title))
                if kind == "english":
                    english.setdefault(int(anime_id), str(title))
        return cls(
            (
                Anime(
                    anime_id=int(anime_id),
                    name=str(name),
                    genres=tuple(genres),
                    type=None if pd.isna(type_) else str(type_),
                    episodes=None if pd.isna(episodes) else int(episodes),
                    rating=None if pd.isna(rating) else float(rating),
                    members=int(members),
                    english=_distinct(english.get(int(anime_id)), str(name)),
                )
                for anime_id, name, genres, type_, episodes, rating, members in zip(
                    df["anime_id"], df["name"], df["genres"], df["type"], df["episodes"], df["rating"], df["members"]
                )
            ),
            aliases,
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

    def filters(self, genre: str | None = None, type: str | None = None, *, allow_adult: bool = True) -> Filters:
        """The genre and type as typed ("sci fi" -> "Sci-Fi"); UnknownFilter, naming the choices, for one
        that matches nothing. The bot and the CLI both validate here. Without allow_adult the adult
        genre is neither offered nor taken (it would find nothing)."""
        g, t = self.normalize_genre(genre), self.normalize_type(type)
        if g == ADULT_GENRE and not allow_adult:
            raise UnknownFilter(f"{ADULT_GENRE} titles only appear where adult titles are allowed "
                                "(age-restricted channels of servers that allow them).")
        if genre and g is None:
            genres = [x for x in self.genres if allow_adult or x != ADULT_GENRE]
            raise UnknownFilter(f"Unknown genre “{_clip(genre, 40)}”. Genres: {', '.join(genres)}.")
        if type and t is None:
            raise UnknownFilter(f"Unknown type “{_clip(type, 40)}”. Types: {', '.join(self.TYPES)}.")
        return Filters(g, t)

    # --- search -------------------------------------------------------------------------------

    @staticmethod
    def label(anime: Anime, limit: int = 100) -> str:
        """The name to show: "Shingeki no Kyojin · Attack on Titan" when the English title differs, within
        limit characters (Discord's choice limit is 100); the English part is clipped first."""
        if anime.english is None or len(anime.name) + len(LABEL_SEPARATOR) + len(ELLIPSIS) >= limit:
            return _clip(anime.name, limit)
        return _clip(anime.name + LABEL_SEPARATOR + anime.english, limit)

    def search(self, query: str, limit: int = 25, *, allow_adult: bool = True) -> list[Anime]:
        """Best matches first, over every name of a title: exact name, name prefix or acronym, word
        prefix, substring, then fuzzy (typos).

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
        keys = self._keys(q)
        yield self._exact_ranks(q, query)
        yield np.unique(np.concatenate(
            [self._bisect(self._prefix_keys, self._prefix_ranks, k) for k in keys]
            + [np.array(self._acronyms.get(keys[0], ()), dtype=np.int64)]
        ))
        yield np.unique(np.concatenate([self._bisect(self._word_keys, self._word_ranks, k) for k in keys]))
        yield self._all_words_ranks(q)
        yield self._substring_ranks(keys[0])
        yield self._fuzzy_ranks_for(q)

    def _keys(self, q: str) -> list[str]:
        """The compact keys q is searched as: itself, then with a leading abbreviation spelled out
        ("fma brotherhood" -> "fullmetalalchemistbrotherhood")."""
        first, _, rest = q.partition(" ")
        return [q.replace(" ", "")] + [(e + rest).replace(" ", "") for e in self._expansions.get(first, ()) if rest]

    def _exact_ranks(self, q: str, query: str) -> list[int]:
        """Titles with a name equal to q, most popular first, except that a title with a name spelled as
        typed goes first: "Gintama", "Gintama'" and "Gintama°" all normalize to "gintama"."""
        ranks = sorted({r for key in self._keys(q) for r in self._exact.get(key, ())})
        typed = query.strip().casefold()
        return sorted(ranks, key=lambda r: typed not in self._spellings[r])

    def _all_words_ranks(self, q: str) -> np.ndarray:
        """Titles with a name in which every word of q starts a word, in any order: what people type
        for a sequel ("code geass r2", "naruto shippuden") without the words between."""
        words = q.split()
        if len(words) < 2:
            return np.empty(0, np.int64)
        found: np.ndarray | None = None
        for w in words:
            ranks = np.union1d(self._bisect(self._word_keys, self._word_ranks, w),
                               self._bisect(self._prefix_keys, self._prefix_ranks, w))
            found = ranks if found is None else np.intersect1d(found, ranks, assume_unique=True)
            if not len(found):
                break
        assert found is not None  # two words or more
        return found

    def _substring_ranks(self, key: str) -> Iterator[int]:
        # str.find, not re.finditer: a third of the time on the 0.7 MB string.
        at = self._joined.find(key)
        while at >= 0:
            yield self._entry_ranks[bisect_right(self._starts, at) - 1]
            at = self._joined.find(key, at + 1)

    @staticmethod
    def _bisect(keys: list[str], ranks: np.ndarray, q: str) -> np.ndarray:
        return ranks[bisect_left(keys, q) : bisect_left(keys, q + _MAX_CHAR)]

    def _fuzzy_ranks_for(self, q: str) -> np.ndarray:
        """Ranks scoring at least SEARCH_CUTOFF, best first, then most popular. A name scores its best
        of the whole name (a typo'd full title) and the name cut to the query's length (a typo'd
        prefix, as typed into autocomplete)."""
        found = [self._fuzzy.scores(q, SEARCH_CUTOFF)] + [
            self._fuzzy_by_initial[c].scores(q, SEARCH_CUTOFF, cut=True)
            for c in dict.fromkeys(q[:2]) if c in self._fuzzy_by_initial
        ]
        ranks, scores = (np.concatenate(column) for column in zip(*found))
        return ranks[np.lexsort((ranks, -scores))]

    def lookup(self, text: str, *, allow_adult: bool = True, franchise_of: FranchiseOf | None = None) -> Resolution:
        """What `text` means (resolve_choice); TitleNotFound, with titles to suggest, when nothing."""
        found = self.resolve_choice(text, allow_adult=allow_adult, franchise_of=franchise_of)
        if found is None:
            raise TitleNotFound(text, self.suggest(text, allow_adult=allow_adult))
        return found

    def resolve_choice(self, text: str, *, allow_adult: bool = True, franchise_of: FranchiseOf | None = None
                       ) -> Resolution | None:
        """What `text` means, or None: a MAL id, a name of one or more titles, a near miss of one name,
        or (given ``franchise_of``) the start of the names of one series' entries.

        A name several titles carry ("Hunter x Hunter": the 1999 and 2011 series) resolves to the most
        popular of them, the others being the alternatives; a near miss of two different names is None.
        "code geass" starts the names of both Code Geass series: it resolves to the most popular, the
        other offered, when the two most popular titles so named are entries of one franchise.
        """
        text = text[:MAX_QUERY_CHARS].strip()
        # Digits are a MAL id (as autocomplete sends them) when one exists; the length check keeps
        # int() away from huge numbers.
        if text.isascii() and text.isdigit() and len(text) <= 12:
            anime = self._by_id.get(int(text))
            if anime is not None and (allow_adult or not anime.is_adult):
                return Resolution(anime)
        q = normalize_name(text)
        if not q:
            return None
        ranks = [r for r in self._exact_ranks(q, text) if allow_adult or not self._adult[r]]
        if not ranks:
            ranks = self._fuzzy_resolve(q, allow_adult)
        if not ranks and franchise_of is not None:
            ranks = self._series_prefix_resolve(q, allow_adult, franchise_of)
        if not ranks:
            return None
        return Resolution(self._animes[ranks[0]], tuple(self._animes[r] for r in ranks[1 : 1 + MAX_ALTERNATIVES]))

    def _fuzzy_resolve(self, q: str, allow_adult: bool) -> list[int]:
        """Ranks of the titles carrying the one name q is a near miss of, most popular first; empty
        when no name is close enough or two different names are about as close."""
        ranks, scores, names = self._fuzzy.scores(q, RESOLVE_CUTOFF - RESOLVE_MARGIN, with_names=True)
        # A number is a sequel, season or movie, never a typo: "... Movie 7" must not become "... Movie 6".
        numbers = _NUMBER.findall(q)
        hits = sorted(
            (-score, rank, name) for rank, score, name in zip(ranks.tolist(), scores.tolist(), names)
            if _NUMBER.findall(name) == numbers and (allow_adult or not self._adult[rank])
        )
        if not hits or -hits[0][0] < RESOLVE_CUTOFF:
            return []
        best_score, _, best = hits[0]
        named = sorted({rank for _, rank, name in hits if name == best})
        rivals = [-score for score, rank, name in hits if name != best and rank not in named]
        if rivals and -best_score - rivals[0] < RESOLVE_MARGIN:
            return []  # two names are about as close: ambiguous, let the user pick
        return named

    def _series_prefix_resolve(self, q: str, allow_adult: bool, franchise_of: FranchiseOf) -> list[int]:
        """Ranks of the titles with a name that starts with q or has its words, most popular first, when
        the two most popular of them are entries of one franchise; else empty ("one" names One Piece and
        One Punch Man; "evangelion" names Neon Genesis Evangelion first, then the films)."""
        key = q.replace(" ", "")
        if len(key) < MIN_SERIES_PREFIX:
            return []
        words = self._all_words_ranks(q) if " " in q else self._bisect(self._word_keys, self._word_ranks, key)
        named = np.union1d(self._bisect(self._prefix_keys, self._prefix_ranks, key), words)
        ranks = [int(r) for r in named]
        if not ranks or (not allow_adult and self._adult[ranks[0]]):
            return []  # what the name means most is hidden here, not a sibling entry of it
        if len(ranks) > 1:
            first, second = (franchise_of(self._animes[r].anime_id) for r in ranks[:2])
            if first is None or first != second:
                return []
        return [r for r in ranks if allow_adult or not self._adult[r]]

    def suggest(self, text: str, n: int = 3, *, allow_adult: bool = True) -> list[Anime]:
        """Candidates to offer ("did you mean ...?") for text that did not resolve; empty when nothing is close."""
        if not normalize_name(text[:MAX_QUERY_CHARS]):
            return []
        return self.search(text, n, allow_adult=allow_adult)

    # --- filters ------------------------------------------------------------------------------

    def filter_mask(self, anime_ids: np.ndarray, filters: Filters = NO_FILTERS, *, allow_adult: bool = True
                    ) -> np.ndarray:
        """Which of anime_ids pass the filters (from Catalog.filters), aligned to anime_ids; ids not in
        the catalog never pass."""
        ids = np.asarray(anime_ids, dtype=np.int64)
        keep = np.ones(len(self), dtype=bool)
        if filters.genre is not None:
            keep &= self._genre_masks[filters.genre]
        if filters.type is not None:
            keep &= self._type_masks[filters.type]
        if not allow_adult:
            keep &= ~self._adult
        if not len(self):
            return np.zeros(ids.shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self._sorted_ids, ids), len(self) - 1)
        return (self._sorted_ids[pos] == ids) & keep[self._id_order[pos]]
