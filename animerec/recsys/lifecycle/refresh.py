"""Refreshing the catalog from AniList's public GraphQL API (https://graphql.anilist.co).

One small client: it paces its requests to the published limit (90 a minute, or less when the
X-RateLimit-Limit header says the API serves less), waits out a 429's Retry-After, retries a 5xx a
bounded number of times, and gives up on anything else with a one-line SourceError. What it fetches
(the current and next season, and the MAL ids members rated that the catalog lacks) becomes rows of
the catalog's schema, merged into the overlay (animerec.recsys.lifecycle.overlay).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from animerec.recsys.catalog.catalog import SEASONS
from animerec.recsys.catalog.seasons import season_of
from animerec.recsys.data import load_catalog_table, load_catalog_titles
from animerec.recsys.lifecycle import overlay

log = logging.getLogger(__name__)

ANILIST_URL = "https://graphql.anilist.co"
PER_MINUTE = 90  # AniList's documented limit; the X-RateLimit-Limit header can lower it
PER_PAGE = 50  # AniList's largest page
MAX_PAGES = 40  # a season has a few hundred titles: more pages than this is a runaway, not a season
MAX_WAIT = 120.0  # seconds: a longer Retry-After is not waited for (the next scheduled run tries again)
# AniList's popularity counts its own users' lists, fewer than MyAnimeList's members: each refresh
# fetches this many bundled series whose MyAnimeList count has settled (one page) and scales AniList's
# count by the median ratio, so a fetched title's count is on roughly a bundled one's scale.
SCALE_TITLES = 50
SCALE_MIN_TITLES = 10  # fewer of them answered: AniList's count is kept as it is
SCALE_YEARS = (4, 2)  # they aired this many years to this many years before the newest bundled season
USER_AGENT = "animerec-catalog-refresh (+https://github.com/)"

MEDIA_FIELDS = """
  id idMal title { romaji english native } synonyms format episodes status
  startDate { year month day } endDate { year month day } season seasonYear
  genres tags { name rank isAdult } popularity averageScore isAdult source
  studios(isMain: true) { nodes { name } }
  relations { edges { relationType node { idMal type } } }
