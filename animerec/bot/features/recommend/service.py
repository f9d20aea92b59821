"""/recommend: picks after the fan rules, and titles to rate for members with few ratings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from animerec.bot.models.holder import ModelHolder
from animerec.bot.service.errors import UserError
from animerec.bot.service.results import Because, Recommendations, RecommendedTitle
from animerec.bot.service.titles import check_count
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.serving.rules import CONTINUE
from animerec.recsys.serving.served import NEW_MONTHS, Pick, ServedModel

MIN_RATINGS = 3  # below this, /recommend shows titles to rate beside the first picks
ONBOARDING_TITLES = 4
NEW_WORDS = frozenset({"", "yes", "true", "on", "new", "1"})  # /recommend new: the last NEW_MONTHS months
SEASON_DAYS = 92  # a title that started this many days ago or less is "this season's" (a cour is ~3 months)
FIRST_YEAR = 1917  # the oldest anime MAL lists: "new since" any earlier year is every title


def new_since(new: str | None, served: ServedModel, today: date | None = None) -> date | None:
    """The first air date /recommend new keeps: None without the option, NEW_MONTHS before today for
    "yes", 1 January of a year given ("2024"). UserError for anything else."""
    if new is None:
        return None
    text = new.strip().casefold()
    if text in NEW_WORDS:
        return served.new_since(today)
    today = today or date.today()
    if re.fullmatch(r"\d{4}", text) and FIRST_YEAR <= int(text) <= today.year:
        return date(int(text), 1, 1)
    raise UserError(f"new= takes yes (titles first aired in the last {NEW_MONTHS} months) or a year from "
                    f"{FIRST_YEAR} to {today.year} (titles first aired since then), not “{new[:20]}”.")


class Picks:
    def __init__(self, store: Store, catalog: Catalog, models: ModelHolder) -> None:
        self.store = store
        self.catalog = catalog
        self.models = models

    async def recommend(
        self, user_id: int, *, genre: str | None = None, type: str | None = None, count: int = 10,
        allow_adult: bool = False, exclude: Iterable[int] = (), onboard: bool = True, discover: bool = False,
        page: int = 0, shown: Iterable[int] = (), new: str | None = None,
    ) -> Recommendations:
        """Picks folded in on the member's current ratings, after the fan rules (animerec.recsys.serving.rules).
        With onboard and fewer than MIN_RATINGS ratings, titles to rate come with them (alone, with none).
        ``page`` n: the picks after those of pages 0..n-1, recomputed, so that a page needs no memory of
        the ones before it (a button on a message sent before a restart still pages on). ``shown``: the
        titles on the page the member pages on from, never repeated on this one, though a rating since
        may have moved them down the recomputed list. ``new``: only titles first aired since new_since."""
        served = self.models.served()
        later = bool(page or shown or exclude)  # what an empty list says: "no more", not "none"
        count = check_count(count)
        filters = self.catalog.filters(genre, type, allow_adult=allow_adult)  # an UnknownFilter before any work
        since = new_since(new, served)
        ratings = await self.store.rating_map(user_id)
        dismissed = await self.store.dismissals(user_id)
        onboarding_due = onboard and len(ratings) < MIN_RATINGS
        if onboarding_due and not ratings:
            return Recommendations([], self._onboarding(served, dismissed, allow_adult))

        def work():  # the filter mask too: numpy on the loop gives the GIL away and waits to get it back
            allowed = served.allowed(filters, allow_adult=allow_adult, aired_from=since)
            # new=: a season of a started series inside the window names the one before it to catch up with
            catch_up = served.before_window(filters, allow_adult=allow_adult, aired_from=since)
            user = served.model.fold_in(ratings)
            skip = {*dismissed, *exclude}
            for _ in range(page):
                before = served.recommend(ratings, count, exclude=skip, allowed=allowed, discover=discover, user=user,
                                          catch_up=catch_up)
                skip.update(p.anime_id for p in before.picks)
            skip.update(shown)
            return served.recommend(ratings, count, exclude=skip, allowed=allowed, discover=discover, user=user,
                                    catch_up=catch_up)

        found = await self.models.ranked(work)
        picks = [shown_pick(self.catalog, p, ratings, allow_adult, this_season_since()) for p in found.picks]
        seen_these = [self.catalog.get(a) for a in found.seen_these if a not in dismissed]
        # Titles to rate beside the first picks: none already on the page.
        on_page = {p.anime_id for p in found.picks} | set(found.seen_these)
        onboarding = self._onboarding(served, ratings.keys() | dismissed | on_page, allow_adult) \
            if onboarding_due else []
        return Recommendations(picks, onboarding, seen_these, count, since,
                               filtered=bool(genre or type or since or discover), later=later, discover=discover)

    def _onboarding(self, served: ServedModel, skip: set[int], allow_adult: bool) -> list[Anime]:
        """Popular titles, each sharing at most half its genres with those before (new ones too: a
        newcomer in 2026 has seen Frieren more likely than Toradora), each where its series starts and of a
        work none of ``skip`` is of: a member new to Attack on Titan rates its first season, not its second
        (beside the first, on the page as a pick)."""
        chosen: list[Anime] = []
        seen_genres: set[str] = set()
        works = {int(served.rules.item_work[i]) for a in skip if (i := served.index_of(a)) is not None}
        for anime in self.catalog:  # most popular first
            i = served.index_of(anime.anime_id)
            if anime.anime_id in skip or (anime.is_adult and not allow_adult) or i is None:
                continue
            if served.rules.entry_point(i) != i or int(served.rules.item_work[i]) in works:
                continue
            if len(seen_genres.intersection(anime.genres)) > len(anime.genres) // 2:
                continue
            chosen.append(anime)
            seen_genres.update(anime.genres)
            works.add(int(served.rules.item_work[i]))
            if len(chosen) == ONBOARDING_TITLES:
                break
        return chosen

    async def onboarding_titles(self, user_id: int, *, allow_adult: bool = False, skip: Iterable[int] = (),
                                page: int = 0, shown: Iterable[int] = ()) -> list[Anime]:
        """Titles to rate; ``page`` n: after those of pages 0..n-1, recomputed, and not ``shown`` (see recommend)."""
        served = self.models.served()
        skipped = (await self.store.rating_map(user_id)).keys() | await self.store.dismissals(user_id) | set(skip)
        titles = self._onboarding(served, skipped, allow_adult)
        for n in range(1, page + 1):
            skipped |= {a.anime_id for a in titles} | (set(shown) if n == page else set())
            titles = self._onboarding(served, skipped, allow_adult)
        return titles


def this_season_since(today: date | None = None) -> date:
    """The first day a title may have started to be "this season"'s: SEASON_DAYS before today."""
    return (today or date.today()) - timedelta(days=SEASON_DAYS)


def shown_pick(catalog: Catalog, pick: Pick, ratings: Mapping[int, float], allow_adult: bool,
               recent: date) -> RecommendedTitle:
    """A pick as the member sees it: the title it names, when they gave it and may see it; for a title the
    model has no interactions for, where its vector comes from and whether it first aired since ``recent``
    (this_season_since), which its reason says when it names nothing (serving.reasons)."""
    because, given = None, pick.because
    if given is not None and given in catalog and given in ratings:
        named = catalog.get(given)
        because = None if named.is_adult and not allow_adult else Because(named, ratings[given])
    anime = catalog.get(pick.anime_id)
    start, catch_up = (catalog.get(a) if a is not None and a in catalog else None
                       for a in (pick.starts_at, pick.catch_up))
    return RecommendedTitle(anime, pick.predicted, pick.match, pick.kind == CONTINUE and because is not None,
                            because, pick.more_in_series, pick.source,
                            pick.source is not None and aired_since(anime, recent), start, catch_up)


def aired_since(anime: Anime, since: date) -> bool:
    """Whether a title first aired on or after a date (unknown: no)."""
    return anime.start_date is not None and anime.start_date >= since.isoformat()
