"""Build animerec's title catalog: one row per MyAnimeList id, old (2016) and new (2017-2026) titles alike.

Inputs (read-only, see each folder's README for provenance and licences):
  anime.csv                      the 2016 MAL catalog the recommender was trained on
  mal-2018/{titles,relations,dates}.csv
  catalog-2026/ate329-all_anime.csv, bangumi-data-items.json, arm.json, anime-relations.txt

Outputs (gzip with a fixed mtime, so a rebuild from the same inputs is byte-identical):
  catalog.csv.gz   one row per MAL id (schema in CATALOG_COLUMNS)
  titles.csv.gz    long table anime_id,kind,title (kind: main, english, japanese, synonym, zh-Hans, zh-Hant)
  links.csv.gz     the evidence behind work/franchise ids: anime_id,related_id,level,evidence
  genre_map.md     the 2016 -> 2020 genre vocabulary table (rendered from OLD_GENRE_MAP)
  build_stats.json counts used by report.md and the coverage check

Usage: python -m animerec.recsys.catalog.build --data ../shared/data [--out animerec/data/catalog]
(the default --out is the package's data folder, where the committed tables live; animerec.recsys.data reads them)
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from animerec.recsys.data import CATALOG_DIR

# --------------------------------------------------------------------------------------------------------------------
# Genre vocabulary
# --------------------------------------------------------------------------------------------------------------------
# MAL's 2020 vocabulary has three axes. Titles in ate329 already carry it; 2016-only titles are mapped into it so that
# a 2010 and a 2024 psychological thriller both come out as genres=Suspense, themes=Psychological.
#
# old 2016 label -> (axis, 2020 label). Axis is "genres", "themes" or "demographics". The "note" column of
# genre_map.md explains the non-obvious rows; the agreement figures there are measured on the 1,879 titles that are
# in both anime.csv and ate329 (see genre_agreement()).
OLD_GENRE_MAP: dict[str, tuple[str, str]] = {
    # unchanged genres
    "Action": ("genres", "Action"),
    "Adventure": ("genres", "Adventure"),
    "Comedy": ("genres", "Comedy"),
    "Drama": ("genres", "Drama"),
    "Ecchi": ("genres", "Ecchi"),
    "Fantasy": ("genres", "Fantasy"),
    "Hentai": ("genres", "Hentai"),
    "Horror": ("genres", "Horror"),
    "Mystery": ("genres", "Mystery"),
    "Romance": ("genres", "Romance"),
    "Sci-Fi": ("genres", "Sci-Fi"),
    "Slice of Life": ("genres", "Slice of Life"),
    "Sports": ("genres", "Sports"),
    "Supernatural": ("genres", "Supernatural"),
    # renamed genres
    "Thriller": ("genres", "Suspense"),
    "Dementia": ("genres", "Avant Garde"),
    "Shounen Ai": ("genres", "Boys Love"),
    "Yaoi": ("genres", "Boys Love"),
    "Shoujo Ai": ("genres", "Girls Love"),
    "Yuri": ("genres", "Girls Love"),
    # genres that became themes under the same name
    "Harem": ("themes", "Harem"),
    "Historical": ("themes", "Historical"),
    "Martial Arts": ("themes", "Martial Arts"),
    "Mecha": ("themes", "Mecha"),
    "Military": ("themes", "Military"),
    "Music": ("themes", "Music"),
    "Parody": ("themes", "Parody"),
    "Psychological": ("themes", "Psychological"),
    "Samurai": ("themes", "Samurai"),
    "School": ("themes", "School"),
    "Space": ("themes", "Space"),
    "Super Power": ("themes", "Super Power"),
    "Vampire": ("themes", "Vampire"),
    # genres that became themes under another name
    "Cars": ("themes", "Racing"),
    "Demons": ("themes", "Mythology"),
    "Game": ("themes", "Strategy Game"),
    "Police": ("themes", "Detective"),
    # "Magic" was dropped; see map_old_genres() for the Shoujo case
    "Magic": ("genres", "Fantasy"),
    # demographics
    "Josei": ("demographics", "Josei"),
    "Kids": ("demographics", "Kids"),
    "Seinen": ("demographics", "Seinen"),
    "Shoujo": ("demographics", "Shoujo"),
    "Shounen": ("demographics", "Shounen"),
}
GENRE_MAP_NOTES = {
    "Magic": "with Shoujo: theme Mahou Shoujo instead (81% of such titles carry it now, 6% carry Fantasy)",
    "Demons": "MAL dropped Demons; most former Demons titles now carry Mythology",
    "Game": "MAL's Game became Strategy Game; video-game settings (SAO) were re-tagged Video Game, "
    "which the 2016 label cannot tell apart",
    "Police": "MAL dropped Police; Detective is the closest theme",
    "Slice of Life": "kept, but MAL removed it from many titles in 2020 (only about a third kept it)",
    "Parody": "also implies genre Comedy (every ate329 Parody title has it)",
    "Martial Arts": "also implies genre Action (96% of ate329 Martial Arts titles have it)",
    "Space": "also implies genre Sci-Fi (97% of ate329 Space titles have it)",
    "Yaoi": "MAL merged Shounen Ai/Yaoi; explicit titles are flagged by Hentai, not here",
    "Yuri": "MAL merged Shoujo Ai/Yuri; explicit titles are flagged by Hentai, not here",
}
# A 2020 theme that MAL always pairs with a genre: add the genre to mapped 2016 rows so they look like new ones.
IMPLIED_GENRES = {"Parody": "Comedy", "Martial Arts": "Action", "Space": "Sci-Fi"}


def map_old_genres(labels: Iterable[str]) -> dict[str, list[str]]:
    """Map a 2016 genre list onto the 2020 genres/themes/demographics axes (sorted, deduplicated)."""
    labels = [label.strip() for label in labels if label and label.strip()]
    out: dict[str, set[str]] = {"genres": set(), "themes": set(), "demographics": set()}
    for label in labels:
        if label not in OLD_GENRE_MAP:
            raise ValueError(f"2016 genre {label!r} has no entry in OLD_GENRE_MAP")
        axis, new = OLD_GENRE_MAP[label]
        # Old MAL tagged magical-girl shows "Magic, Shoujo"; today they are theme Mahou Shoujo and rarely Fantasy.
        if label == "Magic" and "Shoujo" in labels:
            axis, new = "themes", "Mahou Shoujo"
        out[axis].add(new)
    for theme, genre in IMPLIED_GENRES.items():
        if theme in out["themes"]:
            out["genres"].add(genre)
    return {axis: sorted(values) for axis, values in out.items()}


# --------------------------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------------------------
TYPE_FROM_BANGUMI = {"tv": "TV", "movie": "Movie", "ova": "OVA", "web": "ONA"}
SEASON_OF_MONTH = {1: "winter", 2: "winter", 3: "winter", 4: "spring", 5: "spring", 6: "spring",
                   7: "summer", 8: "summer", 9: "summer", 10: "fall", 11: "fall", 12: "fall"}


def split_list(value: object, sep: str) -> list[str]:
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(sep) if part.strip()]


def join_list(values: Iterable[str]) -> str:
    return "|".join(values)


def clean_title(value: object) -> str | None:
    """Unescape HTML entities (anime.csv has &#039; etc.) and trim; None for empty."""
    if not isinstance(value, str):
        return None
    text = html.unescape(html.unescape(value)).strip()  # a few names are double-escaped (&amp;#039;)
    return text or None


def bangumi_date(value: object) -> str | None:
    """bangumi-data stores times in UTC; Japanese air dates are JST (UTC+9), e.g. 2015-12-24T16:00Z is 12-25."""
    if not isinstance(value, str) or not value:
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_convert("Asia/Tokyo") if ts.tzinfo else ts).strftime("%Y-%m-%d")


# --------------------------------------------------------------------------------------------------------------------
# Loaders: each returns plain DataFrames keyed by MAL id, so that a newer copy of a file with the same fields loads too.
# --------------------------------------------------------------------------------------------------------------------
def load_anime_2016(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"anime_id": "int64", "episodes": "string"})
    df["name"] = df["name"].map(clean_title)
    df["episodes"] = pd.to_numeric(df["episodes"], errors="coerce").astype("Int64")  # "Unknown" -> NA
    df["genre_list"] = df["genre"].map(lambda g: split_list(g, ","))
    return df