"""
QUERY = """
query ($page: Int, $perPage: Int, $season: MediaSeason, $seasonYear: Int, $idMal_in: [Int]) {
  Page(page: $page, perPage: $perPage) {
    pageInfo { currentPage hasNextPage }
    media(type: ANIME, season: $season, seasonYear: $seasonYear, idMal_in: $idMal_in, sort: ID) {MEDIA}
  }
}
""".replace("MEDIA", MEDIA_FIELDS)

FORMATS = {"TV": "TV", "TV_SHORT": "TV", "MOVIE": "Movie", "SPECIAL": "Special", "OVA": "OVA", "ONA": "ONA",
           "MUSIC": "Music"}
STATUSES = {"FINISHED": "Finished Airing", "RELEASING": "Currently Airing", "NOT_YET_RELEASED": "Not yet aired"}
SOURCES = {"ORIGINAL": "Original", "MANGA": "Manga", "LIGHT_NOVEL": "Light novel", "VISUAL_NOVEL": "Visual novel",
           "VIDEO_GAME": "Game", "GAME": "Game", "NOVEL": "Novel", "WEB_NOVEL": "Web novel", "DOUJINSHI": "Manga",
           "COMIC": "Manga", "MULTIMEDIA_PROJECT": "Mixed media", "PICTURE_BOOK": "Picture book", "OTHER": "Other",
           "ANIME": "Other", "LIVE_ACTION": "Other"}
# AniList genres -> the catalog's (MAL 2020) vocabulary: (column, label). Thriller is MAL's Suspense;
# Mecha, Music, Psychological and Mahou Shoujo are MAL themes.
GENRES = {
    "Action": ("genres", "Action"), "Adventure": ("genres", "Adventure"), "Comedy": ("genres", "Comedy"),
    "Drama": ("genres", "Drama"), "Ecchi": ("genres", "Ecchi"), "Fantasy": ("genres", "Fantasy"),
    "Hentai": ("genres", "Hentai"), "Horror": ("genres", "Horror"), "Mystery": ("genres", "Mystery"),
    "Romance": ("genres", "Romance"), "Sci-Fi": ("genres", "Sci-Fi"), "Slice of Life": ("genres", "Slice of Life"),
    "Sports": ("genres", "Sports"), "Supernatural": ("genres", "Supernatural"), "Thriller": ("genres", "Suspense"),
    "Mecha": ("themes", "Mecha"), "Music": ("themes", "Music"), "Psychological": ("themes", "Psychological"),
    "Mahou Shoujo": ("themes", "Mahou Shoujo"),
}
# AniList tags whose MAL counterpart is obvious; a tag counts from TAG_MIN_RANK (AniList's 0-100 relevance).
TAGS = {
    "Shounen": ("demographics", "Shounen"), "Shoujo": ("demographics", "Shoujo"), "Seinen": ("demographics", "Seinen"),
    "Josei": ("demographics", "Josei"), "Kids": ("demographics", "Kids"),
    "Boys' Love": ("genres", "Boys Love"), "Yuri": ("genres", "Girls Love"), "Food": ("genres", "Gourmet"),
    "Cooking": ("genres", "Gourmet"), "Avant Garde": ("genres", "Avant Garde"),
    **{t: ("themes", t) for t in ("School", "Isekai", "Military", "Historical", "Space", "Vampire", "Time Travel",
                                  "Reincarnation", "Martial Arts", "Samurai", "Parody", "Gore", "Super Power",
                                  "Iyashikei", "Harem", "Reverse Harem", "Detective", "Mythology", "Survival",
                                  "Workplace", "Urban Fantasy", "Delinquents", "Racing")},
    "Video Games": ("themes", "Video Game"), "Idol": ("themes", "Idols (Female)"),
    "Cute Girls Doing Cute Things": ("themes", "CGDCT"),
}
TAG_MIN_RANK = 60
# AniList relations that make two entries one work, or one franchise (as the bundled build does).
WORK_RELATIONS = {"SEQUEL", "PREQUEL", "PARENT", "SIDE_STORY", "SUMMARY", "COMPILATION"}
FRANCHISE_RELATIONS = WORK_RELATIONS | {"SPIN_OFF", "ALTERNATIVE"}


class SourceError(RuntimeError):
    """The source could not give a usable answer; the message is one line for the log."""


def next_season(season: tuple[int, str]) -> tuple[int, str]:
    year, name = season
    i = SEASONS.index(name)
    return (year + 1, SEASONS[0]) if i == len(SEASONS) - 1 else (year, SEASONS[i + 1])


class AniListClient:
    """POSTs GraphQL queries; `sleep` and `clock` are injectable so tests need not wait."""

    def __init__(self, url: str = ANILIST_URL, *, timeout: float = 20.0, retries: int = 3, per_minute: int = PER_MINUTE,
                 backoff: float = 2.0, max_wait: float = MAX_WAIT, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.per_minute = per_minute
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self._next_at = 0.0

    def _pace(self) -> None:
        wait = self._next_at - self.clock()
        if wait > 0:
            self.sleep(wait)

    def _note_limits(self, headers) -> None:
        """Space the next request by the limit the API announces (it serves less than documented at times),
        and past the window's end when none are left."""
        limit = _int(headers.get("X-RateLimit-Limit"))
        per_minute = min(self.per_minute, limit) if limit else self.per_minute
        self._next_at = self.clock() + 60.0 / per_minute
        if _int(headers.get("X-RateLimit-Remaining")) == 0:
            reset = _int(headers.get("X-RateLimit-Reset"))
            wait = reset - time.time() if reset else 60.0
            self._next_at = self.clock() + min(max(wait, 0.0), self.max_wait)

    def query(self, query: str, variables: dict[str, Any]) -> dict:
        """The `data` of a GraphQL answer; SourceError after bounded retries."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        for attempt in range(self.retries + 1):
            self._pace()
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json", "Accept": "application/json", "User-Agent": USER_AGENT})
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    self._note_limits(response.headers)
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                self._note_limits(exc.headers)
                if attempt == self.retries or not (exc.code == 429 or exc.code >= 500):
                    raise SourceError(f"{self.url} answered HTTP {exc.code} {exc.reason}") from None
                retry_after = _int(exc.headers.get("Retry-After"))
                wait = retry_after if exc.code == 429 and retry_after is not None else self.backoff * 2**attempt
                if wait > self.max_wait:
                    raise SourceError(f"{self.url} asked to wait {wait} s (HTTP {exc.code}): too long") from None
                self.sleep(wait)
                continue
            except TimeoutError:
                raise SourceError(f"{self.url} did not answer within {self.timeout:g} s") from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    raise SourceError(f"{self.url} did not answer within {self.timeout:g} s") from None
                raise SourceError(f"cannot reach {self.url} ({getattr(reason, 'strerror', None) or reason})") from None
            except OSError as exc:
                raise SourceError(f"cannot reach {self.url} ({exc.strerror or exc})") from None
            return _data(raw, self.url)
        raise SourceError(f"{self.url}: no answer after {self.retries + 1} tries")  # unreachable: the loop raises

    def pages(self, variables: dict[str, Any]) -> list[dict]:
        """Every media of a Page query, page after page."""
        media: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            data = self.query(QUERY, {**variables, "page": page, "perPage": PER_PAGE})
            found = _page(data, self.url)
            media.extend(found["media"])
            if not found.get("pageInfo", {}).get("hasNextPage"):
                break
        return media


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _data(raw: bytes, where: str) -> dict:
    try:
        answer = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise SourceError(f"{where} answered something that is not JSON ({raw[:40]!r})") from None
    if not isinstance(answer, dict):
        raise SourceError(f"{where} answered JSON that is not a GraphQL response")
    if answer.get("errors"):
        first = answer["errors"][0]
        raise SourceError(f"{where} reported an error: {first.get('message', first) if isinstance(first, dict) else first}")
    if not isinstance(answer.get("data"), dict):
        raise SourceError(f"{where} answered without data")
    return answer["data"]


def _page(data: dict, where: str) -> dict:
    page = data.get("Page")
    if not isinstance(page, dict) or not isinstance(page.get("media"), list):
        raise SourceError(f"{where} answered a page without a media list")
    return page


class Source(Protocol):
    name: str

    def fetch(self, seasons: Iterable[tuple[int, str]], mal_ids: Iterable[int]) -> list[dict]: ...


class AniListSource:
    name = "anilist"

    def __init__(self, client: AniListClient | None = None) -> None:
        self.client = client or AniListClient()

    def fetch(self, seasons: Iterable[tuple[int, str]], mal_ids: Iterable[int]) -> list[dict]:
        media: list[dict] = []
        for year, season in seasons:
            media += self.client.pages({"season": season.upper(), "seasonYear": year})
        ids = sorted(set(mal_ids))
        for start in range(0, len(ids), PER_PAGE):
            media += self.client.pages({"idMal_in": ids[start:start + PER_PAGE]})
        return media


class FileSource:
    """A JSON file of AniList's answer shape (one GraphQL response, or a list of them): offline refreshes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path.name}"

    def fetch(self, seasons: Iterable[tuple[int, str]], mal_ids: Iterable[int]) -> list[dict]:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read ({exc.strerror})") from None
        try:
            answers = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise SourceError(f"{self.path}: not JSON") from None
        media: list[dict] = []
        for answer in answers if isinstance(answers, list) else [answers]:
            media += _page(_data(json.dumps(answer).encode(), str(self.path)), str(self.path))["media"]
        return media


