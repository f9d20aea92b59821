"""/seasonal: a season's shows ranked for the member who asks.

The default season is the one airing by today's date; a catalog that has nothing for it yet (the
weekly refresh has not run, or a fresh install) serves the newest season it has, and says so. Shows the
member gave are left out, a show that goes on from one they gave is marked as such ("continues X"), and
a member with no ratings gets the season's most watched shows with titles to rate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from animerec.bot.features.recommend.service import shown_pick, this_season_since
from animerec.bot.models.holder import ModelHolder
from animerec.bot.service.errors import UserError
from animerec.bot.service.results import RecommendedTitle
from animerec.bot.service.titles import check_count
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import SEASONS, Anime, Catalog
from animerec.recsys.catalog.seasons import season_name, season_of
from animerec.recsys.serving.rules import NEW_TYPES

DEFAULT_COUNT = 10
# The season airing now is "thin" below this share of the median of the four before it: the catalog's
# sources list a season's shows as they are announced, so the newest is short until the weekly refresh.
THIN_SHARE = 1 / 3
# A season's shows: what airs in it (series, films, OVAs, web series); specials and music videos are
# extras of those.
SEASON_TYPES = NEW_TYPES


@dataclass(frozen=True)
class SeasonalList:
    year: int
    season: str
    shows: list[RecommendedTitle]  # ranked for the member, with /recommend's words
    total: int  # the season's shows in the catalog
    given: int  # of those, the ones the member gave (left out)
    note: str | None = None  # why this is not the season asked for
    popular: list[Anime] = field(default_factory=list)  # a member with no ratings: the most watched instead
    # Shows the catalog has but the served model does not (fetched since the last retrain): listed, not ranked.
    unranked: list[Anime] = field(default_factory=list)

    @property
    def name(self) -> str:
        return season_name(self.year, self.season)


class Seasonal:
    def __init__(self, store: Store, catalog: Catalog, models: ModelHolder) -> None:
        self.store = store
        self.catalog = catalog
        self.models = models
        self._index: tuple[Catalog, dict[tuple[int, str], list[Anime]]] | None = None

    def seasons(self) -> dict[tuple[int, str], list[Anime]]:
        """The catalog's shows by (year, season), most watched first (the catalog's order); made once
        per catalog (a refresh swaps the catalog in)."""
        index = self._index
        if index is None or index[0] is not self.catalog:
            by_season: dict[tuple[int, str], list[Anime]] = {}
            for anime in self.catalog:
                if anime.year is not None and anime.season in SEASONS and anime.type in SEASON_TYPES:
                    by_season.setdefault((anime.year, anime.season), []).append(anime)
            index = self._index = (self.catalog, by_season)
        return index[1]

    def years(self) -> list[int]:
        """Years with a season in the catalog, newest first (the year autocomplete)."""
        return sorted({y for y, _ in self.seasons()}, reverse=True)

    def season_counts(self, year: int | None) -> Counter[str]:
        """Shows per season of a year (every year's with None): the season autocomplete."""
        return Counter({s: len(shows) for (y, s), shows in self.seasons().items() if year is None or y == year})

    def choose(self, season: str | None, year: int | None, today: date | None = None) -> tuple[int, str, str | None]:
        """(year, season, note) to show. Neither given: today's season, or the newest the catalog has
        with a note saying so. A season alone: that season of this year (of last year, before it
        comes); a year alone: that year's newest season. UserError for a season or year it lacks."""
        seasons = self.seasons()
        if not seasons:
            raise UserError("I know no season's shows yet: the catalog has no air dates.")
        today = today or date.today()
        current = season_of(today)
        name = None
        if season is not None:
            name = season.strip().casefold()
            name = {"autumn": "fall"}.get(name, name)
            if name not in SEASONS:
                raise UserError(f"“{season[:20]}” is no season: choose winter, spring, summer or fall.")
        if year is None and name is None:
            if current in seasons:
                return (*current, self._thin(current))
            newest = max(seasons, key=_order)
            return (*newest, f"I have nothing for {season_name(*current)} yet: here is {season_name(*newest)}, "
                             "the newest season I know.")
        if year is None:
            year = current[0] if SEASONS.index(name) <= SEASONS.index(current[1]) else current[0] - 1
        if name is None:
            known = [s for y, s in seasons if y == year]
            if not known:
                raise UserError(_no_season(str(year), seasons))
            name = max(known, key=SEASONS.index)
        if (year, name) not in seasons:
            raise UserError(_no_season(season_name(year, name), seasons))
        # The season airing now, or one to come, named ("fall 2026"), gets the note a bare /seasonal does; a past
        # season with few shows had few.
        return year, name, self._thin((year, name)) if _order((year, name)) >= _order(current) else None

    def _thin(self, key: tuple[int, str]) -> str | None:
        """A note when a season has far fewer shows than the four before it (THIN_SHARE)."""
        seasons = self.seasons()
        earlier = sorted((k for k in seasons if _order(k) < _order(key)), key=_order)[-4:]
        if len(earlier) < 4:
            return None
        usual = sorted(len(seasons[k]) for k in earlier)[1:3]
        have = len(seasons[key])
        if have >= THIN_SHARE * sum(usual) / 2:
            return None
        year, season = earlier[-1]
        return (f"I know only {have} show{'s' if have != 1 else ''} of {season_name(*key)} so far (a season "
                f"usually has about {sum(usual) // 2}); the catalog fetches new titles every week. "
                f"/seasonal {season} {year} shows the one before")

    async def season(self, user_id: int, season: str | None = None, year: int | None = None, *,
                     count: int = DEFAULT_COUNT, allow_adult: bool = False, today: date | None = None) -> SeasonalList:
        """A season's shows ranked for the member (ServedModel.rank_titles), none they gave."""
        served = self.models.served()
        count = check_count(count)
        year, name, note = self.choose(season, year, today)
        shows = [a for a in self.seasons()[(year, name)] if allow_adult or not a.is_adult]
        ratings = await self.store.rating_map(user_id)
        open_ = [a for a in shows if a.anime_id not in ratings]
        given = len(shows) - len(open_)
        if not ratings:
            return SeasonalList(year, name, [], len(shows), 0, note, popular=open_[:count])
        picks = await self.models.ranked(served.rank_titles, ratings, [a.anime_id for a in open_], n=count)
        recent = this_season_since(today)
        out = [shown_pick(self.catalog, p, ratings, allow_adult, recent) for p in picks]
        unranked = [a for a in open_ if served.index_of(a.anime_id) is None]
        return SeasonalList(year, name, out, len(shows), given, note, unranked=unranked[:count])


def _order(key: tuple[int, str]) -> tuple[int, int]:
    return key[0], SEASONS.index(key[1])


def _no_season(what: str, seasons: dict[tuple[int, str], list[Anime]]) -> str:
    first, last = min(seasons, key=_order), max(seasons, key=_order)
    return (f"I have no shows for {what}. I know seasons from {season_name(*first)} to "
            f"{season_name(*last)}.")
