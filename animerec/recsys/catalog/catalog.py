"""The title catalog: lookup by MAL id, name search for autocomplete, free-text resolution, filters.

Every title is kept in popularity order (members_now, descending), and every index below stores
positions in that order ("ranks"), so "sorted by rank" is "most popular first" and ties in any
match tier are broken by popularity for free.

A title is found by any of its names: the main (romaji) name, the English and Japanese titles and the
synonyms of data/catalog/titles.csv.gz, abbreviations included ("AoT", "FMA"). Names are matched as
"compact" keys, spaces removed, so "full metal alchemist" finds "Fullmetal Alchemist" and "steinsgate"
"Steins;Gate".

Genres are MAL's 2020 vocabulary, its three axes (genres, themes, demographics) in one tuple: a 2010 and a
2024 psychological thriller both carry "Suspense" and "Psychological". The 2016 names fans still type
("Thriller", "Dementia", "Shounen Ai") are accepted as filters and mean their 2020 label.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from animerec.recsys.catalog.build import OLD_GENRE_MAP, is_cjk
from animerec.recsys.data import CATALOG_CSV, CATALOG_TITLES_CSV, load_catalog_table, load_catalog_titles

TYPES = ("TV", "Movie", "OVA", "ONA", "Special", "Music")
ADULT_GENRE = "Hentai"
SEASONS = ("winter", "spring", "summer", "fall")  # in the order they come in a year

# Only this much of a query is looked at: enough for any title (the longest is 97 characters
# normalized) and it bounds the work a pasted wall of text can cause.
MAX_QUERY_CHARS = 100

# Scores are rapidfuzz fuzz.ratio (0-100) between normalized strings. One typo in a 5-letter word
# costs 10-20 points, so 75 keeps typo'd words and drops unrelated ones.
SEARCH_CUTOFF = 75.0
# resolve_choice acts on the member's behalf (it records a rating), so a typo resolves only when it is this
# many edits (a letter added, dropped, changed, or two swapped) from the name of one work and no other:
# (at least this wide, edits), widest first.
TYPO_EDITS = ((12, 2), (5, 1))
# Under this width a changed letter makes another word as easily as a slip ("bleech"), so only a dropped
# letter or two swapped ones ("narto", "nauto") count as a typo there.
TYPO_SUBSTITUTION_WIDTH = 7
# A resolution names at most this many other titles the text could have meant.
MAX_ALTERNATIVES = 3
# Text that resolves to nothing offers at most this many titles to pick from (TitleNotFound.hints).
SUGGESTIONS = 5
# A slip of a name narrower than TYPO_EDITS allows ("shki" for Shiki) is offered from this many letters on.
SHORT_SLIP_WIDTH = 3
# The start of a series' names resolves only from this many letters on ("steins" yes, "cod" no).
MIN_SERIES_PREFIX = 5
# A word of a query of several words that is shorter than this names a title only as one of its words, not
# as the start of one (Catalog._named_ranks).
WHOLE_WORD_BELOW = 4
# The start, words or initials of official names resolve to a work only when its most popular entry has this
# many times the members of any other work so named. Chosen on tests/recsys/catalog/fan_queries.csv (its README says how).
SERIES_DOMINANCE = 2.0
# A name only a synonym gives gives way to a work so named with this many times its members.
SYNONYM_OVERRIDE = 5.0
# One word of a title's name, not all of it, names its work only when that work has this many members
# (members_now): fans type a word of a title they know ("frieren"); one of an obscure title's is a slip or
# another title ("punpun": Oyasumi Punpun, a manga, not Punpun Polka). _series_ranks.
ONE_WORD_MEMBERS = 10_000
# Where a name's subtitle starts: a colon, a spaced dash, a tilde or a bracket.
_SUBTITLE = re.compile(r"\s*[:：~〜～(（「『【]\s*|\s+[-–]\s*")
# The kinds of titles that are searchable names besides the main one (the Chinese ones are not how members
# type): official names, and synonyms (fan names and abbreviations, weaker evidence of what is meant).
OFFICIAL_KINDS = ("english", "japanese")
SYNONYM_KINDS = ("synonym",)
# An abbreviation is one token of this many letters ("DN", "OHSHC") spelling another name's initials.
ABBREVIATION_CHARS = range(2, 9)
# Acronyms are generated for names of at least this many words: two-letter ones ("tg") match too much.
ACRONYM_MIN_WORDS = 3
LABEL_SEPARATOR = " · "
ELLIPSIS = "…"

_NON_ALNUM = re.compile(r"[\W_]+")
# A title page link, anywhere in the text: myanimelist.net/anime/ID[/slug], anime.php?id=ID, anilist.co/anime/ID;
# "mal:ID" on its own.
# A link's id ends where its digits do, before anything but a letter, digit or underscore: "anime/5114junk" names
# no title (not FMA: Brotherhood), while "<https://myanimelist.net/anime/5114>" (a link Discord shows no preview
# of), "…/5114." or a markdown link's "…/5114)" do.
_MAL_LINK = re.compile(r"myanimelist\.net/anime(?:/|\.php\?id=)(\d+)(?!\w)|^mal:\s*(\d+)$", re.IGNORECASE)
_ANILIST_LINK = re.compile(r"anilist\.co/anime/(\d+)(?!\w)", re.IGNORECASE)
# A name followed by a year, as labels mark titles whose names collide: "Hunter x Hunter (1999)".
_WITH_YEAR = re.compile(r"(?P<name>.*?\S)(?:\s*,\s*|\s+|\s*\()(?P<year>(?:19|20)\d\d)\)?")
CHOICES_FOR_DIGITS = 10  # the titles whose names typed digits may start (_linked_rank)
# Typed digits shorter than this are never read as a MAL id (_linked_rank): "1" in the title box is a slip (a
# score, a season) far more often than Cowboy Bebop's id; suggest() still offers that title.
BARE_ID_DIGITS = 4
_NUMBER = re.compile(r"\d+")
_NUMBER_WORDS = {"ii": "2", "iii": "3", "iv": "4", "second": "2", "third": "3", "fourth": "4", "fifth": "5",
                 "final": "final"}
# A word that is a number and nothing else: "3", "2nd", "s2", "ii" (not "ナルティメットヒーロー3").
_NUMBER_WORD = re.compile(r"\d+(?:st|nd|rd|th)?|s\d+|" + "|".join(_NUMBER_WORDS))
# A season word and its number typed as one word: "season2".
_GLUED_SEASON = re.compile(r"(?:season|cour|part)\d+")
# Words of a season query that no name needs to have: the number typed decides.
# A season query ("season 2", "s2", "2nd season") never means one of these.
_NOT_SEASONS = frozenset({"Movie", "Special", "Music"})
_ORDINAL_ENDINGS = frozenset({"nd", "rd", "th", "st"})
_SEASON_WORDS = frozenset({"season", "seasons", "cour"}) | _ORDINAL_ENDINGS
# Typos are looked for (the last, costliest tier of a search) only when what was typed names fewer titles than
# this as typed: past that the member is typing a name right, and a list padded with guesses helps no one.
TYPOS_BELOW = 10
FUZZY_TIER = 5  # Catalog._tiers' index of the fuzzy tier
# Substring search looks up keys of this many letters or more by their trigrams (Catalog._substring_ranks).
SUBSTRING_GRAM = 3
_NO_ENTRIES = np.empty(0, np.int32)
# Checking a found name for one more word costs about this many times a step of merging the entries that word
# starts (Catalog._all_words_entries).
CHECK_NOT_INTERSECT = 16
# Sorts after any character a key can contain, so [q, q + _MAX_CHAR) is every key starting with q.
_MAX_CHAR = chr(0x10FFFF)


def linked_mal_id(text: str) -> int | None:
    """The MyAnimeList id a MyAnimeList link or ``mal:ID`` in text names, whether or not a catalog knows it."""
    found = _MAL_LINK.search(text.strip())
    return int((found.group(1) or found.group(2))[:12]) if found else None


def id_text(anime_id: int) -> str:
    """The text that names one title by its MAL id, whatever other titles are called: what a menu or a button
    hands to a command that takes a title as text. Bare digits are read as a name first ("86" is 86
    Eighty-Six, not the title whose MAL id is 86)."""
    return f"mal:{int(anime_id)}"


def _fold(c: str) -> str:
    """A Latin letter without its accents ("é" -> "e"); any other character as NFKC composed it. Only
    Latin letters lose their marks: a kana's dakuten makes another letter (テ and デ), not an accent."""
    base = unicodedata.normalize("NFD", c)[0]
    return base if base.isascii() else c


# Brackets and dashes around a name, not symbols that stand for a word of it.
_FRAMING_SYMBOLS = frozenset("<>＜＞~～〜")


def _drops_a_word(name: str) -> bool:
    """Whether normalize_name drops a leading symbol that is a word of the name ("∀ Gundam" is Turn A
    Gundam: normalized it would be "gundam", every Gundam's word). The main name is indexed all the same."""
    head = name.strip()[:1]
    return bool(head) and unicodedata.category(head) in ("Sm", "So", "Sc") and head not in _FRAMING_SYMBOLS \
        and not normalize_name(head)