def _iso(d: dict | None) -> str | None:
    if not d or not d.get("year") or not d.get("month") or not d.get("day"):
        return None
    try:
        return date(d["year"], d["month"], d["day"]).isoformat()
    except (TypeError, ValueError):
        return None


def _labels(media: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"genres": [], "themes": [], "demographics": []}
    named = [GENRES.get(g) for g in media.get("genres") or []]
    named += [TAGS.get(str(t.get("name"))) for t in media.get("tags") or []
              if isinstance(t, dict) and (t.get("rank") or 0) >= TAG_MIN_RANK]
    for column, label in filter(None, named):
        if label not in out[column]:
            out[column].append(label)
    return out


def media_rows(media: list[dict], known: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Catalog rows and title rows for the media that carry a MAL id, and how many did not.

    known: anime_id, work_id, franchise_id of the catalog so far, to join a sequel to its work."""
    work_of = dict(zip(known["anime_id"], known["work_id"]))
    franchise_of = dict(zip(known["anime_id"], known["franchise_id"]))
    rows, titles, seen = [], [], set()
    without_mal = 0
    for m in media:
        mal = m.get("idMal") if isinstance(m, dict) else None
        if not isinstance(mal, int) or mal <= 0:
            without_mal += 1
            continue
        if mal in seen:  # the same title in two pages (a season and the rated ids)
            continue
        seen.add(mal)
        title = m.get("title") or {}
        name = title.get("romaji") or title.get("english") or title.get("native")
        if not name:
            without_mal += 1
            continue
        labels = _labels(m)
        adult = bool(m.get("isAdult")) or "Hentai" in labels["genres"]
        related = [(e.get("relationType"), (e.get("node") or {}).get("idMal"))
                   for e in ((m.get("relations") or {}).get("edges") or [])
                   if (e.get("node") or {}).get("type") == "ANIME"]
        work = min((work_of[r] for t, r in related if t in WORK_RELATIONS and r in work_of), default=mal)
        franchise = min([franchise_of.get(work, work)]
                        + [franchise_of[r] for t, r in related if t in FRANCHISE_RELATIONS and r in franchise_of])
        start = m.get("startDate")
        season = (m.get("season") or "").lower() or None
        score = m.get("averageScore")
        studios = [n.get("name") for n in ((m.get("studios") or {}).get("nodes") or []) if n.get("name")]
        rows.append({
            "anime_id": mal, "anilist_id": m.get("id"), "title": name, "title_english": title.get("english"),
            "title_japanese": title.get("native"), "type": FORMATS.get(m.get("format") or ""),
            "episodes": m.get("episodes"), "status": STATUSES.get(m.get("status") or ""),
            "start_date": _iso(start), "end_date": _iso(m.get("endDate")),
            "season": season if season in SEASONS else None,
            "year": m.get("seasonYear") or (start or {}).get("year"),
            "members_2016": None, "members_latest": m.get("popularity"),
            "score_2016": None, "score_latest": score / 10 if isinstance(score, int | float) else None,
            **{c: "|".join(v) or None for c, v in labels.items()},
            "tags_source": "anilist", "age_rating": None, "adult": "yes" if adult else "no",
            "adult_evidence": "anilist:isAdult" if m.get("isAdult") else "anilist:genre" if adult else "anilist:no",
            "studios": "|".join(studios) or None, "source": SOURCES.get(m.get("source") or ""),
            "work_id": work, "franchise_id": franchise, "in_sources": "anilist",
        })
        names = [("main", name), ("english", title.get("english")), ("japanese", title.get("native")),
                 *(("synonym", s) for s in m.get("synonyms") or [])]
        for kind, text in dict.fromkeys((k, t.strip()) for k, t in names if isinstance(t, str) and t.strip()):
            titles.append({"anime_id": mal, "kind": kind, "title": text})
    frame = pd.DataFrame(rows, columns=list(overlay.COLUMNS))
    return frame, pd.DataFrame(titles, columns=list(overlay.TITLE_COLUMNS)), without_mal


def scale_ids(bundled: pd.DataFrame) -> list[int]:
    """The bundled series whose MyAnimeList members count has settled, for members_scale: the SCALE_TITLES
    most watched TV series, finished, counted in early 2026 (Ate329's file), aired SCALE_YEARS before the
    newest bundled season (old enough to have settled, recent enough to share today's audience)."""
    years = pd.to_numeric(bundled["year"], errors="coerce")
    newest = int(years.max())
    settled = bundled[(bundled["type"] == "TV") & (bundled["status"] == "Finished Airing")
                      & bundled["in_sources"].fillna("").str.contains("ate329")
                      & years.between(newest - SCALE_YEARS[0], newest - SCALE_YEARS[1])
                      & (pd.to_numeric(bundled["members_latest"], errors="coerce") > 0)]
    return sorted(settled.nlargest(SCALE_TITLES, "members_latest")["anime_id"].astype(int).tolist())


def members_scale(source: Source, bundled: pd.DataFrame, ids: list[int]) -> tuple[float | None, int]:
    """(MyAnimeList members per AniList user, how many titles told it): the median ratio over the
    settled titles ``ids`` (scale_ids) the source answers for; None when fewer than SCALE_MIN_TITLES do."""
    answered = media_rows(source.fetch([], ids), bundled)[0]
    popularity = pd.to_numeric(answered.set_index("anime_id")["members_latest"], errors="coerce")
    members = pd.to_numeric(bundled.set_index("anime_id")["members_latest"], errors="coerce")
    pairs = pd.DataFrame({"members": members, "popularity": popularity}).loc[
        lambda d: d.index.isin(ids) & (d["popularity"] > 0) & (d["members"] > 0)]
    if len(pairs) < SCALE_MIN_TITLES:
        return None, len(pairs)
    return float((pairs["members"] / pairs["popularity"]).median()), len(pairs)


def _scaled(rows: pd.DataFrame, scale: float) -> pd.DataFrame:
    """Rows with AniList's counts as MyAnimeList members (members_scale)."""
    members = pd.to_numeric(rows["members_latest"], errors="coerce") * scale
    return rows.assign(members_latest=members.round().astype("Int64"))


@dataclass(frozen=True)
class UpdateResult:
    version: str
    fetched: int  # media with a MAL id
    added: tuple[int, ...]  # ids the catalog did not have before
    updated: int  # bundled or overlay ids whose counts were refreshed
    rows: int  # overlay rows after the update
    members_scale: float | None = None  # MyAnimeList members per AniList user; None: counts kept as AniList's
    scale_titles: int = 0  # the settled titles that answered this time (members_scale's own when enough did)

    def summary(self) -> str:
        if self.scale_titles >= SCALE_MIN_TITLES:
            scale = f"AniList's counts x{self.members_scale:.2f} (from {self.scale_titles} settled titles)"
        elif self.members_scale is not None:
            scale = (f"AniList's counts x{self.members_scale:.2f}, the previous refresh's (only "
                     f"{self.scale_titles} settled titles answered)")
        else:
            scale = f"AniList's counts kept unscaled (only {self.scale_titles} settled titles answered)"
        return (f"catalog overlay {self.version}: {self.fetched} titles fetched, {len(self.added)} new, "
                f"{self.updated} refreshed; the overlay has {self.rows} titles; {scale}")


def update_catalog(overlay_dir: Path, source: Source, *, wanted_ids: Iterable[int] = (),
                   today: date | None = None, bundled: tuple[pd.DataFrame, pd.DataFrame] | None = None
                   ) -> UpdateResult:
    """Fetch the current and next season and the wanted ids the catalog lacks, and publish the merged overlay.

    Raises SourceError (the source failed) or OverlayError (the result is not a valid overlay); the
    overlay in use is unchanged either way. ``bundled``: the bundled catalog and titles, if already loaded."""
    previous = overlay.read(overlay_dir)
    base, base_titles = bundled if bundled is not None else (load_catalog_table(), load_catalog_titles())
    current = overlay.overlay_frames(base, base_titles, previous[0], previous[1])[0] if previous is not None else base
    season = season_of(today or datetime.now(UTC).date())
    missing = set(wanted_ids) - set(current["anime_id"])
    media = source.fetch([season, next_season(season)], sorted(missing))
    rows, titles, _ = media_rows(media, current)
    # The settled series only tell the scale, even from a source that answers more than it is asked (a file).
    settled = scale_ids(base)
    rows, titles = rows[~rows["anime_id"].isin(settled)], titles[~titles["anime_id"].isin(settled)]
    if rows.empty:
        raise SourceError(f"{source.name} returned no titles with a MyAnimeList id")
    scale, told_by = members_scale(source, base, settled)
    kept = previous[0] if previous is not None else None
    if previous is not None:
        if scale is None:  # every fetched count on one scale: the last one known
            scale = previous[2].members_scale
        elif previous[2].members_scale is None:  # rows kept as AniList counted them, put on the scale now known
            kept = _scaled(previous[0], scale)
    if scale is not None:
        rows = _scaled(rows, scale)
    merged, merged_titles = overlay.merge(kept, previous[1] if previous else None, rows, titles)
    path = overlay.publish(merged, merged_titles, overlay_dir, source=source.name,
                           previous_ids=set(previous[0]["anime_id"]) if previous else None, members_scale=scale)
    fetched = set(rows["anime_id"])
    added = tuple(sorted(fetched - set(current["anime_id"])))
    return UpdateResult(path.name, len(fetched), added, len(fetched) - len(added), len(merged), scale, told_by)