def load_mal2018(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    titles = pd.read_csv(folder / "titles.csv", dtype={"anime_id": "int64"})
    relations = pd.read_csv(folder / "relations.csv", dtype={"anime_id": "int64", "related_id": "int64"})
    relations = relations[relations["related_id"] > 0]  # a few edges point at id 0
    dates = pd.read_csv(folder / "dates.csv", dtype={"anime_id": "int64"})
    return titles, relations, dates


def load_ate329(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"mal_id": "int64"})
    for col in ("title", "title_english", "title_japanese"):
        df[col] = df[col].map(clean_title)
    df["episodes"] = pd.to_numeric(df["episodes"], errors="coerce").astype("Int64")
    return df


def load_bangumi(path: Path) -> pd.DataFrame:
    """One row per (bangumi item, MAL id). Items without a MAL id are kept with mal_id NA (counted, not catalogued)."""
    items = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for index, item in enumerate(items):
        sites: dict[str, list[str]] = defaultdict(list)
        for site in item.get("sites", []):
            sites[site.get("site", "")].append(str(site.get("id", "")))
        translations = item.get("titleTranslate") or {}
        tmdb = next(iter(sites.get("tmdb", [])), None)
        tmdb_tv = re.match(r"tv/(\d+)", tmdb) if tmdb else None
        mal_ids: list[int | None] = [int(m) for m in sites.get("mal", []) if m.isdigit()] or [None]
        for mal_id in mal_ids:
            rows.append({
                "item": index,
                "mal_id": mal_id,
                "type": TYPE_FROM_BANGUMI.get(item.get("type", ""), None),
                "title_ja": clean_title(item.get("title")),
                "titles_en": [t for t in map(clean_title, translations.get("en", [])) if t],
                "titles_zh_hans": [t for t in map(clean_title, translations.get("zh-Hans", [])) if t],
                "titles_zh_hant": [t for t in map(clean_title, translations.get("zh-Hant", [])) if t],
                "start_date": bangumi_date(item.get("begin")),
                "end_date": bangumi_date(item.get("end")),
                "anilist_id": next((int(a) for a in sites.get("aniList", []) if a.isdigit()), None),
                "tmdb": tmdb,
                "tmdb_tv": int(tmdb_tv.group(1)) if tmdb_tv else None,
            })
    df = pd.DataFrame(rows)
    for col in ("mal_id", "anilist_id", "tmdb_tv"):
        df[col] = df[col].astype("Int64")
    return df


def load_arm(path: Path) -> pd.DataFrame:
    rows = [r for r in json.loads(path.read_text(encoding="utf-8")) if r.get("mal_id") and r.get("anilist_id")]
    df = pd.DataFrame(rows, columns=["mal_id", "anilist_id"]).astype("int64")
    # 4 MAL ids map to two AniList ids; keep the lowest (the original entry) so the choice is reproducible.
    return df.sort_values(["mal_id", "anilist_id"]).drop_duplicates("mal_id")


RULE_RE = re.compile(r"^-\s*([\d?~]+)\|[\d?~]+\|[\d?~]+:[^ ]+\s*->\s*([\d?~]+)\|[\d?~]+\|[\d?~]+:\S+")


def load_anime_relations(path: Path) -> list[tuple[int, int]]:
    """MAL id pairs (source, destination) from erengy/anime-relations rules; self-redirects and unknowns dropped."""
    pairs = []
    in_rules = False
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("::"):
            in_rules = line == "::rules"
            continue
        match = RULE_RE.match(line) if in_rules else None
        if not match:
            continue
        src, dst = match.groups()
        if dst == "~":
            dst = src
        if src.isdigit() and dst.isdigit() and src != dst:
            pairs.append((int(src), int(dst)))
    return pairs