# Building the index normalizes each of the ~100,000 names several times (as a key, an entry, an official name).
@lru_cache(maxsize=1 << 18)
def normalize_name(text: str) -> str:
    """Lowercase, accents stripped, every run of punctuation/space as one space: "Steins;Gate" -> "steins gate".
    Full-width and half-width forms become the usual ones (NFKC): "ＳＴＥＩＮＳ" is "steins", "ﾃﾞｽﾉｰﾄ" "デスノート"."""
    text = text.casefold()
    if not text.isascii():
        # "×" is how titles write the "x" fans type: "HUNTER×HUNTER", "SPY×FAMILY".
        text = "".join(map(_fold, unicodedata.normalize("NFKC", text).replace("×", " x ")))
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


# The series a season query that names no entry offers at most (Catalog._season_choices).
SEASON_CHOICES = 3
# A name of the second or a later part of one season ("Dr. Stone: New World Part 2"), not a season of its own.
_LATER_PART = re.compile(r"\bpart (?:[2-9]|ii|iii|iv|two|three)\b", re.IGNORECASE)


def _numbers_of(name: str, *, seasons: bool = False) -> frozenset[str]:
    """The numbers a normalized name or query says, spelled as digits: "2nd season", "second season",
    "ii", "s2" all say 2; with seasons, only those that are not a part ("season 3 part 2": 3)."""
    out = set(_NUMBER.findall(name)) if not seasons else set()
    words = name.split()
    for i, word in enumerate(words):
        if seasons and word[:1].isdigit() and (i == 0 or words[i - 1] != "part"):
            out.update(_NUMBER.findall(word))
        if word in _NUMBER_WORDS:
            out.add(_NUMBER_WORDS[word])
        elif len(word) > 1 and word[0] == "s" and word[1:].isdigit():
            out.add(word[1:])
    return frozenset(str(int(n)) if n.isdigit() and len(n) < 6 else n for n in out)


def _is_number_word(word: str) -> bool:
    """Whether a word of a normalized query only says a number, so no name needs to have it: "3", "2nd", "s2",
    "ii", "season2", "２期" (a Japanese season). A Latin word with a number in it is a word of a name: "r2"
    (Code Geass R2), "quartetx3", a slip of "Isekai Quartet 3" and no season of an isekai."""
    return bool(_numbers_of(word)) and (not word.isascii() or bool(_NUMBER_WORD.fullmatch(word))
                                        or bool(_GLUED_SEASON.fullmatch(word)))


def _name_words(q: str) -> list[str]:
    """The words of a normalized query that a name must have: not its season words and numbers ("frieren season
    2": frieren). An ordinal's ending typed apart ("2 nd") is one after a number only: "rd garden" is a slip of Red
    Garden, not Garden."""
    words = q.split()
    return [w for i, w in enumerate(words) if not _is_number_word(w) and not (
        w in _SEASON_WORDS and (w not in _ORDINAL_ENDINGS or (i and _is_number_word(words[i - 1]))))]


def _whole_word_only(word: str) -> bool:
    """Whether a word typed among others names a title only as a whole word of its name (WHOLE_WORD_BELOW)."""
    return len(word) < WHOLE_WORD_BELOW and word.isascii()


def _is_season_query(q: str) -> bool:
    """Whether a normalized query says a season or a number: "frieren season 2", "konosuba 2", "opm s3"."""
    return any(w in _SEASON_WORDS or _numbers_of(w) for w in q.split())


def _says_season(q: str) -> bool:
    """Whether a normalized query says a season in words, not a bare number: "season 2", "2nd", "s2", "ii"."""
    return any(w in _SEASON_WORDS or (_NUMBER_WORD.fullmatch(w) and not w.isdigit()) for w in q.split())


def _standalone_numbers(name: str) -> set[str]:
    """The digits of a normalized name's words that are numbers ("2", "2nd", "s2"), not of a word ("3d")."""
    return {n for w in name.split() if _NUMBER_WORD.fullmatch(w) for n in _NUMBER.findall(w)}


def _is_substitution(q: str, name: str) -> bool:
    """Whether q differs from name (one edit away) by a changed letter, not a dropped, added or swapped one."""
    return len(q) == len(name) and sorted(q) != sorted(name)


def _width(key: str) -> int:
    """How much of a name key says: a kana or kanji says about as much as two Latin letters (東京喰種 is enough
    to name Tokyo Ghoul; "toky" is not)."""
    if key.isascii():
        return len(key)
    return sum(1 if c.isascii() else 2 for c in key)


def _typo_edits(text: str) -> int:
    """How many edits a slip of typing ``text`` may hold (TYPO_EDITS, by how much it says without spaces)."""
    return next((n for length, n in TYPO_EDITS if _width(text.replace(" ", "")) >= length), 0)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _aliases(titles: pd.DataFrame | None, kinds: tuple[str, ...]) -> dict[int, list[str]]:
    """anime_id -> its names of these kinds, from a frame of (anime_id, kind, title) rows."""
    aliases: dict[int, list[str]] = {}
    if titles is not None:
        for anime_id, kind, title in zip(titles["anime_id"], titles["kind"], titles["title"]):
            if kind in kinds and isinstance(title, str) and title:
                aliases.setdefault(int(anime_id), []).append(title)
    return aliases


class UnknownFilter(ValueError):
    """A genre or type filter that matches nothing; the message names the choices."""


