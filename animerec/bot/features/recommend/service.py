"""/recommend: picks after the fan rules, and titles to rate for members with few ratings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from animerec.bot.models.holder import ModelHolder
from animerec.bot.service.results import Because, Recommendations, RecommendedTitle
from animerec.bot.service.titles import check_count
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.model import Recommender
from animerec.recsys.serving.rules import CONTINUE

MIN_RATINGS = 3  # below this, /recommend shows titles to rate beside the first picks
ONBOARDING_TITLES = 4


class Picks:
    def __init__(self, store: Store, catalog: Catalog, models: ModelHolder) -> None:
        self.store = store
        self.catalog = catalog
        self.models = models

    async def recommend(
        self, user_id: int, *, genre: str | None = None, type: str | None = None, count: int = 10,
        allow_adult: bool = False, exclude: Iterable[int] = (), onboard: bool = True, discover: bool = False,
        page: int = 0, shown: Iterable[int] = (),
    ) -> Recommendations:
        """Picks folded in on the member's current ratings, after the fan rules (animerec.recsys.serving.rules).
        With onboard and fewer than MIN_RATINGS ratings, titles to rate come with them (alone, with none).
        ``page`` n: the picks after those of pages 0..n-1, recomputed, so that a page needs no memory of
        the ones before it (a button on a message sent before a restart still pages on). ``shown``: the
        titles on the page the member pages on from, never repeated on this one, though a rating since
        may have moved them down the recomputed list."""
        served = self.models.served()
        count = check_count(count)
        filters = self.catalog.filters(genre, type, allow_adult=allow_adult)  # an UnknownFilter before any work
        ratings = await self.store.rating_map(user_id)
        dismissed = await self.store.dismissals(user_id)
        onboarding_due = onboard and len(ratings) < MIN_RATINGS
        if onboarding_due and not ratings:
            return Recommendations([], self._onboarding(served.model, dismissed, allow_adult))

        def work():  # the filter mask too: numpy on the loop gives the GIL away and waits to get it back
            allowed = served.allowed(filters, allow_adult=allow_adult)
            user = served.model.fold_in(ratings)
            skip = {*dismissed, *exclude}
            for _ in range(page):
                before = served.recommend(ratings, count, exclude=skip, allowed=allowed, discover=discover, user=user)
                skip.update(p.anime_id for p in before.picks)
            skip.update(shown)
            return served.recommend(ratings, count, exclude=skip, allowed=allowed, discover=discover, user=user)

        found = await asyncio.to_thread(work)
        picks = []
        for p in found.picks:
            because = None
            if p.because in self.catalog and p.because in ratings:
                anime = self.catalog.get(p.because)
                because = None if anime.is_adult and not allow_adult else Because(anime, ratings[p.because])
            picks.append(RecommendedTitle(self.catalog.get(p.anime_id), p.predicted, p.match,
                                          p.kind == CONTINUE and because is not None, because, p.more_in_series))
        seen_these = [self.catalog.get(a) for a in found.seen_these if a not in dismissed]
        # Titles to rate beside the first picks: none already on the page.
        shown = {p.anime_id for p in found.picks} | set(found.seen_these)
        onboarding = self._onboarding(served.model, ratings.keys() | dismissed | shown, allow_adult) \
            if onboarding_due else []
        return Recommendations(picks, onboarding, seen_these, count)

    def _onboarding(self, model: Recommender, skip: set[int], allow_adult: bool) -> list[Anime]:
        """Popular titles the model knows, each sharing at most half its genres with those before."""
        chosen: list[Anime] = []
        seen_genres: set[str] = set()
        for anime in self.catalog:  # most popular first
            if anime.anime_id in skip or (anime.is_adult and not allow_adult) or model.index_of(anime.anime_id) is None:
                continue
            if len(seen_genres.intersection(anime.genres)) > len(anime.genres) // 2:
                continue
            chosen.append(anime)
            seen_genres.update(anime.genres)
            if len(chosen) == ONBOARDING_TITLES:
                break
        return chosen

    async def onboarding_titles(self, user_id: int, *, allow_adult: bool = False, skip: Iterable[int] = (),
                                page: int = 0, shown: Iterable[int] = ()) -> list[Anime]:
        """Titles to rate; ``page`` n: after those of pages 0..n-1, recomputed, and not ``shown`` (see recommend)."""
        model = self.models.served().model
        skipped = (await self.store.rating_map(user_id)).keys() | await self.store.dismissals(user_id) | set(skip)
        titles = self._onboarding(model, skipped, allow_adult)
        for n in range(1, page + 1):
            skipped |= {a.anime_id for a in titles} | (set(shown) if n == page else set())
            titles = self._onboarding(model, skipped, allow_adult)
        return titles