# --------------------------------------------------------------------------------------------------------------------
# Titles: normalisation and sequel markers, used to attach post-2018 titles (no MAL relation edges) to known works.
# --------------------------------------------------------------------------------------------------------------------
def norm_title(text: str) -> str:
    """Casefold, NFKC (full-width -> ASCII, Ⅱ -> II), punctuation to spaces: '[Oshi no Ko]' == 'Oshi no Ko'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("'", "").replace("’", "")
    text = re.sub(r"[^\w]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


_ORD = r"(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
_KANJI_NUM = r"[一二三四五六七八九十]+"
_CJK = r"[\u3040-\u30ff\u3400-\u9fff々〆]"
# Each pattern must match a whole run of words at the *end* of a normalised title and marks another instalment of
# the same work: a season, part, cour, arc or final chapter. Stripped repeatedly: "x 3rd season part 2" -> "x".
SEQUEL_MARKERS = [
    r"(?:the )?final season(?: (?:part|cour) \d+| kanketsu hen)?",
    rf"{_ORD} season(?: (?:part|cour) (?:\d+|ii|iii))?",
    r"season ?\d+(?: (?:part|cour) \d+)?",
    r"s\d{1,2}",
    r"(?:part|cour) (?:\d+|ii|iii|iv)",
    rf"{_ORD} (?:part|cour)",
    r"(?:ii|iii|iv|vi|vii|viii|ix)",
    r"[0-9]|[12][0-9]|30",  # bare "2" (not "00" as in "Gundam 00", "87", or a year)
    r"(?:zoku|kan|dai \d+ ki|\d+ ki)",
    rf"第?(?:\d+|{_KANJI_NUM})(?:期|シーズン|シリーズ|クール|章)",
    r"シーズン ?\d+",
    r"(?:完結編|最終章|後編|前編|続編|弐|参|肆|伍|陸|漆|捌|玖)",
    rf"{_CJK}+[篇編]",  # arcs: "銀魂 愛染香篇" (Latin "-hen" arcs need a colon, see title_proposals)
]
# Markers of a side entry of the same work (MAL files these as Side story / Summary, i.e. work edges).
SIDE_MARKERS = [
    r"(?:ova|oad|ona|ovas|specials?|sp|recaps?|picture drama|mini anime|the movie|movie(?: \d+)?|film|gaiden|"
    r"特別編|総集編|番外編|特番|外伝|オリジナルエピソード)",
]
SEQUEL_PREFIXES = r"(?:zoku|続)"
SIDE_PREFIXES = r"(?:gekijouban|劇場版|映画|eiga|ova|oad)"
_SEQUEL_FULL = re.compile("|".join(SEQUEL_MARKERS))
_SIDE_FULL = re.compile("|".join(SIDE_MARKERS))
_YEAR_FULL = re.compile(r"(?:19|20)\d\d|tv")  # "Fruits Basket (2019)", "Hunter x Hunter (TV)": another work
# Japanese markers are often glued to the title: "ダンジョン...だろうかⅡ", "生徒会役員共2", "ネコぱらOVA".
_CJK_TAIL = re.compile(rf"^(.*?{_CJK})((?:ii|iii|iv)|[2-9]|第?(?:\d+|{_KANJI_NUM})(?:期|シーズン|シリーズ|クール|章)|"
                       r"完結編|最終章|後編|前編|特別編|総集編|番外編|ova|oad)$")
# "Kimetsu no Yaiba: Yuukaku-hen": an arc after a colon is the same work as the part before it.
_ARC_TAIL = re.compile(r"(?:\w+ ){0,4}\w+ hen(?: |$)")
# A head ending in a particle is not a title of its own ("Mahou Shoujo ni | Akogarete").
_PARTICLE_END = re.compile(r"\b(?:no|ni|wa|ga|wo|to|de|mo|e|na|yo|ka|the|a|of|and|in)$")


def _marker_kind(suffix: str) -> str | None:
    if _YEAR_FULL.fullmatch(suffix):
        return "remake"
    if _SEQUEL_FULL.fullmatch(suffix):
        return "sequel"
    if _SIDE_FULL.fullmatch(suffix):
        return "side"
    return None


def strip_markers(norm: str) -> list[tuple[str, str]]:
    """All (base, kind) reachable by stripping instalment markers from a normalised title, longest base first.

    kind is "sequel" (season/part/arc), "side" (OVA/movie/special) or "remake" (a trailing year or "(TV)");
    when several markers are stripped, a remake marker wins, otherwise the outermost marker decides.
    """
    out: dict[str, str] = {}
    frontier = [(norm, "")]
    while frontier:
        text, kind = frontier.pop(0)
        words = text.split(" ")
        steps = []
        for k in range(1, len(words)):
            marker = _marker_kind(" ".join(words[k:]))
            if marker:
                steps.append((" ".join(words[:k]), marker))
        if len(words) > 1:
            if re.fullmatch(SEQUEL_PREFIXES, words[0]):
                steps.append((" ".join(words[1:]), "sequel"))
            if re.fullmatch(SIDE_PREFIXES, words[0]):
                steps.append((" ".join(words[1:]), "side"))
        glued = _CJK_TAIL.match(text)
        if glued:
            steps.append((glued.group(1), "side" if _SIDE_FULL.fullmatch(glued.group(2)) else "sequel"))
        for base, marker in steps:
            combined = "remake" if "remake" in (kind, marker) else (kind or marker)
            if not base or base in out or base == norm or (base.isdigit() and len(base) < 2):
                continue
            out[base] = combined
            frontier.append((base, combined))
    return sorted(out.items(), key=lambda pair: -len(pair[0]))


def is_cjk(text: str) -> bool:
    return re.search(_CJK, text) is not None


def distinctive(norm: str, strong_delimiter: bool) -> bool:
    """A bare prefix (no instalment marker) must be distinctive: 'vinland saga' or 'horimiya' yes, 'saga' or 'fate' no.

    A Latin prefix cut at a space ("Mahou Shoujo ni Akogarete" -> "Mahou Shoujo") needs more than one cut at a colon.
    Japanese titles use spaces only between name and subtitle, so there a space is as good as a colon. The thresholds
    were chosen on the 2016 titles, whose MAL relations are known.
    """
    if is_cjk(norm):
        return len(norm.replace(" ", "")) >= (4 if strong_delimiter else 6)
    words = norm.split(" ")
    if strong_delimiter:
        return (len(norm) >= 8 and len(words) >= 2) or (len(words) == 1 and len(norm) >= 7 and not norm.isdigit())
    return len(norm) >= 14 and len(words) >= 3


# Where a title's own name may end: colon, tilde, spaced dash, "!"/"?" before a word, brackets, a dash or space
# next to Japanese text, or (weakly, see distinctive) any space.
_DELIMITERS = re.compile(rf"\s*[:：~〜～]\s*|\s+[-–]\s+|\s*[!?！？]+\s+|\s*[(（「『【〈《＜<]|(?<={_CJK})\s*[-‐－/]|"
                         rf"\s*[-‐－/]\s*(?={_CJK})|(?<={_CJK})(?=[A-Za-z])|\s")


_GLUED_FILM_HEAD = 4  # film_heads: the fewest characters of a Japanese title glued to a film's subtitle
# A film/recap prefix: "劇場版 X 副題", "映画ドラえもん ...", "劇場総集編 X", "特別編 X".
_FILM_PREFIX = re.compile(r"^(?:劇場版|劇場総集編|劇場編集版|映画|特別編|総集編|gekijouban|eiga)(?:総集編)?\s*(?=\S)",
                          re.IGNORECASE)


def title_heads(name: str) -> tuple[bool, str, list[tuple[str, bool, str]]]:
    """(has a film prefix, body without it, [(head, strong, tail)]) for each place the name may end.

    strong: a punctuation delimiter, or a space after Japanese text. The bare switch from Japanese to Latin script
    ("美少女戦士セーラームーン|Cosmos") is a place the name may end, but not a strong one.
    """
    film = _FILM_PREFIX.match(name)
    body = name[film.end():] if film else name
    heads = []
    for match in _DELIMITERS.finditer(body):
        head, tail = norm_title(body[:match.start()]), norm_title(body[match.end():])
        if head:
            script_switch = match.group(0) == ""
            strong = match.group(0).strip() != "" or (is_cjk(head) and not script_switch)
            heads.append((head, strong, tail))
    return film is not None, body, heads


def film_heads(body: str, heads: list[tuple[str, bool, str]]) -> list[str]:
    """Where a film's name (``body``, after its film prefix; ``heads``, title_heads') may end with no strong
    delimiter: a space in Latin script after two words or more ("劇場版 SPY×FAMILY CODE: White"), and any place
    between two Japanese characters of a name glued to its subtitle, four characters in or more
    ("劇場版メイドインアビス深き魂の黎明").
    Only a known title of that exact name takes the film in (title_edges), and a film prefix is rare outside
    films of a series; the short or one-word heads a strong delimiter allows stay out (measured on the 2016
    catalog: benchmarks/franchise_joins.py)."""
    out = [head for head, strong, _ in heads if not strong and not is_cjk(head) and len(head.split(" ")) >= 2
           and not _PARTICLE_END.search(head)]
    first = _DELIMITERS.search(body)
    glued = body[: first.start()] if first else body
    if is_cjk(glued):
        # Cut only between two Japanese characters: "機動戦士ガンダム00" is not a film of 機動戦士ガンダム.
        out += [norm_title(glued[:k]) for k in range(_GLUED_FILM_HEAD, len(glued)) if is_cjk(glued[k - 1])
                and is_cjk(glued[k])]
    return out


def title_proposals(name: str) -> list[tuple[str, str]]:
    """(base, kind) pairs under which a title could attach to an earlier entry titled `base` (normalised).

    kinds: sequel / side / remake from strip_markers, and "prefix" for a distinctive head cut at a delimiter
    ("Boku no Hero Academia: Vigilantes"). A head followed by a marker and a subtitle ("Ore dake Level Up na Ken
    Season 2: Arise from the Shadow") counts as the marker's kind; a head of a film ("劇場版 X 副題") counts as side.
    Sorted by kind strength, then longest base.
    """
    norm = norm_title(name)
    found: dict[str, str] = {}

    def add(base: str, kind: str) -> None:
        if base and base != norm and (base not in found or KIND_PRIORITY[kind] < KIND_PRIORITY[found[base]]):
            found[base] = kind

    for base, kind in strip_markers(norm):
        add(base, kind)
    film, body, heads = title_heads(name)
    if film:
        add(norm_title(body), "side")  # "映画ざんねんないきもの事典" is a film of "ざんねんないきもの事典"
    for head, strong, tail in heads:
        # Markers before a subtitle count only at a real delimiter: "X Season 2: Subtitle" yes, but the space cut
        # "Mobile Suit Gundam 00 | Special Edition" would read "00" as a season number.
        if strong:
            for base, kind in strip_markers(head):
                add(base, kind)
            if _ARC_TAIL.match(tail):
                add(head, "sequel")
    if film:
        for head in film_heads(body, heads):
            add(head, "side")
    for head, strong, _ in heads:
        if head in found or _PARTICLE_END.search(head):
            continue
        if film and strong and (len(head) >= 5 or len(head.split(" ")) >= 2 or (is_cjk(head) and len(head) >= 2)):
            # A film of X is filed by MAL as a side story of X (same work); the film prefix makes a short X safe.
            add(head, "side")
        elif distinctive(head, strong or is_cjk(head)):
            # (a Japanese head cut where Latin script starts, "機動戦士ガンダム|SEED FREEDOM", claims only the
            # franchise: "劇場版 美少女戦士セーラームーン|Cosmos" is a film of the Crystal remake, not of the 1992 work)
            add(head, "prefix")
    return sorted(found.items(), key=lambda pair: (KIND_PRIORITY[pair[1]], -len(pair[0])))


# Strongest first. sequel/side are work links; the rest franchise links. "same_name" is an exact title match
# ("Digimon Adventure:" 2020 vs "Digimon Adventure" 1999), "shared_prefix" two titles with one distinctive name
# before a colon ("Code Geass: Rozé of the Recapture" and "Code Geass: Hangyaku no Lelouch").
KIND_PRIORITY = {"sequel": 0, "side": 1, "remake": 2, "prefix": 3, "same_name": 4, "shared_prefix": 5}
# Kinds precise enough to pick among candidates of several franchises (the latest earlier one wins).
_RESOLVING_KINDS = {"sequel", "side", "remake"}


# --------------------------------------------------------------------------------------------------------------------
# Union-find over MAL ids, for works and franchises.
# --------------------------------------------------------------------------------------------------------------------
class UnionFind:
    def __init__(self, items: Iterable[int]):
        self.parent = {i: i for i in items}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller id becomes the root so that ids are stable under input order.
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo

    def groups(self) -> dict[int, int]:
        """item -> smallest MAL id of its group (used as work_id / franchise_id)."""
        return {i: self.find(i) for i in self.parent}


# MAL relation kinds: entries of one work, entries of one franchise, and kinds that link different franchises.
WORK_RELATIONS = {"Sequel", "Prequel", "Parent story", "Side story", "Summary", "Full story"}
FRANCHISE_RELATIONS = {"Spin-off", "Alternative version"}
# Kinds that link different works (Steins;Gate <-> Robotics;Notes, cameos, commercials): never joined on their own.
OTHER_WORK_RELATIONS = {"Alternative setting", "Character", "Other"}

# Crossover entries ("Lupin III vs. Detective Conan", "Mazinger Z tai Devilman") are side stories of two franchises
# and would glue them into one work. find_crossovers cuts such an entry loose when its title names two neighbour
# groups that have nothing else in common.
CROSSOVER_SPLIT = re.compile(r"\s+(?:vs\.?|versus|tai|x|plus|meets)\s+|\s*[×&]\s*", re.IGNORECASE)
_CROSSOVER_STOP = {"no", "the", "a", "of", "to", "and", "wa", "wo", "ga", "ni", "de", "movie", "ova", "special",
                   "specials", "tv", "film", "gekijouban", "the movie", "collab", "cm"}


def _title_words(text: str) -> set[str]:
    return {w for w in norm_title(text).split(" ") if w and w not in _CROSSOVER_STOP and not w.isdigit()}


def find_crossovers(ids: set[int], edges: list[tuple[int, int]], main_title: dict[int, str],
                    titles_of: dict[int, list[str]]) -> set[int]:
    """Entries whose title splits (at vs / tai / x / plus / × / &) into parts naming two different neighbour groups.

    With the candidates removed, neighbours fall into groups (connected components). A candidate is a crossover if
    some group uses all the words of part p (and not of any other part) and another group those of part q != p:
    "Lupin III vs. Detective Conan" has a Lupin group and a Conan group; "Pokemon Diamond & Pearl" does not (its
    later group says both "diamond" and "pearl", its earlier one neither), nor does "Girls & Panzer".
    """
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    parts_of = {}
    for n in neighbours:
        # Only the main title: English titles split on "&" too often ("Pokemon: Black & White").
        title = main_title.get(n, "")
        first = CROSSOVER_SPLIT.search(title)
        if len(neighbours[n]) < 2 or not first:
            continue
        # Drop a subtitle after the crossing: "Ninja Hattori-kun Plus Perman: Chounouryoku Wars".
        subtitle = re.search(r":|\s-\s|[~〜]", title[first.end():])
        if subtitle:
            title = title[:first.end() + subtitle.start()]
        parts_of[n] = [_title_words(p) for p in CROSSOVER_SPLIT.split(title)]
    candidates = set(parts_of)
    uf = UnionFind(ids)
    for a, b in edges:
        if a not in candidates and b not in candidates:
            uf.union(a, b)
    group_words: dict[int, set[str]] = defaultdict(set)
    for i in ids:
        if i not in candidates:
            for title in titles_of.get(i, []):
                group_words[uf.find(i)] |= _title_words(title)
    crossovers = set()
    for n, parts in parts_of.items():
        # words unique to each part ("mahou no princess minky momo" vs "mahou no tenshi creamy mami")
        unique = [p - set().union(*(q for j, q in enumerate(parts) if j != k)) for k, p in enumerate(parts)]
        named: dict[int, set[int]] = defaultdict(set)  # part index -> groups naming only that part
        for g in {uf.find(m) for m in neighbours[n] if m not in candidates}:
            # a group names a part if it uses all of that part's own words ("great mazinger", not just "robo")
            hits = [k for k, u in enumerate(unique) if u and u <= group_words[g]]
            if len(hits) == 1:
                named[hits[0]].add(g)
        groups = set().union(*named.values()) if named else set()
        if len(named) >= 2 and len(groups) >= 2:
            crossovers.add(n)
    return crossovers


# --------------------------------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------------------------------
CATALOG_COLUMNS = [
    "anime_id", "anilist_id", "title", "title_english", "title_japanese", "type", "episodes", "status",
    "start_date", "end_date", "season", "year", "members_2016", "members_latest", "score_2016", "score_latest",
    "genres", "themes", "demographics", "tags_source", "age_rating", "adult", "adult_evidence", "studios", "source",
    "work_id", "franchise_id", "in_sources",
]
TITLE_KINDS = ["main", "english", "japanese", "synonym", "zh-Hans", "zh-Hant"]


def first_valid(*series: pd.Series) -> pd.Series:
    """Row-wise first non-null value across aligned Series (priority order = argument order)."""
    out = series[0].copy()
    for s in series[1:]:
        out = out.where(out.notna(), s)
    return out


def _rows(df: pd.DataFrame) -> Iterable[Any]:
    """A frame's rows as named tuples: their values are whatever the columns hold, untyped to mypy."""
    return df.itertuples(index=False)


SLIP_NAME_WORDS = 5


def _names_another(title: str, mal_id: int, mains: Mapping[str, set[int]]) -> bool:
    """Whether a bangumi-data English title ends with another MyAnimeList id's main name after words of its own:
    a slip in its data ("Raw Anime Q Transformers: Kaette Kita Convoy no Nazo" among Snow White with the Red
    Hair's English titles), shown as the title's English name where MyAnimeList's is shared by its seasons."""
    words = title.split()
    # A name of SLIP_NAME_WORDS words or more: a shorter one ends titles of its own ("The First Slam Dunk",
    # "Insomniacs after school").
    return any(ids and mal_id not in ids for ids in (mains.get(" ".join(words[k:]).casefold()) for k in
                                                       range(1, len(words) - SLIP_NAME_WORDS + 1)))


def build_titles(anime: pd.DataFrame, mal_titles: pd.DataFrame, ate: pd.DataFrame,
                 bangumi: pd.DataFrame) -> pd.DataFrame:
    # (anime_id, kind, title): itertuples' values are untyped; the frame below drops the missing and casts the ids.
    rows: list[tuple[Any, str, Any]] = []
    # ate329 first: it is MAL as of 2026, so its romaji wins over the 2016 name when both exist.
    for r in _rows(ate):
        rows += [(r.mal_id, "main", r.title), (r.mal_id, "english", r.title_english),
                 (r.mal_id, "japanese", r.title_japanese)]
        rows += [(r.mal_id, "synonym", clean_title(s)) for s in split_list(r.title_synonyms, "|")]
    rows += [(r.anime_id, "main", r.name) for r in _rows(anime)]
    rows += [(r.anime_id, r.kind, clean_title(r.title)) for r in _rows(mal_titles)]
    mains: dict[str, set[int]] = defaultdict(set)  # MyAnimeList's main names, for bangumi-data's slips below
    for mal_id, kind, title in rows:
        if kind == "main" and isinstance(title, str):
            mains[title.casefold()].add(int(mal_id))
    for r in _rows(bangumi[bangumi["mal_id"].notna()]):
        mal_id = int(r.mal_id)
        rows.append((mal_id, "japanese", r.title_ja))
        rows += [(mal_id, "english", t) for t in r.titles_en if not _names_another(t, mal_id, mains)]
        rows += [(mal_id, "zh-Hans", t) for t in r.titles_zh_hans]
        rows += [(mal_id, "zh-Hant", t) for t in r.titles_zh_hant]
    titles = pd.DataFrame(rows, columns=["anime_id", "kind", "title"]).dropna()
    titles["anime_id"] = titles["anime_id"].astype("int64")
    titles["order"] = range(len(titles))
    # Exactly one main title per id (the first, i.e. ate329's); an id may have several english/japanese titles.
    main = titles[titles["kind"] == "main"].drop_duplicates("anime_id")
    titles = pd.concat([main, titles[titles["kind"] != "main"]])
    titles = titles.drop_duplicates(["anime_id", "kind", "title"])
    # A synonym equal to another kind's title adds nothing for search.
    other = set(zip(titles.loc[titles["kind"] != "synonym", "anime_id"],
                    titles.loc[titles["kind"] != "synonym", "title"]))
    in_other = pd.Series([(a, t) in other for a, t in zip(titles["anime_id"], titles["title"])], index=titles.index)
    is_dup_syn = (titles["kind"] == "synonym") & in_other
    titles = titles[~is_dup_syn]
    titles["kind_rank"] = titles["kind"].map({k: i for i, k in enumerate(TITLE_KINDS)})
    return titles.sort_values(["anime_id", "kind_rank", "order"])[["anime_id", "kind", "title"]].reset_index(drop=True)


def derive_season(start: pd.Series) -> tuple[pd.Series, pd.Series]:
    dates = pd.to_datetime(start, errors="coerce", format="%Y-%m-%d")
    return dates.dt.month.map(SEASON_OF_MONTH), dates.dt.year.astype("Int64")


# A start date may lie this far outside its premiered season (MAL's season of a show that starts on
# 28 December is the next one) before in_season takes the season's word for it.
SEASON_SLACK_DAYS = 31
SEASON_FIRST_MONTH = {"winter": 1, "spring": 4, "summer": 7, "fall": 10}


def in_season(start: pd.Series, end: pd.Series, season: pd.Series, year: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Start (and end) dates made to agree with MAL's premiered season where they contradict it: mal-2018
    dates Nekomonogatari: Kuro and Tsukimonogatari a year late (2013-12-31 for a Fall 2012 special that
    aired on 31 December 2012), which puts Kuro after Monogatari Second Season, and a few 2016-only
    shows in 2018 with a season in the 2000s. The date takes the season's year when that puts it in the
    season, else the season's first day. The end date moves by as much where it was the start date too
    (a one-day special) or would now come before the start; otherwise only the start year was off
    (Seikai no Monshou ended on 27 March 1999, as the data says). Dates within SEASON_SLACK_DAYS of their
    season, and those with no season, stay as they are."""
    first = pd.to_datetime(pd.DataFrame({"year": year.astype("Float64"), "month": season.map(SEASON_FIRST_MONTH),
                                         "day": 1}), errors="coerce")
    dated = pd.to_datetime(start, errors="coerce", format="%Y-%m-%d")
    slack = pd.Timedelta(days=SEASON_SLACK_DAYS)

    def inside(d: pd.Series) -> pd.Series:
        return (d >= first - slack) & (d < first + pd.DateOffset(months=3) + slack)

    wrong = dated.notna() & first.notna() & ~inside(dated)
    if not wrong.any():
        return start, end
    same_year = pd.to_datetime(pd.DataFrame({"year": year.astype("Float64"), "month": dated.dt.month,
                                             "day": dated.dt.day}), errors="coerce")
    fixed = same_year.where(inside(same_year), first)
    shift = (fixed - dated).where(wrong)
    ended = pd.to_datetime(end, errors="coerce", format="%Y-%m-%d")
    start = start.where(~wrong, fixed.dt.strftime("%Y-%m-%d"))
    moves = wrong & ended.notna() & ((ended == dated) | (ended < fixed))
    end = end.where(~moves, (ended + shift).dt.strftime("%Y-%m-%d"))
    return start, end


def assemble_rows(anime: pd.DataFrame, dates: pd.DataFrame, ate: pd.DataFrame, bangumi: pd.DataFrame,
                  arm: pd.DataFrame, titles: pd.DataFrame) -> pd.DataFrame:
    """Every non-link column of the catalog. Source priority: ate329 (MAL 2026) > anime.csv/mal-2018 > bangumi."""
    bgm = bangumi[bangumi["mal_id"].notna()].copy()
    bgm["mal_id"] = bgm["mal_id"].astype("int64")
    # One MAL id can be split over several bangumi items (e.g. each year of a long show): widest date span, first type.
    bgm_by_id = bgm.sort_values(["mal_id", "start_date"]).groupby("mal_id").agg(
        bgm_type=("type", "first"), bgm_start=("start_date", "min"), bgm_end=("end_date", "max"),
        bgm_anilist=("anilist_id", "first"))

    ids = sorted(set(anime["anime_id"]) | set(ate["mal_id"]) | set(bgm_by_id.index))
    cat = pd.DataFrame({"anime_id": ids}).set_index("anime_id", drop=False)
    a16 = anime.set_index("anime_id")
    a26 = ate.set_index("mal_id")
    d18 = dates.set_index("anime_id")
    arm_s = arm.set_index("mal_id")["anilist_id"]

    def col(frame: pd.DataFrame, name: str) -> pd.Series:
        return frame[name].reindex(cat.index)

    cat["in_sources"] = [
        join_list(name for name, member in (("mal2016", i in a16.index), ("ate329", i in a26.index),
                                            ("bangumi", i in bgm_by_id.index)) if member)
        for i in ids
    ]
    cat["anilist_id"] = first_valid(arm_s.reindex(cat.index).astype("Int64"),
                                    col(bgm_by_id, "bgm_anilist").astype("Int64"))
    main = titles[titles["kind"] == "main"].set_index("anime_id")["title"]
    english = titles[titles["kind"] == "english"]
    # An English title on several MAL ids is a series name reused per season ("MY HERO ACADEMIA"), or a copy-paste
    # slip in bangumi-data (a Precure film titled "Gundam Breaker Battlogue"): searchable, but not a display title.
    shared = english.groupby("title")["anime_id"].transform("nunique") > 1
    first_en = english[~shared].drop_duplicates("anime_id").set_index("anime_id")["title"]
    first_ja = titles[titles["kind"] == "japanese"].drop_duplicates("anime_id").set_index("anime_id")["title"]
    # bangumi-only titles have no romaji: show the English translation, else the Japanese title.
    cat["title"] = first_valid(main.reindex(cat.index), first_en.reindex(cat.index), first_ja.reindex(cat.index))
    cat["title_english"] = first_en.reindex(cat.index)
    cat["title_japanese"] = first_ja.reindex(cat.index)
    # bangumi-data files a TV special as "tv": one aired on a single day (BNHA's "No.170+1 More", Kaguya-sama's
    # 2025 New Year's Eve special) is no series, and as "TV" it was a new work's entry, or the season a member
    # behind on a series was sent to (MyAnimeList types these "TV Special").
    one_day = (col(bgm_by_id, "bgm_start") == col(bgm_by_id, "bgm_end")).fillna(False)
    bgm_type = col(bgm_by_id, "bgm_type").mask(one_day & (col(bgm_by_id, "bgm_type") == "TV"), "Special")
    cat["type"] = first_valid(col(a26, "type"), col(a16, "type"), bgm_type)
    cat["episodes"] = first_valid(col(a26, "episodes"), col(a16, "episodes")).astype("Int64")
    cat["status"] = col(a26, "status")
    cat["start_date"] = first_valid(col(a26, "aired_from").str[:10], col(d18, "start_date"), col(bgm_by_id, "bgm_start"))
    cat["end_date"] = first_valid(col(a26, "aired_to").str[:10], col(d18, "end_date"), col(bgm_by_id, "bgm_end"))
    # MAL's own season (ate329, or mal-2018 "Spring 2013") where there is one; else the season of the start date.
    premiered = col(d18, "premiered").str.extract(r"^(\w+) (\d{4})$")
    season_from_date, year_from_date = derive_season(cat["start_date"])
    cat["season"] = first_valid(col(a26, "season").str.lower(), premiered[0].str.lower(), season_from_date)
    cat["year"] = first_valid(col(a26, "year").astype("Int64"), pd.to_numeric(premiered[1]).astype("Int64"),
                              year_from_date).astype("Int64")
    cat["start_date"], cat["end_date"] = in_season(cat["start_date"], cat["end_date"], cat["season"], cat["year"])
    cat["members_2016"] = col(a16, "members").astype("Int64")
    cat["members_latest"] = first_valid(col(a26, "members").astype("Int64"), cat["members_2016"]).astype("Int64")
    cat["score_2016"] = col(a16, "rating")
    cat["score_latest"] = first_valid(col(a26, "score"), cat["score_2016"])

    # Genres: ate329 rows already use the 2020 vocabulary; 2016-only rows are mapped.
    mapped = col(a16, "genre_list").map(lambda g: map_old_genres(g) if isinstance(g, list) else None)
    for axis in ("genres", "themes", "demographics"):
        old = mapped.map(lambda m, axis=axis: join_list(m[axis]) if m else None)
        new = col(a26, axis).map(lambda v: join_list(sorted(split_list(v, "|"))) if isinstance(v, str) else None)
        in_ate = pd.Series(cat.index.isin(a26.index), index=cat.index)
        cat[axis] = new.where(in_ate, old).replace("", None)

    cat["age_rating"] = col(a26, "rating")
    cat["studios"] = col(a26, "studios")
    cat["source"] = col(a26, "source")
    return cat.reset_index(drop=True)


def adult_flags(cat: pd.DataFrame, anime: pd.DataFrame, ate: pd.DataFrame) -> pd.DataFrame:
    """adult in {yes, no, unknown} with the evidence used. The bot should gate everything that is not "no".

    - yes: MAL marks it (genre Hentai in 2016 or 2026, rating "Rx - Hentai", is_hentai).
    - no: MAL metadata exists and does not mark it (ate329 row, or a 2016 row with a genre list).
    - bangumi-only (no MAL metadata here): bangumi-data lists broadcast/theatrical/streaming releases; of the 5,250
      bangumi items that are also in anime.csv only 6 are Hentai (3 Mushi Pro art films of 1969-73, 3 OVAs), against
      34% of all 2016 OVAs. So TV (its one-day specials typed Special), movie and web items -> no (evidence
      bangumi:type); OVAs -> no only if their work
      (sequel/side-story group) has MAL-rated members and none is adult (evidence work), else unknown.
    Work-based evidence is applied after work ids exist (see finish_adult).
    """
    hentai16 = set(anime.loc[anime["genre_list"].map(lambda g: "Hentai" in g), "anime_id"])
    rated16 = set(anime.loc[anime["genre_list"].map(bool), "anime_id"])
    ate_adult = ate["rating"].fillna("").str.startswith("Rx") | ate["is_hentai"].astype(str).eq("True") | \
        ate["genres"].fillna("").str.contains(r"\bHentai\b")
    hentai26 = set(ate.loc[ate_adult, "mal_id"])
    rated26 = set(ate["mal_id"])
    adult, evidence = [], []
    for i, typ, genres in zip(cat["anime_id"], cat["type"], cat["genres"].fillna("")):
        if i in hentai26 or i in hentai16 or "Hentai" in genres.split("|"):
            adult.append("yes")
            evidence.append("mal:hentai")
        elif i in rated26:
            adult.append("no")
            evidence.append("mal:ate329")
        elif i in rated16:
            adult.append("no")
            evidence.append("mal:2016_genres")
        elif i in set(anime["anime_id"]):
            adult.append("unknown")  # in anime.csv without any genre list: nothing to go on
            evidence.append("none")
        elif typ in ("TV", "Special", "Movie", "ONA"):  # a bangumi-only Special is a one-day TV broadcast
            adult.append("no")
            evidence.append("bangumi:type")
        else:
            adult.append("unknown")
            evidence.append("none")
    return cat.assign(adult=adult, adult_evidence=evidence)


def finish_adult(cat: pd.DataFrame) -> pd.DataFrame:
    """Lift bangumi-only OVAs to "no" when their work has MAL-rated members and none of them is adult."""
    rated = cat[cat["adult_evidence"].str.startswith("mal:")]
    work_has_adult = rated.groupby("work_id")["adult"].agg(lambda s: bool((s == "yes").any()))
    safe_works = set(work_has_adult[~work_has_adult].index)
    lift = (cat["adult"] == "unknown") & (~cat["in_sources"].str.contains("mal2016")) & cat["work_id"].isin(safe_works)
    cat.loc[lift, ["adult", "adult_evidence"]] = ["no", "work"]
    return cat


def inherit_tags(cat: pd.DataFrame, ate_ids: set[int], old_ids: set[int]) -> pd.DataFrame:
    """Give bangumi-only entries (films, OVAs, web series after 2016) the tags of their work's best-known entry.

    A film of a TV series shares its genres; without this the recommender would see no genres at all for them.
    tags_source says where the tags come from: ate329 (MAL 2026), mal2016 (mapped), work (inherited), or empty.
    """
    has_own = cat[["genres", "themes", "demographics"]].notna().any(axis=1)
    source = pd.Series(pd.NA, index=cat.index, dtype="string")
    source[cat["anime_id"].isin(old_ids) & has_own] = "mal2016"
    source[cat["anime_id"].isin(ate_ids)] = "ate329"
    donors = cat[has_own].sort_values(["members_latest", "anime_id"], ascending=[False, True], na_position="last")
    donors = donors.drop_duplicates("work_id").set_index("work_id")
    needs = ~has_own & ~cat["anime_id"].isin(old_ids | ate_ids) & cat["work_id"].isin(donors.index)
    for axis in ("genres", "themes", "demographics"):
        cat.loc[needs, axis] = cat.loc[needs, "work_id"].map(donors[axis])
    source[needs] = "work"
    return cat.assign(tags_source=source)


def verify(cat: pd.DataFrame, titles: pd.DataFrame, links: pd.DataFrame, anime: pd.DataFrame, ate: pd.DataFrame,
           bangumi: pd.DataFrame) -> list[dict]:
    """The checks the build must pass; main() prints them and exits non-zero if one fails."""
    out_ids = set(cat["anime_id"])
    bgm_ids = set(bangumi["mal_id"].dropna().astype(int))
    checks = []

    def check(name: str, ok: bool, detail: object) -> None:
        checks.append({"check": name, "ok": bool(ok), "detail": str(detail)})

    for source, ids in (("every anime.csv id", set(anime["anime_id"])), ("every ate329 id", set(ate["mal_id"])),
                        ("every bangumi item's MAL id", bgm_ids)):
        missing = ids - out_ids
        check(f"{source} is in the catalog", not missing, f"{len(ids)} ids, {len(missing)} missing")
    check("anime_id is unique", bool(cat["anime_id"].is_unique), f"{len(cat)} rows")
    check("every row has a display title", bool(cat["title"].notna().all()), int(cat["title"].isna().sum()))
    mains = titles[titles["kind"] == "main"]["anime_id"]
    check("one main title per MAL-catalogued id", mains.is_unique and set(mains) == set(anime["anime_id"]) |
          set(ate["mal_id"]), f"{len(mains)} main titles")
    per_work = cat.groupby("work_id")["franchise_id"].nunique()
    check("each work lies in one franchise", bool((per_work == 1).all()), f"{int((per_work > 1).sum())} works split")
    check("adult is yes/no/unknown", bool(cat["adult"].isin(["yes", "no", "unknown"]).all()), cat["adult"].value_counts()
          .to_dict())
    check("links point at catalog ids", bool(links["anime_id"].isin(out_ids).all() and links["related_id"].isin(out_ids)
          .all()), f"{len(links)} links")
    for mal_id, name in ((52991, "Sousou no Frieren"), (40748, "Jujutsu Kaisen")):
        row = cat[cat["anime_id"] == mal_id]
        check(f"{mal_id} is {name}", len(row) == 1 and row["title"].iloc[0] == name,
              row["title"].tolist())
    return checks


# --------------------------------------------------------------------------------------------------------------------
# Works and franchises
# --------------------------------------------------------------------------------------------------------------------
def relation_edges(relations: pd.DataFrame, ids: set[int], starts: Mapping[int, str | None] | None = None
                   ) -> list[tuple[int, int, str, str]]:
    """One edge per related pair, its level decided from the relation names of *both* directions.

    MAL's "Parent story" is the reverse of both "Side story" (same work) and "Spin-off" (Gundam -> Gundam Wing), so a
    single direction cannot be trusted: Sequel/Prequel either way -> work (unless only one of two ids that both list
    their relations says so -> franchise); a Spin-off, Alternative version, or a
    different-work kind (Other, Character, Alternative setting) either way -> at most franchise; a lone one-way
    "Parent story" -> franchise; otherwise (Side story, Parent story, Summary, Full story) -> work; only
    different-work kinds -> no edge. With ``starts`` (anime id -> ISO start date), a Sequel/Prequel pair that
    only places two stories on one timeline is a franchise link (timeline_links).
    """
    rel = relations[relations["anime_id"].isin(ids) & relations["related_id"].isin(ids)]
    listed = set(relations["anime_id"])  # ids whose own relation lists are in the file (the 2016 catalog)
    kinds: dict[tuple[int, int], set[str]] = defaultdict(set)
    directions: dict[tuple[int, int], set[int]] = defaultdict(set)
    for a, kind, b in rel[["anime_id", "relation", "related_id"]].itertuples(index=False):
        if a != b:
            kinds[(min(a, b), max(a, b))].add(kind)
            directions[(min(a, b), max(a, b))].add(a)
    edges = []
    for (a, b), names in sorted(kinds.items()):
        label = "mal2018:" + "/".join(sorted(names))
        one_way = len(directions[(a, b)]) == 1
        if names & {"Sequel", "Prequel"}:
            # A sequel edge that the other side, which does list its own relations, does not confirm is often a
            # chronology or remake link (Gegege no Kitarou: Jigoku-hen -> every Kitarou remake): franchise only.
            confirmable = a in listed and b in listed
            edges.append((a, b, "franchise" if one_way and confirmable else "work", label))
        elif names & (FRANCHISE_RELATIONS | OTHER_WORK_RELATIONS):
            if names - OTHER_WORK_RELATIONS:
                edges.append((a, b, "franchise", label))
        elif names == {"Parent story"} and one_way:
            # No reverse edge to tell Side story from Spin-off (Gundam Build Fighters -> Mobile Suit Gundam).
            edges.append((a, b, "franchise", label))
        elif names & WORK_RELATIONS:
            edges.append((a, b, "work", label))
    if starts is not None:
        timeline = timeline_links(rel, starts)
        edges = [(a, b, "franchise" if (a, b) in timeline and level == "work" else level, label)
                 for a, b, level, label in edges]
    return edges


def timeline_links(relations: pd.DataFrame, starts: Mapping[int, str | None]) -> set[tuple[int, int]]:
    """Pairs (lo, hi) that MyAnimeList files as Sequel/Prequel but whose "sequel" aired before its "prequel".

    MAL chains titles by in-universe time: Maetel Legend (2000) is a prequel of Galaxy Express 999 (1978), which
    joined Captain Harlock to Galaxy Express 999 through Harlock Saga; Mobile Suit Gundam Unicorn (2010) is a
    prequel of F91 (1991), which joined every Universal Century Gundam since. A story told later about an earlier
    time is another work of the franchise: a fan of the original has not thereby seen it, and may well want it
    (Kizumonogatari for a Bakemonogatari fan). ``starts`` gives each anime id's ISO start date (None: unknown)."""
    story = relations[relations["relation"].isin({"Sequel", "Prequel"})]
    start = {a: d for a, d in starts.items() if isinstance(d, str) and d}
    out = set()
    for a, kind, b in story[["anime_id", "relation", "related_id"]].itertuples(index=False):
        first, then = (a, b) if kind == "Sequel" else (b, a)  # MAL: ``then`` comes after ``first``
        if first in start and then in start and start[then] < start[first]:
            out.add((min(a, b), max(a, b)))
    return out


def tmdb_edges(bangumi: pd.DataFrame, ids: set[int]) -> list[tuple[int, int, str, str]]:
    """Items sharing a TMDB tv/N id are seasons/specials of one show: chain them in air order."""
    bgm = bangumi[bangumi["mal_id"].notna() & bangumi["tmdb_tv"].notna()]
    edges = []
    for _, group in bgm.sort_values(["start_date", "mal_id"]).groupby("tmdb_tv"):
        members = list(dict.fromkeys(int(m) for m in group["mal_id"] if int(m) in ids))
        edges += [(a, b, "work", "bangumi:tmdb_tv") for a, b in zip(members, members[1:])]
    return edges


def _shared_head_ok(head: str) -> bool:
    """A name shared before a colon must be longer than one Latin word ("Mission: ..." names unrelated shows)."""
    if _PARTICLE_END.search(head) or not distinctive(head, True):
        return False
    return is_cjk(head) or len(head.split(" ")) >= 2


def title_edges(cat: pd.DataFrame, titles: pd.DataFrame, targets_uf: UnionFind, link_ids: set[int],
                target_ids: set[int]) -> tuple[list[tuple[int, int, str, str]], Counter]:
    """Attach each id in link_ids to an earlier entry in target_ids by title (see title_proposals, KIND_PRIORITY).

    Titles are linked in air order and each accepted link joins targets_uf (a copy), so "Shaman King: Flowers" sees
    "Shaman King (2021)" already joined to "Shaman King". Among several candidates the latest earlier entry is the
    one continued ("Fruits Basket 2nd Season" -> the 2019 remake). A candidate name matching entries of several
    franchises is skipped as ambiguous, except for sequel/side/remake markers, where the latest earlier entry wins.
    """
    uf = UnionFind(targets_uf.parent)
    uf.parent = dict(targets_uf.parent)
    dated = cat[cat["start_date"].notna()]
    start: dict[int, str] = dict(zip(dated["anime_id"].astype(int).tolist(), dated["start_date"].astype(str).tolist()))
    members = cat.set_index("anime_id")["members_latest"].fillna(0)
    usable = titles[titles["kind"].isin(["main", "english", "japanese"])]
    full: dict[str, set[int]] = defaultdict(set)
    head_index: dict[str, set[int]] = defaultdict(set)
    for i, t in zip(usable["anime_id"], usable["title"]):
        if i in target_ids:
            full[norm_title(t)].add(i)
            for head, strong, _ in title_heads(t)[2]:
                if strong and ":" in t and _shared_head_ok(head):
                    head_index[head].add(i)
    by_id = usable[usable["anime_id"].isin(link_ids)].groupby("anime_id")["title"].apply(list)
    order = sorted(by_id.index, key=lambda i: (start.get(i, "9999"), i))
    stats: Counter = Counter()
    edges = []
    for i in order:
        proposals: list[tuple[str, str, set[int]]] = []
        for name in by_id[i]:
            norm = norm_title(name)
            proposals += [(base, kind, full.get(base, set())) for base, kind in title_proposals(name)]
            if distinctive(norm, True):  # "Hana" or "花" name too many unrelated things
                proposals.append((norm, "same_name", full.get(norm, set())))
            if ":" in name:
                proposals += [(h, "shared_prefix", head_index.get(h, set())) for h, strong, _ in title_heads(name)[2]
                              if strong and _shared_head_ok(h)]
        # A title that carries a year or "(TV)" ("Gegege no Kitarou (2018)") is a new production: whatever else its
        # titles say ("ゲゲゲの鬼太郎(第6期)"), it joins the franchise, not the work.
        remake = any(kind == "remake" for base, kind, _ in proposals)
        best = None  # (priority, -base_len, target, level, evidence)
        for base, kind, found in proposals:
            cands = {c for c in found if c != i}
            # Only entries that started no later than this one can be what it continues.
            if i in start:
                cands = {c for c in cands if c not in start or start[c] <= start[i]}
            if not cands:
                continue
            if len({uf.find(c) for c in cands}) > 1 and kind not in _RESOLVING_KINDS:
                stats[f"ambiguous:{kind}"] += 1
                continue
            target = max(cands, key=lambda c: (start.get(c, ""), members.get(c, 0), -c))
            if remake and kind in ("sequel", "side"):
                kind = "remake"
            level = "work" if kind in ("sequel", "side") else "franchise"
            proposal = (KIND_PRIORITY[kind], -len(base), target, level, f"title:{kind}")
            if best is None or proposal < best:
                best = proposal
        if best:
            edges.append((i, best[2], best[3], best[4]))
            uf.union(i, best[2])
            stats[best[4]] += 1
        else:
            stats["unmatched"] += 1
    return edges, stats


def link_works(cat: pd.DataFrame, titles: pd.DataFrame, relations: pd.DataFrame, bangumi: pd.DataFrame,
               rule_pairs: list[tuple[int, int]], old_ids: set[int]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    ids = set(cat["anime_id"])
    title_of = dict(zip(cat["anime_id"], cat["title"].fillna("")))
    latin = titles[titles["kind"].isin(["main", "english"])]
    grouped = latin.groupby("anime_id")["title"].apply(list)
    titles_of: dict[int, list[str]] = dict(zip(grouped.index.astype(int).tolist(), grouped.tolist()))
    edges = relation_edges(relations, ids, {int(a): d if isinstance(d, str) else None
                                             for a, d in zip(cat["anime_id"], cat["start_date"])})
    edges += [(a, b, "work", "anime-relations") for a, b in rule_pairs if a in ids and b in ids]
    edges += tmdb_edges(bangumi, ids)

    # Cut crossovers before anything is joined; each keeps one edge to the franchise its title names first.
    crossovers = find_crossovers(ids, [(a, b) for a, b, _, _ in edges], title_of, titles_of)
    kept = []
    for a, b, level, ev in edges:
        x = a if a in crossovers else b if b in crossovers else None
        if x is None:
            kept.append((a, b, level, ev))
    uf_pre = UnionFind(ids)
    for a, b, _, _ in kept:
        uf_pre.union(a, b)
    for x in sorted(crossovers):
        head = norm_title(title_of[x])
        partners = [b if a == x else a for a, b, _, _ in edges if x in (a, b)]
        # the partner whose title starts the crossover's title ("Lupin III vs. Detective Conan" -> Lupin III)
        named = sorted((p for p in partners if p not in crossovers and norm_title(title_of[p])
                        and head.startswith(norm_title(title_of[p]).split(" ")[0])), key=lambda p: p)
        if named:
            kept.append((x, named[0], "franchise", "crossover:home"))

    # Title matching for titles that MAL relations cannot reach: everything not in the 2016 catalog.
    uf_fr = UnionFind(ids)
    for a, b, _, _ in kept:
        uf_fr.union(a, b)
    new_ids = ids - old_ids
    t_edges, t_stats = title_edges(cat, titles, uf_fr, new_ids, ids)
    kept += t_edges

    uf_work, uf_franchise = UnionFind(ids), UnionFind(ids)
    for a, b, level, _ in kept:
        uf_franchise.union(a, b)
        if level == "work":
            uf_work.union(a, b)
    work, franchise = uf_work.groups(), uf_franchise.groups()
    cat = cat.assign(work_id=cat["anime_id"].map(work), franchise_id=cat["anime_id"].map(franchise))
    links = pd.DataFrame(kept, columns=["anime_id", "related_id", "level", "evidence"])
    # One row per undirected pair and evidence: MAL lists most relations in both directions.
    links[["lo", "hi"]] = pd.DataFrame(
        [sorted(p) for p in zip(links["anime_id"], links["related_id"])], index=links.index)
    links = links.drop_duplicates(["lo", "hi", "level", "evidence"]).drop(columns=["lo", "hi"])
    info = {"crossovers": sorted(crossovers), "title_match": dict(t_stats)}
    return cat, links.sort_values(["anime_id", "related_id", "evidence"]).reset_index(drop=True), info


# --------------------------------------------------------------------------------------------------------------------
# Checks and outputs
# --------------------------------------------------------------------------------------------------------------------
def genre_agreement(anime: pd.DataFrame, ate: pd.DataFrame) -> dict[str, dict]:
    """For each 2016 label, how often the mapped 2020 label is on the same title in ate329 (1,879 shared ids)."""
    shared = anime.merge(ate, left_on="anime_id", right_on="mal_id")
    out = {}
    for label, (axis, new) in OLD_GENRE_MAP.items():
        rows = shared[shared["genre_list"].map(lambda g, label=label: label in g)]
        if label == "Magic":
            rows = rows[~rows["genre_list"].map(lambda g: "Shoujo" in g)]
        hits = rows[axis].fillna("").map(lambda v, new=new: new in v.split("|")).sum()
        out[label] = {"n": int(len(rows)), "agree": (float(hits / len(rows)) if len(rows) else None)}
    return out


def render_genre_map(agreement: dict[str, dict]) -> str:
    lines = ["| 2016 label | axis | 2020 label | shared titles | agreement | note |", "|---|---|---|---|---|---|"]
    for label, (axis, new) in sorted(OLD_GENRE_MAP.items(), key=lambda kv: (kv[1][0], kv[0])):
        stats = agreement.get(label, {})
        share = f"{stats['agree']:.0%}" if stats.get("agree") is not None else "–"
        lines.append(f"| {label} | {axis} | {new} | {stats.get('n', 0)} | {share} | {GENRE_MAP_NOTES.get(label, '')} |")
    return "\n".join(lines) + "\n"


def write_csv_gz(df: pd.DataFrame, path: Path) -> None:
    # mtime=0 makes the gzip byte-identical across rebuilds (no spurious diffs in the committed files).
    df.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0, "compresslevel": 9})


def build(shared_data_dir: Path, out_dir: Path) -> dict:
    shared_data_dir, out_dir = Path(shared_data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    c26 = shared_data_dir / "catalog-2026"
    anime = load_anime_2016(shared_data_dir / "anime.csv")
    mal_titles, relations, dates = load_mal2018(shared_data_dir / "mal-2018")
    ate = load_ate329(c26 / "ate329-all_anime.csv")
    bangumi = load_bangumi(c26 / "bangumi-data-items.json")
    arm = load_arm(c26 / "arm.json")
    rule_pairs = load_anime_relations(c26 / "anime-relations.txt")

    titles = build_titles(anime, mal_titles, ate, bangumi)
    cat = assemble_rows(anime, dates, ate, bangumi, arm, titles)
    titles = titles[titles["anime_id"].isin(set(cat["anime_id"]))]
    cat = adult_flags(cat, anime, ate)
    cat, links, link_info = link_works(cat, titles, relations, bangumi, rule_pairs, set(anime["anime_id"]))
    cat = finish_adult(cat)
    cat = inherit_tags(cat, set(ate["mal_id"]), set(anime["anime_id"]))
    cat = cat[CATALOG_COLUMNS].sort_values("anime_id").reset_index(drop=True)

    checks = verify(cat, titles, links, anime, ate, bangumi)
    agreement = genre_agreement(anime, ate)

    write_csv_gz(cat, out_dir / "catalog.csv.gz")
    write_csv_gz(titles, out_dir / "titles.csv.gz")
    write_csv_gz(links, out_dir / "links.csv.gz")
    (out_dir / "genre_map.md").write_text(
        "# 2016 MAL genres -> 2020 vocabulary\n\nGenerated by `python -m animerec.recsys.catalog.build` from "
        "OLD_GENRE_MAP. 'agreement' is the share of the titles in both anime.csv and ate329 that carry the 2016 "
        "label whose 2026 MAL tags include the mapped label.\n\n" + render_genre_map(agreement), encoding="utf-8")
    stats = {
        "checks": checks,
        "rows": len(cat),
        "title_rows": len(titles),
        "link_rows": len(links),
        "bangumi_items": int(bangumi["item"].nunique()),
        "bangumi_items_without_mal": int(bangumi.loc[bangumi["mal_id"].isna(), "item"].nunique()),
        "crossovers": link_info["crossovers"],
        "title_match": link_info["title_match"],
        "genre_agreement": agreement,
        "anime_relations_pairs": len(rule_pairs),
    }
    (out_dir / "build_stats.json").write_text(json.dumps(stats, indent=1, ensure_ascii=False), encoding="utf-8")
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="the raw sources: anime.csv, mal-2018/ and catalog-2026/ (the project's shared/data)")
    parser.add_argument("--out", type=Path, default=CATALOG_DIR, help="output folder (default: the package data)")
    args = parser.parse_args(argv)
    stats = build(args.data, args.out)
    for c in stats["checks"]:
        print(f"[{'ok' if c['ok'] else 'FAIL'}] {c['check']}: {c['detail']}")
    print(f"catalog rows {stats['rows']}, title rows {stats['title_rows']}, link rows {stats['link_rows']}")
    for name in ("catalog.csv.gz", "titles.csv.gz", "links.csv.gz"):
        print(f"{name:16} {(args.out / name).stat().st_size / 1e6:6.2f} MB")
    return 0 if all(c["ok"] for c in stats["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