class TitleNotFound(LookupError):
    """Free text that names no title; hints: close titles to offer ("did you mean ...?"), maybe none."""

    def __init__(self, text: str, hints: list[Anime], named: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.hints = hints
        self.named = named  # text is a name of titles, or their names' start: it is known, but not clear


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
    members: int  # the newest MAL count: what "popular" means, and the catalog's order
    english: str | None = None  # the English title, when it differs from `name` beyond normalize_name
    japanese: str | None = None
    year: int | None = None
    season: str | None = None  # winter, spring, summer, fall
    start_date: str | None = None  # ISO date
    members_2016: int | None = None  # the count the training data saw; None for titles after it
    studios: tuple[str, ...] = ()
    source: str | None = None  # Manga, Light novel, Original, ...
    age_rating: str | None = None  # MAL's ("PG-13 - Teens 13 or older"), None when no source gives one
    adult: bool = False  # rated Rx/Hentai, or of unknown age: gated like Hentai
    work_id: int | None = None  # the smallest MAL id of its work (a series and its seasons, recaps, ...)
    franchise_id: int | None = None  # the smallest MAL id of its franchise (works, spin-offs, remakes)
    anilist_id: int | None = None
    # For a title named in Japanese script alone (813 bangumi-data films, ONAs and seasons with no English
    # title in any source): its franchise's name where that is in Latin letters, which label() shows beside
    # it. Set by the Catalog that holds it.
    series: str | None = None

    @property
    def is_adult(self) -> bool:
        return self.adult or ADULT_GENRE in self.genres

    @property
    def counted_2016_only(self) -> bool:
        """Its members count is the one the training data saw: no later source gives one (the build copies it)."""
        return self.members_2016 is not None and self.members == self.members_2016


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


# What a title named in Japanese alone is of its franchise, by type, beside the franchise's Latin name (label):
# "劇場版 SHIROBAKO · Shirobako film (2020)"; "Shirobako series" read as an English title of the film.
_OF_SERIES = {"TV": "series", "Movie": "film", "OVA": "OVA", "ONA": "web series", "Special": "special",
              "Music": "music video"}


def _with_series(animes: list[Anime]) -> list[Anime]:
    """The titles, those named in Japanese script alone (no English title) with their franchise's name where
    that is in Latin letters (Anime.series): "終物語 第2期 · Bakemonogatari series" tells a fan who reads no
    Japanese what it belongs to."""
    by_id = {a.anime_id: a for a in animes}

    def series(a: Anime) -> str | None:
        head = by_id.get(a.franchise_id) if a.franchise_id not in (None, a.anime_id) else None
        return head.name if head is not None and not is_cjk(head.name) else None

    return [replace(a, series=named) if a.english is None and is_cjk(a.name)
            and (named := series(a)) is not None else a for a in animes]


class Catalog:
    TYPES = TYPES

    def __init__(self, animes: Iterable[Anime], aliases: Mapping[int, Iterable[str]] | None = None,
                 names: Mapping[int, Iterable[str]] | None = None, table: pd.DataFrame | None = None) -> None:
        """aliases: anime_id -> the title's synonyms (abbreviations included); names: anime_id -> its other
        official names (English, Japanese); `name` and `english` count already. A synonym alone is weaker
        evidence (resolve_choice). table: the frame the catalog was built from (from_table), whose columns
        (studios, source, age rating, score) a model's vectors for titles without ratings are made from;
        never changed."""
        self.table = table
        animes = list(animes)
        growth = members_growth(animes)
        self._members_now = {a.anime_id: (a.members * growth(a.members) if a.counted_2016_only else float(a.members))
                             for a in animes}  # members_now: what "popular" means, and the catalog's order
        self._animes = _with_series(sorted(animes, key=lambda a: (-self._members_now[a.anime_id], a.anime_id)))
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
        # The 2016 names as well, each meaning its 2020 label where the catalog has that label.
        self._genre_keys = {_key(old): new for old, (_, new) in OLD_GENRE_MAP.items() if new in self._genre_masks}
        self._genre_keys.update({_key(g): g for g in self._genres})
        self._type_keys = {_key(t): t for t in TYPES}

        aliases, names = aliases or {}, names or {}
        self._rank_of_id = {a.anime_id: rank for rank, a in enumerate(self._animes)}
        self._rank_of_anilist = {a.anilist_id: rank for rank, a in reversed(list(enumerate(self._animes)))
                                 if a.anilist_id is not None}
        self._work = np.array([a.work_id or a.anime_id for a in self._animes], dtype=np.int64)
        self._franchise = np.array([a.franchise_id or a.work_id or a.anime_id for a in self._animes], dtype=np.int64)
        # Each title's members_now by rank, and its franchise's most watched title's.
        self._now = [self._members_now[a.anime_id] for a in self._animes]
        top_of: dict[int, float] = {}
        for a, now in zip(self._animes, self._now):  # most popular first
            top_of.setdefault(a.franchise_id or a.anime_id, now)
        self._franchise_members = [top_of[a.franchise_id or a.anime_id] for a in self._animes]
        # Every name of every title, deduplicated per title, in rank order (main name first): one
        # "entry" per (name, title). _spellings keeps the names as written, for "the one spelled as typed";
        # _strong the (key, rank) of names that are not only synonyms; _numbers the numbers in its names.
        entry_names: list[str] = []
        entry_ranks: list[int] = []
        self._spellings: list[frozenset[str]] = []
        self._strong: set[tuple[str, int]] = set()
        self._primary: set[tuple[str, int]] = set()  # main name and first English title
        self._numbers: list[frozenset[str]] = []
        self._seasons: list[frozenset[str]] = []  # the numbers of its names that are not a part
        for rank, a in enumerate(self._animes):
            official = [a.name, *([a.english] if a.english else []), *names.get(a.anime_id, ())]
            self._primary.update((_key(name), rank) for name in official[:2] if name)
            written = [a.name, *(w for w in [*official[1:], *aliases.get(a.anime_id, ())] if not _drops_a_word(w))]
            normalized = list(dict.fromkeys(filter(None, map(normalize_name, written))))
            for name in normalized:
                entry_names.append(name)
                entry_ranks.append(rank)
            self._strong.update((_key(name), rank) for name in official)
            self._spellings.append(frozenset(w.strip().casefold() for w in written))
            self._numbers.append(frozenset(n for name in normalized for n in _numbers_of(name)))
            self._seasons.append(frozenset(n for name in normalized for n in _numbers_of(name, seasons=True)))
        self._entry_ranks = np.array(entry_ranks, dtype=np.int64)
        self._entry_official = np.array([(_key(name), rank) in self._strong
                                         for name, rank in zip(entry_names, entry_ranks)], dtype=bool)
        compact = [name.replace(" ", "") for name in entry_names]

        self._exact: dict[str, list[int]] = {}
        for key, rank in dict.fromkeys(zip(compact, entry_ranks)):
            self._exact.setdefault(key, []).append(rank)
        # Prefix matches are a bisect over the sorted keys; word-prefix matches a bisect over the
        # sorted suffixes that start a later word ("alchemist brotherhood", "brotherhood"). Both give
        # entries (one name of one title), so that "every word in one name" is an intersection.
        self._prefix_keys, self._prefix_entries = self._sorted_index(zip(compact, range(len(compact))))
        self._word_keys, self._word_entries = self._sorted_index(
            (name[m.end() :].replace(" ", ""), entry)
            for entry, name in enumerate(entry_names)
            for m in re.finditer(" ", name)
        )
        # Substring matches are found in one string of all keys, mapped back by offset; the string is
        # in rank order, so the matches come most popular first and the scan stops once the limit is filled.
        self._joined = "\n".join(compact)
        self._starts = np.cumsum([0] + [len(key) + 1 for key in compact[:-1]]).tolist()
        # A key of SUBSTRING_GRAM letters or more is looked for only in the entries that have all of its
        # first, middle and last trigrams: a scan of the whole string (1 MB, most of a millisecond) for a key
        # found in few names was the costliest step of a search.
        grams: dict[str, list[int]] = {}
        for entry, key in enumerate(compact):
            for gram in {key[i : i + SUBSTRING_GRAM] for i in range(len(key) - SUBSTRING_GRAM + 1)}:
                grams.setdefault(gram, []).append(entry)
        self._compact = compact
        self._entry_names = entry_names
        self._grams = {gram: np.array(entries, dtype=np.int32) for gram, entries in grams.items()}
        # Typos are scored against main and English names only: synonyms are mostly abbreviations and
        # alternative romanizations, and would double the cost of the slowest tier.
        main_or_english = [
            (name, rank)
            for rank, a in enumerate(self._animes)
            for name in dict.fromkeys(filter(None, (normalize_name(a.name), normalize_name(a.english or ""))))
        ]
        self._fuzzy = _ByLength(main_or_english)
        # Typos that resolve are measured in edits against every name, its first words and, for an English
        # name, itself without "the": "apothecary diaires" is one swap from "The Apothecary Diaries".
        # (name or cut, rank) -> (official, whole name)
        typo: dict[tuple[str, int], tuple[bool, bool]] = {}
        for name, rank, official in zip(entry_names, entry_ranks, self._entry_official.tolist()):
            words = name.split()
            cuts = [" ".join(words[:i]) for i in range(1, len(words))] if official else []
            wholes = [name] + ([" ".join(words[1:])] if official and words[0] == "the" and len(words) > 1 else [])
            for cut, whole in [*((c, False) for c in cuts), *((w, True) for w in wholes)]:
                if _width(cut.replace(" ", "")) >= TYPO_EDITS[-1][0]:
                    was_official, was_whole = typo.get((cut, rank), (False, False))
                    typo[cut, rank] = (was_official or official, was_whole or whole)
        # Shortest first: a name more characters longer or shorter than q than the edits allowed is no typo
        # of it, so the names to measure are one slice (an unknown title measured all of them: 60-100 ms of
        # the event loop a lookup, and a burst of them held up every member's answer past Discord's 3 s).
        by_length = sorted(typo.items(), key=lambda item: len(item[0][0]))
        self._typo_names = [name for (name, _), _ in by_length]
        self._typo_ranks = [rank for (_, rank), _ in by_length]
        self._typo_kinds = [kinds for _, kinds in by_length]
        self._typo_lengths = [len(name) for name in self._typo_names]
        # Names and first words too short for a slip of them to resolve (narrower than TYPO_EDITS allows): a slip
        # of one is offered, never stored (suggest's _short_slips): "shki" offers Shiki, "knon" K-On! and Kanon.
        short: dict[int, dict[str, list[tuple[bool, int]]]] = {}  # length -> key -> (a first word only, rank)
        for name, rank, official in zip(entry_names, entry_ranks, self._entry_official.tolist()):
            spelled = name.replace(" ", "")
            for word in {spelled, name.split(" ")[0]} if official else ():
                if word.isascii() and word.isalpha() and SHORT_SLIP_WIDTH - 1 <= len(word) <= TYPO_EDITS[-1][0]:
                    short.setdefault(len(word), {}).setdefault(word, []).append((word != spelled, rank))
        self._short_keys = {length: (list(keys), list(keys.values())) for length, keys in short.items()}
        self._short_words = frozenset(key for keys in short.values() for key in keys)
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
        ACRONYM_MIN_WORDS+ words ("snk", "bnha"), from a name before a subtitle of as many words and the
        subtitle's initials ("bleachtybw"), and from names that begin with an expansion
        ("fullmetal alchemist brotherhood" -> "fmab")."""
        by_rank: dict[int, list[str]] = {}
        entries_of: dict[int, list[int]] = {}
        for entry, (name, rank) in enumerate(zip(entry_names, entry_ranks)):
            by_rank.setdefault(rank, []).append(name)
            entries_of.setdefault(rank, []).append(entry)
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
            for written in {a.name, a.english or ""}:
                name = normalize_name(written)
                words = name.split()
                if len(words) >= ACRONYM_MIN_WORDS:
                    acronyms.setdefault(_initials(words), set()).add(rank)
                # The name before a subtitle, then the subtitle's initials: "bleach tybw" is Bleach:
                # Thousand-Year Blood War.
                head, *subtitle = _SUBTITLE.split(written, 1)
                head = normalize_name(head).replace(" ", "")
                subtitle_words = normalize_name(subtitle[0]).split() if subtitle else []
                if head and len(subtitle_words) >= ACRONYM_MIN_WORDS:
                    acronyms.setdefault(head + _initials(subtitle_words), set()).add(rank)
                for i in range(1, len(words)):
                    abbr = stands_for.get("".join(words[:i]))
                    if abbr is not None:
                        acronyms.setdefault(abbr + _initials(words[i:]), set()).add(rank)
        self._acronyms = {key: sorted(ranks) for key, ranks in acronyms.items()}
        # A one-word name or generated acronym -> the official names of its titles, to spell out in a season
        # query ("jjk s2").
        # _abbreviated: the franchises of the titles each stands for, the only titles its spelled-out names may
        # find ("dandadan 2" spelled "dan da dan 2" has words that start DanMachi II's names).
        abbreviations: dict[str, set[str]] = {}
        abbreviated: dict[str, set[int]] = {}
        official = set(np.flatnonzero(self._entry_official).tolist())
        stood_for = [(name, rank) for name, rank in zip(entry_names, entry_ranks)
                     if " " not in name and len(name) in ABBREVIATION_CHARS]
        stood_for += [(acronym, rank) for acronym, ranks in self._acronyms.items() for rank in ranks[:MAX_ALTERNATIVES]]
        for abbr, rank in stood_for:
            abbreviations.setdefault(abbr, set()).update(
                n for e, n in zip(entries_of[rank], by_rank[rank]) if " " in n and e in official)
            abbreviated.setdefault(abbr, set()).add(int(self._franchise[rank]))
        self._abbreviations = {abbr: sorted(names) for abbr, names in abbreviations.items()}
        self._abbreviated = {abbr: np.array(sorted(franchises), np.int64) for abbr, franchises in abbreviated.items()}

    @staticmethod
    def _sorted_index(pairs: Iterable[tuple[str, int]]) -> tuple[list[str], np.ndarray]:
        ordered = sorted(pairs)
        return [k for k, _ in ordered], np.array([r for _, r in ordered], dtype=np.int64)

    @classmethod
    def load(cls, path: Path | str = CATALOG_CSV, titles_path: Path | str | None = CATALOG_TITLES_CSV) -> Catalog:
        """The built catalog (data/catalog/), with every name of titles_path (None: main names only). One object
        per pair of paths: a catalog is never changed once built, and building the name index takes seconds
        (training, serving and evaluation each ask for it)."""
        return _load(str(path), None if titles_path is None else str(titles_path))

    @classmethod
    def from_table(cls, df: pd.DataFrame, titles: pd.DataFrame | None = None) -> Catalog:
        """From frames shaped like load_catalog_table's and load_catalog_titles' (data/README.md)."""
        aliases, names = _aliases(titles, SYNONYM_KINDS), _aliases(titles, OFFICIAL_KINDS)

        def text(value: Any) -> str | None:
            return None if pd.isna(value) or value == "" else str(value)

        def number(value: object) -> int | None:
            return None if pd.isna(value) else int(value)  # type: ignore[call-overload]

        def labels(*columns: object) -> tuple[str, ...]:
            return tuple(sorted({x for c in columns if isinstance(c, str) for x in c.split("|") if x}))

        rows = df.to_dict("records")
        return cls(
            (
                Anime(
                    anime_id=int(r["anime_id"]),
                    name=str(r["title"]),
                    genres=labels(r["genres"], r["themes"], r["demographics"]),
                    type=text(r["type"]),
                    episodes=number(r["episodes"]),
                    rating=None if pd.isna(r["score_latest"]) else float(r["score_latest"]),
                    members=number(r["members_latest"]) or 0,
                    english=_distinct(text(r["title_english"]), str(r["title"])),
                    japanese=text(r["title_japanese"]),
                    year=number(r["year"]),
                    season=text(r["season"]),
                    start_date=text(r["start_date"]),
                    members_2016=number(r["members_2016"]),
                    studios=labels(r["studios"]),
                    source=text(r["source"]),
                    age_rating=text(r["age_rating"]),
                    adult=r["adult"] != "no",  # "unknown" is gated too: no source vouched for it
                    work_id=number(r["work_id"]),
                    franchise_id=number(r["franchise_id"]),
                    anilist_id=number(r["anilist_id"]),
                )
                for r in rows
            ),
            aliases,
            names,
            df,
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame, titles: pd.DataFrame | None = None) -> Catalog:
        """From a frame shaped like the 2016 catalog's (animerec.recsys.data.load_anime_table: anime_id, name,
        genres, type, episodes, rating, members) and optionally one shaped like load_titles' (anime_id, kind,
        title): the catalog as it was, for synthetic tests and the benchmark's old figure."""
        aliases = _aliases(titles, ("english", "synonym"))
        english: dict[int, str] = {}
        if titles is not None:
            first = titles[titles["kind"] == "english"].drop_duplicates("anime_id")
            english = dict(zip(first["anime_id"].astype(int), first["title"].astype(str)))
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

    def members_now(self, anime_ids: Iterable[int]) -> np.ndarray:
        """Each title's MyAnimeList members on one scale (float64, 0 for an id not in the catalog): the
        newest count, or, for a title whose only count is the one the training data saw (counted_2016_only:
        most films and OVAs before 2017), that count grown as the titles with both counts grew from the
        same size (members_growth). Raw, such a count is years behind the rest: Naruto and Cowboy Bebop
        passed for less watched than a 2024 show."""
        return np.array([self._members_now.get(int(a), 0.0) for a in anime_ids], np.float64)

    def coverage(self) -> str:
        """What the catalog covers, for a member whose title it lacks: "15,532 titles, aired up to Fall 2026"."""
        aired = [(a.year, SEASONS.index(a.season), a.season) for a in self._animes
                 if a.year is not None and a.season in SEASONS]
        if not aired:
            return f"{len(self):,} titles"
        year, _, season = max(aired)
        return f"{len(self):,} titles, aired up to {season.capitalize()} {year}"

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
    def other_name(anime: Anime) -> str | None:
        """What a label shows beside a title's name: its English title, or for one named in Japanese script
        alone what it is of its franchise ("Shirobako film (2020)"); None for neither."""
        if anime.english or not anime.series:
            return anime.english
        kind = _OF_SERIES.get(anime.type or "", "title")
        # A franchise's films and OVAs read alike but for their year ("Made in Abyss film (2019)", "(2020)").
        return f"{anime.series} {kind} ({anime.year})" if anime.type != "TV" and anime.year else f"{anime.series} {kind}"

    @staticmethod
    def label(anime: Anime, limit: int = 100) -> str:
        """The name to show: "Shingeki no Kyojin · Attack on Titan" when the English title says more than the
        name (not "Haikyu!!" beside "Haikyuu!!", nor "SPY x FAMILY" beside "Spy x Family Part 2": the name holds
        it, give or take spaces and punctuation), within limit characters (Discord's choice limit is 100); the
        English part is clipped first."""
        other = Catalog.other_name(anime)
        if other is None or _key(other) in _key(anime.name) \
                or len(anime.name) + len(LABEL_SEPARATOR) + len(ELLIPSIS) >= limit:
            return _clip(anime.name, limit)
        return _clip(anime.name + LABEL_SEPARATOR + other, limit)

    def labels(self, animes: Sequence[Anime], limit: int = 100) -> list[str]:
        """label() of each title of a list shown together (autocomplete, a choice menu), with its year where
        names collide: where its name is, or starts, another listed title's name, or another title of the catalog
        has its name ("Fate/stay night (2006)", "Fate/stay night: Unlimited Blade Works (2014)"); with the season
        as well where the year alone leaves two alike. The mark is kept whole within limit; the name is clipped."""
        names = [normalize_name(a.name) for a in animes]

        def collides(i: int) -> bool:
            def starts(a: str, b: str) -> bool:  # by whole words: "naruto" starts "naruto shippuuden", not "narutaru"
                return a == b or a.startswith(b + " ")
            return len(self._exact.get(_key(animes[i].name), ())) > 1 or any(
                j != i and (starts(n, names[i]) or starts(names[i], n)) for j, n in enumerate(names))

        def mark(a: Anime, season: bool) -> str:
            when = f"{a.season.capitalize()} {a.year}" if season and a.season else str(a.year)
            return f" ({when})"

        marks = ["" if a.year is None or str(a.year) in self.label(a, limit) or not collides(i)
                 else mark(a, season=False) for i, a in enumerate(animes)]
        plain = [self.label(a, limit) + m for a, m in zip(animes, marks)]
        twice = {text for text, n in Counter(plain).items() if n > 1}
        marks = [mark(a, season=True) if text in twice and m else m for a, text, m in zip(animes, plain, marks)]
        return [self.label(a, limit - len(m)) + m for a, m in zip(animes, marks)]

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
        # A pasted link or mal:ID names its title first: autocomplete offered nothing for a link the commands take.
        linked = self._linked_rank(query.strip()) if not query.strip().isdigit() else None
        if linked is not None and linked >= 0 and (allow_adult or not self._adult[linked]):
            picked.append(linked)
            seen.add(linked)
            if limit == 1:
                return [self._animes[linked]]
        for tier, ranks in enumerate(tiers):
            if tier == FUZZY_TIER and len(picked) >= TYPOS_BELOW:
                break
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
            [self._entry_ranks[self._bisect(self._prefix_keys, self._prefix_entries, k)] for k in keys]
            + [np.array(self._acronyms.get(keys[0], ()), dtype=np.int64)]
        ))
        yield np.unique(np.concatenate(
            [self._entry_ranks[self._bisect(self._word_keys, self._word_entries, k)] for k in keys]))
        yield np.unique(self._entry_ranks[self._all_words_entries(q)])
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

    def _all_words_entries(self, q: str) -> np.ndarray:
        """Names in which every word of q starts a word, in any order: what people type for a sequel
        ("code geass r2", "naruto shippuden") without the words between."""
        if " " not in q:
            return np.empty(0, np.int64)
        spans = {w: (self._span(self._word_keys, w), self._span(self._prefix_keys, w)) for w in q.split()}
        # The rarest word first; each next one checks the names found so far when they are far fewer than
        # the names that word starts ("is it wrong to try t": "wrong" first, then a look at those names for
        # "t", not the union of every name with a word in t).
        words = sorted(spans, key=lambda w: sum(hi - lo for lo, hi in spans[w]))
        found = np.empty(0, np.int64)
        for i, w in enumerate(words):
            (wlo, whi), (plo, phi) = spans[w]
            if i and len(found) * CHECK_NOT_INTERSECT < (whi - wlo) + (phi - plo):
                found = found[[self._starts_a_word(e, w) for e in found.tolist()]]
            else:
                entries = np.union1d(self._word_entries[wlo:whi], self._prefix_entries[plo:phi])
                found = entries if not i else np.intersect1d(found, entries, assume_unique=True)
            if not len(found):
                break
        return found

    def _starts_a_word(self, entry: int, w: str) -> bool:
        """Whether w starts a word of the entry's name, spaces aside (what _word_keys and _prefix_keys index)."""
        compact = self._compact[entry]
        return any(compact.startswith(w, at) for at in self._word_starts(entry))

    def _word_starts(self, entry: int) -> list[int]:
        """Where each word of the entry's name starts in its compact name (spaces removed)."""
        starts, at = [], 0
        for word in self._entry_names[entry].split(" "):
            starts.append(at)
            at += len(word)
        return starts

    def _names(self, rank: int) -> list[str]:
        """The names of the title at rank, normalized (its entries' names: its spellings as searches compare them)."""
        lo, hi = np.searchsorted(self._entry_ranks, [rank, rank + 1])  # entries are in rank order
        return self._entry_names[lo:hi]

    @staticmethod
    def _span(keys: list[str], q: str) -> tuple[int, int]:
        return bisect_left(keys, q), bisect_left(keys, q + _MAX_CHAR)

    def _substring_ranks(self, key: str) -> Iterator[int]:
        """Ranks of the names containing key, in rank order (a rank may come again: search keeps the first)."""
        if len(key) >= SUBSTRING_GRAM:
            # Entries are numbered in rank order, so their intersection comes most popular first.
            starts = dict.fromkeys([0, (len(key) - SUBSTRING_GRAM) // 2, len(key) - SUBSTRING_GRAM])
            postings = sorted((self._grams.get(key[i : i + SUBSTRING_GRAM], _NO_ENTRIES) for i in starts),
                              key=len)
            found = postings[0]
            for more in postings[1:]:
                found = np.intersect1d(found, more, assume_unique=True)
            yield from (self._entry_ranks[e] for e in found.tolist() if key in self._compact[e])
            return
        # str.find, not re.finditer: a third of the time on the 1 MB string.
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

    def lookup(self, text: str, *, allow_adult: bool = True) -> Resolution:
        """What `text` means (resolve_choice); TitleNotFound, with titles to suggest, when nothing."""
        found = self.resolve_choice(text, allow_adult=allow_adult)
        if found is None:
            q = normalize_name(text[:MAX_QUERY_CHARS])
            named = bool(q) and any(allow_adult or not self._adult[r]
                                    for r in (*self._exact_ranks(q, text), *self._named_ranks(q)))
            raise TitleNotFound(text, self.suggest(text, SUGGESTIONS, allow_adult=allow_adult), named)
        return found

    def resolve_choice(self, text: str, *, allow_adult: bool = True) -> Resolution | None:
        """What `text` clearly means, or None (then suggest() has the titles to offer, and nothing is stored).

        Clearly meant is, in this order: a MyAnimeList or AniList link, ``mal:ID`` (id_text), or digits that are
        a MAL id and no title's name; a name of one or more titles (the most popular taken, the others
        alternatives); a near miss of one name; or the start or the words of the names of one work's entries,
        that work far more watched than any other so named
        ("frieren", "re zero season 2", "mha"). A name only a synonym gives loses to a work so named that is
        far more watched ("Demon Slayer" is a synonym of Onigiri, but fans mean Kimetsu no Yaiba).
        """
        text = text[:MAX_QUERY_CHARS].strip()
        if LABEL_SEPARATOR in text:
            # A label as the bot shows it ("K-On!! · K-ON! Season 2 (2010)", its English part maybe clipped with
            # "…"), copied from a "Not this one?" line: its name, and the year it ends with.
            name, _, rest = text.partition(LABEL_SEPARATOR)
            aired = re.search(r"\((?:19|20)\d\d\)$", rest)
            text = f"{name.strip()} {aired.group(0)}" if aired else name.strip()
        found = self._resolve_text(text, allow_adult)
        # _WITH_YEAR wants a space, comma or bracket before the year: an id ("mal:11998", "11998") is never read
        # as a name and a year.
        dated = _WITH_YEAR.fullmatch(text) if found is None else None
        if dated is None:
            return found
        # A name with the year autocomplete shows beside it ("hunter x hunter 1999", "Fate/stay night (2006)"),
        # not itself a name: the title of that year among those the name resolves to.
        named = self._resolve_text(dated["name"], allow_adult)
        year = int(dated["year"])
        if named is None:
            # A name several titles bear, which the year tells apart ("Mononoke (2007)", not the film Mononoke
            # Hime): the one of that year so named.
            q = normalize_name(dated["name"])
            exact = [self._animes[r] for r in self._exact_ranks(q, dated["name"])
                     if self._animes[r].year == year and (allow_adult or not self._adult[r])]
            return Resolution(exact[0]) if len(exact) == 1 else None
        of_year = [a for a in (named.anime, *named.alternatives) if a.year == year]
        return Resolution(of_year[0], tuple(of_year[1:])) if of_year else None

    def _resolve_text(self, text: str, allow_adult: bool) -> Resolution | None:
        """resolve_choice of text as it is (no year read off its end)."""
        linked = self._linked_rank(text)
        if linked is not None:
            return None if linked < 0 or not (allow_adult or not self._adult[linked]) else Resolution(
                self._animes[linked])
        q = normalize_name(text)
        if not q:
            return None
        series = self._series_ranks(q, allow_adult)
        named = self._exact_ranks(q, text)
        ranks = [r for r in named if allow_adult or not self._adult[r]]
        if named and not ranks:
            return None  # the name of a hidden title: not a slip of a visible one (its sequel, "…R")
        if ranks and not self._is_strong(q, ranks[0], self._strong) and self._word_of_more_watched(q, ranks[0]):
            return None  # "aria" is a synonym of a hentai OVA, and a word of ARIA The Animation's name: let them pick
        if ranks and not self._is_strong(q, ranks[0], self._primary):
            if (not self._is_strong(q, ranks[0], self._strong) and series and series[0] not in ranks
                    and max(self._now[r] for r in series) >= SYNONYM_OVERRIDE * self._now[ranks[0]]):
                ranks = []
            elif self._franchise_members[ranks[0]] >= SYNONYM_OVERRIDE * self._now[ranks[0]]:
                # ワンピース is the Japanese title of a recap only, but fans mean the series: let them pick.
                return None
        if ranks and series and self._franchise[series[0]] != self._franchise[ranks[0]] \
                and self._now[series[0]] >= SERIES_DOMINANCE * self._now[ranks[0]]:
            return None  # "mononoke": Mononoke (2007), or Mononoke Hime, watched 2.7 times as much? They pick.
        if not ranks:
            typo = self._fuzzy_resolve(q, allow_adult)
            if typo is None:
                return None
            ranks = typo or series
            base_rank = self._base_rank(q, allow_adult)
            base = None if base_rank is None else int(self._franchise[base_rank])
            if ranks and base is not None:
                # A later season of a name that means a title on its own is a season of that title's franchise,
                # or nothing clear: "sao 2nd season" is Sword Art Online II, not a slip of Shy 2nd Season;
                # "k-on 2" K-On!! (K-ON! Season 2), not KonoSuba 2, more watched, whose "kono" starts with "k";
                # "naruto 2" not Harukanaru Toki no Naka de 2; "nana 2nd season" no entry at all. Any other
                # answer is offered, never stored.
                own = [r for r in self._named_ranks(q) if self._franchise[r] == base and (allow_adult or not self._adult[r])]
                if len({int(self._work[r]) for r in own}) > 1:
                    own = []  # seasons of two works of the franchise: the member picks
                ranks = next((found for found in (typo, series, self._first_series_first(own))
                              if found and self._franchise[found[0]] == base), [])
        if not ranks:
            return None
        others = []
        if ranks is series and " " not in q:
            # One word that names a work: the most watched title of another franchise it is a word of, if at
            # least a SYNONYM_OVERRIDE-th as watched, comes first among the others ("dungeon" is DanMachi, three
            # times as watched, but Dungeon Meshi is offered).
            others = [r for r in self._named_ranks(q) if self._franchise[r] != self._franchise[ranks[0]]
                      and self._now[r] * SYNONYM_OVERRIDE >= self._now[ranks[0]] and (allow_adult or not self._adult[r])]
        alternatives = list(dict.fromkeys([*others[:1], *ranks[1:]]))[:MAX_ALTERNATIVES]
        return Resolution(self._animes[ranks[0]], tuple(self._animes[r] for r in alternatives))

    def is_official_name(self, text: str, anime: Anime) -> bool:
        """Whether text is one of the title's names that are not only a synonym (main, English, Japanese)."""
        rank = self._rank_of_id.get(anime.anime_id)
        return rank is not None and self._is_strong(normalize_name(text), rank, self._strong)

    def _word_of_more_watched(self, q: str, rank: int) -> bool:
        """Whether q (one word) is a whole word of an official name of a title of another work watched
        SERIES_DOMINANCE times as much as the title at ``rank``."""
        if " " in q:
            return False
        bar = SERIES_DOMINANCE * self._now[rank]
        entries = np.concatenate([self._bisect(self._word_keys, self._word_entries, q),
                                  self._bisect(self._prefix_keys, self._prefix_entries, q)])
        return any(self._entry_official[e] and self._now[r] >= bar and self._work[r] != self._work[rank]
                   and q in self._entry_names[e].split()
                   for e, r in zip(entries.tolist(), self._entry_ranks[entries].tolist()))

    def _base_rank(self, q: str, allow_adult: bool) -> int | None:
        """The rank of the title q names once its season words and numbers go ("sao 2nd season": Sword Art
        Online), when q has any and what is left resolves by itself; else None."""
        words = _name_words(q)
        if not words or len(words) == len(q.split()):
            return None
        found = self._resolve_text(" ".join(words), allow_adult)
        return self._rank_of_id[found.anime.anime_id] if found is not None else None

    def _season_choices(self, q: str, allow_adult: bool) -> list[int]:
        """For a season query that names no entry, up to SEASON_CHOICES series to offer, counted in air order
        from the named title with the parts of a season not counted: of its work, the season typed and the one
        after it, since a TV re-cut of a film counts for some fans and not others ("demon slayer season 2":
        Mugen Ressha-hen, then Yuukaku-hen), then the named title and the work's other series ("black bullet
        2", a season that never aired: Black Bullet). Empty unless q says one season and its name resolves."""
        seasons = _numbers_of(q, seasons=True)
        if len(seasons) != 1 or not (number := next(iter(seasons))).isdigit():
            return []
        base = self._base_rank(q, allow_adult)
        if base is None:
            return []
        of_work = sorted((r for r in np.flatnonzero(self._work == self._work[base]).tolist()
                          if self._animes[r].type == "TV" and (allow_adult or not self._adult[r])
                          and not any(_LATER_PART.search(name) for name in self._spellings[r])),
                         key=self._air_order)
        first = of_work.index(base) if base in of_work else 0  # "owarimonogatari 2" counts from Owarimonogatari
        nth = first + int(number) - 1
        typed = of_work[nth:nth + 2] if nth > first else []
        return list(dict.fromkeys(typed + of_work[first:] + of_work[:first]))[:SEASON_CHOICES]

    def _linked_rank(self, text: str) -> int | None:
        """The rank a link or id in text names; -1 when text is a link or id of no title here (it must not be
        read as a name: "https://myanimelist.net/anime/99999999" is no title, not a search); None for no link."""
        if text.isascii() and text.isdigit():
            # Typed digits are a name when a title's name is or starts with them (86 Eighty-Six, 2010, "91" for
            # 91 Days, which MAL id 91 is not), or when they are too short to be an id copied on purpose
            # (BARE_ID_DIGITS); else a MAL id, as someone who copied one means it ("5114"). Menus and buttons
            # name a title by id_text, never by bare digits.
            if len(text) < BARE_ID_DIGITS:
                return None
            q = normalize_name(text)
            starting = [self._rank_of_id[a.anime_id] for a in self.search(text, CHOICES_FOR_DIGITS)]
            if any(name.split()[:1] == [q] for r in starting for name in self._names(r)):
                return None
            return self._id_rank(text)
        mal = linked_mal_id(text)
        if mal is not None:
            return self._rank_of_id.get(mal, -1)
        found = _ANILIST_LINK.search(text)
        if found:
            return self._rank_of_anilist.get(int(found.group(1)[:12]), -1)
        return None

    def _id_rank(self, text: str) -> int | None:
        """The rank of the title whose MAL id ``text`` is, as digits; None for other text or an id of no title."""
        return self._rank_of_id.get(int(text)) if text.isascii() and text.isdigit() and len(text) <= 12 else None

    def _is_strong(self, q: str, rank: int, names: set[tuple[str, int]]) -> bool:
        """Whether q is one of these names (_strong: not only a synonym; _primary: the main or English) of the
        title at rank."""
        return any((key, rank) in names for key in self._keys(q))

    def _fuzzy_resolve(self, q: str, allow_adult: bool) -> list[int] | None:
        """Ranks of the work whose name q is a typo of (TYPO_EDITS), most popular first: a whole name, or
        its first words ("frieran" Sousou no Frieren, "mushoku tenesi"). Empty when no name is that close;
        None when two works are (ambiguous: "hoshi no ko" is a slip of Oshi no Ko and of Hoshi no Koe), or
        when q is literally part of other titles' names ("monogatari" is not a slip of Mononogatari)."""
        hits, distances = self._typo_hits(q, allow_adult)
        if not hits:
            return []
        best = min(hit[0] for hit in hits)
        wholes = {self._typo_names[i] for i in np.flatnonzero(distances == best)
                  if self._typo_kinds[i][0] and self._typo_kinds[i][1]}
        named = self._named_ranks(q)
        if len(wholes) == 1:  # a slip of one official name, whoever else bears it: as if typed right
            name = wholes.pop()
            ranks = {self._typo_ranks[i] for i in np.flatnonzero(distances == best) if self._typo_names[i] == name
                     and (allow_adult or not self._adult[self._typo_ranks[i]])}
            if named and ranks and all(int(self._work[named[0]]) != int(self._work[r]) for r in ranks):
                # What other titles' names say word for word is no slip ("witch" is not Switch), unless the
                # slip's title is far more watched: "hakyuu" starts Hakyuu Houshin Engi, but fans mean Haikyuu!!.
                # Let them pick.
                return None if max(self._now[r] for r in ranks) >= SERIES_DOMINANCE * self._now[named[0]] else []
            # Its main or English name before a Japanese one: "naurto" is Naruto, not NARUTO -ナルト- 疾風伝.
            return sorted(ranks, key=lambda r: (not self._is_strong(name, r, self._primary), r))
        works: dict[int, list[tuple[int, bool, bool]]] = {}
        for d, rank, official, whole in sorted(hits, key=itemgetter(1)):
            if d == best:
                works.setdefault(int(self._work[rank]), []).append((rank, official, whole))
        for hs in works.values():  # a whole name first: "naurto" is Naruto, not Naruto: Shippuuden
            hs.sort(key=lambda h: (not h[2], h[0]))
        top = min(works.values(), key=lambda hs: min(h[0] for h in hs))  # the work with the most popular title
        top_members = self._now[top[0][0]]

        def rival(hs: list[tuple[int, bool, bool]]) -> bool:
            """Another work as close: a whole official name of it always is; the first words of its names
            or a synonym only when it is about as watched."""
            members = self._now[hs[0][0]]
            if any(official and whole for _, official, whole in hs):
                return True
            override = SERIES_DOMINANCE if any(official for _, official, _ in hs) else SYNONYM_OVERRIDE
            return top_members < override * members

        if any(rival(hs) for hs in works.values() if hs is not top):
            return None
        if named and int(self._work[named[0]]) != int(self._work[top[0][0]]):
            return None
        entries = list(dict.fromkeys(rank for rank, _, _ in top))
        # A slip of one title's whole name is that title; the first words of a work's names are the work.
        return entries if top[0][2] else self._first_series_first(entries)

    def _typo_hits(self, q: str, allow_adult: bool) -> tuple[list[tuple[int, int, bool, bool]], np.ndarray]:
        """The names q is a typo of (TYPO_EDITS) as (edits, rank, official, whole), and the edits to every name,
        past the cutoff for a name that is no hit: "kuroko no basket 2" is two edits from Kuroko no Basket,
        which does not say 2, and so is no slip of it."""
        edits = _typo_edits(q)
        if not edits:
            return [], np.empty(0, np.int32)
        distances = np.full(len(self._typo_names), edits + 1, np.int32)  # cdist's value past the cutoff
        lo = bisect_left(self._typo_lengths, len(q) - edits)
        hi = bisect_right(self._typo_lengths, len(q) + edits)
        if hi > lo:
            distances[lo:hi] = process.cdist([q], self._typo_names[lo:hi], scorer=OSA.distance, score_cutoff=edits,
                                             dtype=np.int32, workers=1)[0]
        numbers, standalone = _NUMBER.findall(q), _standalone_numbers(q)
        short = _width(q.replace(" ", "")) < TYPO_SUBSTITUTION_WIDTH
        season = _says_season(q)
        hits = []
        for i in np.flatnonzero(distances <= edits).tolist():
            name = self._typo_names[i]
            if ((allow_adult or not self._adult[self._typo_ranks[i]])
                    and (_NUMBER.findall(name) == numbers)
                    # The numbers typed as numbers are its numbers, not in a word: "digimon adventure 3" is no
                    # slip of the film Digimon Adventure 3D (but "lv1 maou t one room yuusha" is one of Lv1 Maou to
                    # One Room Yuusha); and a season is never a film: "sora no otoshimono s3" is not Sora no
                    # Otoshimono Final, whose English name ends with 3.
                    and standalone <= _standalone_numbers(name)
                    and not (season and self._animes[self._typo_ranks[i]].type in _NOT_SEASONS)
                    and not (short and _is_substitution(q, name))
                    # One word that starts names letter for letter is no typo: _series_ranks decides that
                    # ("evangelion").
                    and (distances[i] or self._typo_kinds[i][1] or " " in q)):
                hits.append((int(distances[i]), self._typo_ranks[i], *self._typo_kinds[i]))
            else:
                distances[i] = edits + 1
        return hits, distances

    def _named_ranks(self, q: str) -> list[int]:
        """Ranks of the titles with an official name (no synonym) that q starts, or has every word of, or the
        initials of, with every number of q; most popular first."""
        # A word with a number in it that says no number alone ("3d", "r2") is a word of the name, and its
        # number is no season: "3d kanojo 3" is no 3D Kanojo title, whose only 3 is the one in "3D".
        glued = tuple(w for w in q.split() if _NUMBER.search(w) and not _is_number_word(w))
        said = " ".join(w for w in q.split() if w not in glued)
        numbers, seasons = _numbers_of(said), _numbers_of(said, seasons=True)
        is_season = _is_season_query(said)
        found = [np.array(self._acronyms.get(q.replace(" ", ""), ()), dtype=np.int64)]
        typed: list[tuple[str, ...]] = []  # each phrasing's words that are not season words or numbers
        for phrasing, franchises in self._phrasings(q):
            # Season words go: the numbers typed decide ("frieren season 2", "mob psycho 100 season 2" is "... II").
            words = _name_words(phrasing)
            typed.append(tuple(words))
            key = "".join(words)
            if len(words) > 1 and any(len(w) > 1 for w in words):  # "k-n!!" is no N.H.K ni Youkoso!
                entries = self._all_words_entries(" ".join(words))
                entries = entries[[self._has_words(e, words) for e in entries.tolist()]]
            elif len(words) == 1 and _width(key) >= MIN_SERIES_PREFIX:
                # A word of a name or, before a number, the start of one ("konosuba 2": KonoSuba: God's ... 2).
                entries = self._bisect(self._word_keys, self._word_entries, key)
                if key != phrasing.replace(" ", ""):
                    entries = np.concatenate([entries, self._bisect(self._prefix_keys, self._prefix_entries, key)])
            else:
                entries = np.empty(0, np.int64)
            if _width(phrasing.replace(" ", "")) >= MIN_SERIES_PREFIX:
                entries = np.concatenate([entries, self._bisect(self._prefix_keys, self._prefix_entries,
                                                                phrasing.replace(" ", ""))])
            ranks = self._entry_ranks[entries[self._entry_official[entries]]]
            found.append(ranks if franchises is None else ranks[np.isin(self._franchise[ranks], franchises)])
        out = []
        for r in np.unique(np.concatenate(found)).tolist():
            has, has_seasons = self._numbers[r], self._seasons[r]
            if glued and (numbers or seasons):
                besides = [" ".join(w for w in name.split() if not w.startswith(glued))
                           for name in self._names(r)]  # "3d彼女 リアルガール" has no 3 besides 3D's
                has = frozenset(n for name in besides for n in _numbers_of(name))
                has_seasons = frozenset(n for name in besides for n in _numbers_of(name, seasons=True))
            if numbers <= has and (not is_season or (
                    seasons <= has_seasons and self._animes[r].type not in _NOT_SEASONS
                    and (self._animes[r].type == "TV" or self._says_seasons(r, seasons, typed)))):
                out.append(int(r))
        return out

    def _has_words(self, entry: int, words: list[str]) -> bool:
        """Whether the entry's name has the words typed (each starting a word of it, as _all_words_entries
        found) as a name of them: a short word typed is a word of the name, not the start of a longer one
        ("k-oni!", a slip of K-On!, is not Oniichan dakedo Ai sae Areba Kankeinai yo ne!; "no-oin" not Wagaya no
        Oinari-sama; "r.o. ova" not Black★Rock Shooter (OVA)), a word typed twice is in the name twice
        ("girlfriend, girlfriend seaso 2" is no season of Rent-a-Girlfriend), and words typed in another order
        than the name's are whole words of it ("kaisen jujutsu", "galaxy tatami": a fan who puts a title's words
        out of order types them whole; "shin han" is not Yojouhan Shinwa Taikei, whose names have "han shinwa")."""
        name = self._entry_names[entry].split(" ")
        if not self._in_order(entry, words) and not set(words) <= set(name):
            return False
        for w, times in Counter(words).items():
            if _whole_word_only(w):
                if name.count(w) < times:
                    return False
            elif times > 1 and sum(word.startswith(w) for word in name) < times:
                return False
        return True

    def _in_order(self, entry: int, words: list[str]) -> bool:
        """Whether the words typed stand in the entry's name in the order typed, each starting a word of it after
        the last one's (spaces aside, as _starts_a_word reads them; a short word a whole word, as _has_words)."""
        compact, name, starts = self._compact[entry], self._entry_names[entry].split(" "), self._word_starts(entry)
        k = 0
        for w in words:
            whole = _whole_word_only(w)
            while k < len(name) and not (name[k] == w if whole else compact.startswith(w, starts[k])):
                k += 1
            if k == len(name):
                return False
            end = starts[k] + len(w)
            while k < len(name) and starts[k] < end:
                k += 1
        return True

    def _says_seasons(self, rank: int, seasons: frozenset[str], typed: list[tuple[str, ...]]) -> bool:
        """Whether a name of the title at rank says each of these season numbers as a season: beside a season
        word ("2nd season", "season 2", "s2") or right after the words typed ("gundam the origin 2": Mobile Suit
        Gundam The Origin II). An OVA's number can be anything else: "naruto season 3" is not Naruto Narutimate
        Hero 3, "hunter x hunter season 2" not Hunter x Hunter OVA 2 (Greed Island), "yu yu hakusho 2" not Yu
        Yu Hakusho: Eizou Hakusho II, nor its first & second volumes."""
        said: set[str] = set()
        for name in self._names(rank):
            words = name.split()
            for i, word in enumerate(words):
                numbers = _numbers_of(word) & seasons if _NUMBER_WORD.fullmatch(word) else frozenset()
                if numbers and ((i and words[i - 1] in _SEASON_WORDS)
                                or any(t and tuple(words[max(i - len(t), 0):i]) == t for t in typed)
                                or (i + 1 < len(words) and words[i + 1] in _SEASON_WORDS)
                                or (word[:1] == "s" and word[1:].isdigit())):
                    said |= numbers
        return seasons <= said

    def _phrasings(self, q: str) -> list[tuple[str, np.ndarray | None]]:
        """q, and q with a leading abbreviation spelled out as each official name of the titles it is a
        synonym of ("jjk season 2" -> "jujutsu kaisen season 2"), each with the franchises whose titles it may
        name (None: any)."""
        first, _, rest = q.partition(" ")
        franchises = self._abbreviated.get(first)
        return [(q, None)] + [(f"{name} {rest}".strip(), franchises) for name in self._abbreviations.get(first, ())
                              if rest]

    def _series_ranks(self, q: str, allow_adult: bool) -> list[int]:
        """Ranks of the entries of the one work that q starts the names of, or has the words or the initials
        of, most popular first; empty unless that work's most popular entry has SERIES_DOMINANCE times the
        members of any other work so named ("one" names One Piece and One Punch Man; "precure" twenty series).
        Every number typed must be in the entry's names: "frieren season 2" is the 2nd Season, "frieren season
        5" nothing."""
        ranks = self._named_ranks(q)
        if not ranks or (not allow_adult and self._adult[ranks[0]]):
            return []  # what the name means most is hidden here, not a sibling entry of it
        top = self._animes[ranks[0]]
        if " " not in q and q in self._acronyms:
            if self._now[ranks[0]] < ONE_WORD_MEMBERS and not self._is_strong(q, ranks[0], self._strong):
                # Initials name a series fans shorten ("jjk", "snk"), not any title of three words: "ski", a slip
                # of Saki, is no Soukou Kijo Iris (7,000 members), whose initials nobody types for it.
                return []
        elif " " not in q:
            propers = [normalize_name(_SUBTITLE.split(name, 1)[0]) for name in (top.name, top.english, top.japanese)
                       if name]
            if not any(q in proper.split() for proper in propers):
                # One word cut short names a word, not a series ("ghibli" is not Ghiblies), and a word of a
                # subtitle alone names no series ("yotsuba" is not Naruto: Akaki Yotsuba no Clover wo Sagase),
                # nor one of a synonym ("scale" is not Sword Art Online: Ordinal Scale, though a synonym of it
                # has no colon): its main, English or Japanese name, before any subtitle, has the word.
                return []
            if self._now[ranks[0]] < ONE_WORD_MEMBERS and q not in propers:
                # "punpun" is Oyasumi Punpun, which has no anime, not Punpun Polka (176 members); but the whole
                # name before a subtitle names its title, however little known ("maquia": MAQUIA: When the
                # Promised Flower Blooms, a film no MyAnimeList count reaches here).
                return []
        work = self._work[ranks[0]]
        rivals = [r for r in ranks if self._work[r] != work]
        if rivals and self._now[ranks[0]] < SERIES_DOMINANCE * self._now[rivals[0]]:
            return []
        # Words that name a title of another franchise with no members count at all (a film or OVA known from
        # bangumi-data alone) as well cannot be outdone by a count: "memory snow" is Re:Zero's OVA as much as
        # Hakuoki's. (One word is a name's start or word, where the count's rule stands: "geass", "mononoke".)
        if " " in q and any(self._now[r] == 0 and self._franchise[r] != self._franchise[ranks[0]] for r in rivals):
            return []
        # Words that name a film and a TV re-cut of one story, and not the work's first series, name either:
        # "mugen train" is the 2020 film (no count here) or the 2021 TV re-cut of it. Its first series, not its
        # first entry: "gundam wing" names Mobile Suit Gundam Wing (TV), whose work an older OVA joined.
        named = [r for r in ranks if self._work[r] == work]
        entries = np.flatnonzero(self._work == work).tolist()
        first = min([r for r in entries if self._animes[r].type == "TV"] or entries, key=self._air_order)
        if first not in named and {"TV", "Movie"} <= {self._animes[r].type for r in named}:
            return []
        # Two series of one story (a remake: Fullmetal Alchemist and its Brotherhood) are both fair answers,
        # however unequal their audiences, short of a spin-off's; a film retelling beside a series is not (Evangelion).
        if any(self._franchise[r] == self._franchise[ranks[0]] and self._animes[r].type == top.type == "TV"
               and self._now[ranks[0]] < SYNONYM_OVERRIDE * self._now[r] for r in rivals):
            return []
        return self._first_series_first([r for r in ranks if self._work[r] == work and (allow_adult or not self._adult[r])])

    def _air_order(self, rank: int) -> tuple[str, int]:
        """Sort key of the title at rank by when it first aired (undated last; rank breaks ties)."""
        return self._animes[rank].start_date or "9999", rank

    def _first_series_first(self, entries: list[int]) -> list[int]:
        """Entries of one work (ranks, most popular first) with its first series (by air date; a film or OVA
        only in a work without one) moved first: the name of a work, or its first words, is what fans call
        its first season. The most watched entry can be a later season with a newer count (Initial D Fifth
        Stage's 168,803 members against First Stage's 68,128, counted in 2016). Not a first series that the
        most watched entry outdoes SERIES_DOMINANCE times on one scale (members_now): Osomatsu-san (2015),
        not the Osomatsu-kun of 1988."""
        series = [r for r in entries if self._animes[r].type == "TV"] or entries
        first = min(series, key=self._air_order, default=None)
        if first is None or first == entries[0]:
            return entries
        if self._now[entries[0]] > SERIES_DOMINANCE * self._now[first]:
            return entries
        return sorted(entries, key=lambda r: r != first)  # stable: the others, most popular first

    def suggest(self, text: str, n: int = 3, *, allow_adult: bool = True) -> list[Anime]:
        """Candidates to offer ("did you mean ...?") for text that did not resolve; empty when nothing is close."""
        q = normalize_name(text[:MAX_QUERY_CHARS])
        if not q:
            return []
        # The titles with a whole name it is a typo of come first, closest then most popular: "hoshi no ko" offers
        # [Oshi no Ko] and Hoshi no Koe, though more names start with what was typed (Hoshi no Ko Chobin).
        hits, _ = self._typo_hits(q, allow_adult)
        typos = [self._animes[rank] for _, rank, _, _ in sorted(hits, key=lambda h: (not h[3], h[0], h[1]))] \
            or self._short_slips(q, allow_adult)
        # The name of a title that fans use for its far more watched franchise (ワンピース is a recap's Japanese
        # title; resolve_choice leaves the pick to them): the franchise's most watched entry is offered first.
        series = [self._animes[int(np.flatnonzero(self._franchise == self._franchise[r])[0])]
                  for r in self._exact_ranks(q, text)[:1]
                  if self._franchise_members[r] >= SYNONYM_OVERRIDE * self._now[r]]
        # The last two places are the names that start with, or have, what was typed: "hakyuu" offers Haikyuu!!
        # first, and Hakyuu Houshin Engi, whose name it starts, too. Those names come first when they are far
        # more watched than the slips: "kimetsu" is Kimetsu no Yaiba before Kizetsu Yuusha to Ansatsu Hime.
        searched = self.search(text, n, allow_adult=allow_adult)
        typos = typos[:max(1, n - 2)]
        if typos and searched and self._now[self._rank_of_id[searched[0].anime_id]] >= \
                SERIES_DOMINANCE * self._now[self._rank_of_id[typos[0].anime_id]]:
            typos, searched = searched, typos
        seasons = [self._animes[r] for r in self._season_choices(q, allow_adult)]
        found = list(dict.fromkeys(series + seasons + typos + searched))[:n]
        # Entries of one franchise that its most watched entry is not among ("eva": four films and a recap) offer
        # that entry first, when its names have every word typed (its start, or a slip of it): the start of a
        # name fans type for a franchise is its best-known title (the TV series), but "gundam wing" is not
        # Gundam: Iron-Blooded Orphans.
        franchises = Counter(int(self._franchise[self._rank_of_id[a.anime_id]]) for a in found).most_common(1)
        if franchises and franchises[0][1] >= 2:
            top = int(np.flatnonzero(self._franchise == franchises[0][0])[0])

            def has(words: list[str], typed: str) -> bool:
                edits = _typo_edits(typed)
                return any(w.startswith(typed) or OSA.distance(w, typed, score_cutoff=edits) <= edits for w in words)

            names = [name.split() for name in self._names(top)]
            if self._animes[top] not in found and (allow_adult or not self._adult[top]) and any(
                    all(has(words, typed) for typed in q.split()) for words in names):
                found = [self._animes[top], *found[: n - 1]]
        # Digits read as a name ("91": 91 Days) may have been meant as a MAL id: that title is offered too.
        rank = self._id_rank(text.strip())
        if rank is not None and (allow_adult or not self._adult[rank]) and self._animes[rank] not in found:
            found = [*found[: n - 1], self._animes[rank]]
        return found

    def _short_slips(self, q: str, allow_adult: bool) -> list[Anime]:
        """The titles with a name or first word that q, a word too short for _typo_hits (SHORT_SLIP_WIDTH letters
        on), is a slip of: one letter dropped, added or two swapped (a changed one makes another short word as
        easily); whole names first ("bloo": Blood+, then Blood Lad), most popular first; none when q is itself
        such a name or first word. Only ever offered: a slip of a short name is as likely another word."""
        if not (q.isascii() and q.isalpha() and SHORT_SLIP_WIDTH <= len(q) < TYPO_EDITS[-1][0]):
            return []
        if q in self._short_words:  # a name, or a word names start with ("aria"): the search offers those
            return []
        ranks: set[tuple[bool, int]] = set()
        for length in range(len(q) - 1, len(q) + 2):
            keys, of_key = self._short_keys.get(length, ([], []))
            if keys:
                distances = process.cdist([q], keys, scorer=OSA.distance, score_cutoff=1, dtype=np.int32, workers=1)[0]
                ranks.update(r for i in np.flatnonzero(distances == 1).tolist()
                             if not _is_substitution(q, keys[i]) for r in of_key[i])
        return list(dict.fromkeys(self._animes[r] for _, r in sorted(ranks) if allow_adult or not self._adult[r]))

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


# members_growth: a size band (a power of ten of the 2016 count) takes its own median growth when this
# many titles with both counts fall in it, else the median over all of them.
GROWTH_BAND_TITLES = 30


def members_growth(animes: Iterable[Anime]) -> Callable[[int], float]:
    """How a 2016 members count has grown since, by its size: the median of newest / 2016 over the titles
    both counts are known for (1.0 when none is), per power of ten of the 2016 count. Measured on the
    built catalog's 1,879 such titles (TV series of 2006-2016): x2.1 from 10,000 to 100,000 members, x2.8
    from 100,000 to a million, x2.5 over all."""
    ratios: dict[int, list[float]] = {}
    for a in animes:
        if a.members_2016 and not a.counted_2016_only:
            ratios.setdefault(_size_band(a.members_2016), []).append(a.members / a.members_2016)
    everything = [r for band in ratios.values() for r in band]
    overall = float(np.median(everything)) if everything else 1.0
    by_band = {band: float(np.median(r)) for band, r in ratios.items() if len(r) >= GROWTH_BAND_TITLES}
    return lambda members: by_band.get(_size_band(members), overall)


def _size_band(members: int) -> int:
    return int(math.log10(max(members, 1)))


@lru_cache(maxsize=4)
def _load(path: str, titles_path: str | None) -> Catalog:
    return Catalog.from_table(load_catalog_table(path), None if titles_path is None else load_catalog_titles(titles_path))
