"""/recommend: picks after the fan rules, and titles to rate for members with few ratings."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from animerec.bot.models.holder import ModelHolder, fingerprint
from animerec.bot.service.errors import UserError, WarmingUp
from animerec.bot.service.results import Because, Recommendations, RecommendedTitle
from animerec.bot.service.titles import DEFAULT_COUNT, check_count
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.serving.rules import CONTINUE
from animerec.recsys.serving.served import NEW_MONTHS, Pick, PickList, ServedModel

log = logging.getLogger(__name__)
MIN_RATINGS = 3  # below this, /recommend shows titles to rate beside the first picks
ONBOARDING_TITLES = 4
NEW_WORDS = frozenset({"", "yes", "true", "on", "new", "1"})  # /recommend new: the last NEW_MONTHS months
SEASON_DAYS = 92  # a title that started this many days ago or less is "this season's" (a cour is ~3 months)
FIRST_YEAR = 1917  # the oldest anime MAL lists: "new since" any earlier year is every title
# /recommend lists the served model made, kept by what they were made from (the member's ratings and
# dismissals, and the request's options), the least recently asked let go past this many: about 2 KB each.
MADE_LISTS = 4096
ASKING_MEMBERS = 4096  # members whose latest asks (Picks._asks) are kept, the least recently asking let go
# Seconds a member's ratings stay unchanged before their lists are made ahead: rating from a list's menus, title
# after title, makes them once, not once per title. Less than it takes to read /rate's reply and type /recommend
# (a /recommend sooner makes its own); a /rate typed after it has its lists made, 3-6 ms of idle model work.
MAKE_AHEAD_AFTER = 1.0
# Members whose lists a newly started bot makes ahead, those who rated last first: 2-3 s of idle model work.
LATEST_RATERS_MADE = 500
ASKS_KEPT = 3  # first pages of /recommend (Ask) made ahead for a member: the latest they asked for


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


@dataclass(frozen=True)
class Ask:
    """The options of a first page of /recommend (no earlier page, nothing left out): what a member asked
    for, and what their list is made ahead for when their ratings change."""

    genre: str | None = None
    type: str | None = None
    count: int = DEFAULT_COUNT
    allow_adult: bool = False
    discover: bool = False
    new: str | None = None


class Picks:
    """/recommend's lists. A member's lists are made ahead when their ratings change (ratings_changed, after
    /rate, /unrate, /import and "not interested"): once the ratings have stayed as they are for quiet_for
    seconds and no member waits on a ranking, for the first pages the member asked for lately (ASKS_KEPT).
    Their next /recommend reads one instead of making it: a look-up of 0.1-0.2 ms at p99 against 4.5-6.5 ms of
    model work (benchmarks/bench_made_ahead.py). Lists are kept by what they were made from, so a list is read
    only for the same ratings, dismissals and options, and never outlives the served model that made it."""

    def __init__(self, store: Store, catalog: Catalog, models: ModelHolder) -> None:
        self.store = store
        self.catalog = catalog
        self.models = models
        self._made_by: ServedModel | None = None  # the served model whose lists _made holds
        self._made: OrderedDict[tuple[int, bytes], PickList] = OrderedDict()  # (member, made_of) -> list
        self.quiet_for = MAKE_AHEAD_AFTER  # seconds without a change before a member's lists are made ahead
        self._making: dict[int, asyncio.Task[None]] = {}  # a member's lists to be made ahead, or being made
        self._changed_again: set[int] = set()  # members whose ratings changed while theirs waited or were made
        # Each member's latest first-page asks, the latest last; the members who asked lately last.
        self._asks: OrderedDict[int, tuple[Ask, ...]] = OrderedDict()
        self._remaking: asyncio.Task[None] | None = None  # model_served's

    async def recommend(
        self, user_id: int, *, genre: str | None = None, type: str | None = None, count: int = DEFAULT_COUNT,
        allow_adult: bool = False, exclude: Iterable[int] = (), onboard: bool = True, discover: bool = False,
        page: int = 0, shown: Iterable[int] = (), new: str | None = None,
    ) -> Recommendations:
        """Picks folded in on the member's current ratings, after the fan rules (animerec.recsys.serving.rules).
        With onboard and fewer than MIN_RATINGS ratings, titles to rate come with them (alone, with none).
        ``page`` n: the picks after those of pages 0..n-1, recomputed, so that a page needs no memory of
        the ones before it (a button on a message sent before a restart still pages on). ``shown``: the
        titles on the page the member pages on from, never repeated on this one, though a rating since
        may have moved them down the recomputed list. ``new``: only titles first aired since new_since."""
        if (making := self._making.get(user_id)) is not None:
            making.cancel()  # asked before their lists were made ahead: this ask makes its own
        ask = Ask(genre, type, count, allow_adult, discover, new)
        exclude, shown = set(exclude), set(shown)
        recs = await self._recommend(user_id, ask, exclude=exclude, onboard=onboard, page=page, shown=shown)
        if not (page or exclude or shown):
            self._asked(user_id, ask)
        return recs

    async def _recommend(self, user_id: int, ask: Ask, *, exclude: set[int], onboard: bool, page: int,
                         shown: set[int], ahead: bool = False) -> Recommendations:
        served = self.models.served()
        later = bool(page or shown or exclude)  # what an empty list says: "no more", not "none"
        count, allow_adult, discover = check_count(ask.count), ask.allow_adult, ask.discover
        # an UnknownFilter before any work
        filters = self.catalog.filters(ask.genre, ask.type, allow_adult=allow_adult)
        since = new_since(ask.new, served)
        ratings = await self.store.rating_map(user_id)
        dismissed = await self.store.dismissals(user_id)
        onboarding_due = onboard and len(ratings) < MIN_RATINGS
        if onboarding_due and not ratings:
            return Recommendations([], self._onboarding(served, dismissed, allow_adult))
        made_of = _made_of(ratings, dismissed, exclude, shown, page, count, filters, allow_adult, since, discover)
        # A later page passes over the pages before it, the first of them as its first page was made (and kept)
        first = self._made_list(served, user_id, _made_of(ratings, dismissed, exclude, set(), 0, count, filters,
                                                           allow_adult, since, discover)) if page else None

        def work() -> PickList:  # the filter mask too: numpy on the loop gives the GIL away and waits to get it back
            allowed = served.allowed(filters, allow_adult=allow_adult, aired_from=since)
            # new=: a season of a started series inside the window names the one before it to catch up with
            catch_up = served.before_window(filters, allow_adult=allow_adult, aired_from=since)
            user = served.model.fold_in(ratings)
            skip = {*dismissed, *exclude}
            for k in range(page):
                before = first if k == 0 and first is not None else served.recommend(
                    ratings, count, exclude=skip, allowed=allowed, discover=discover, user=user, catch_up=catch_up)
                skip.update(p.anime_id for p in before.picks)
            skip.update(shown)
            return served.recommend(ratings, count, exclude=skip, allowed=allowed, discover=discover, user=user,
                                    catch_up=catch_up)

        found = self._made_list(served, user_id, made_of)
        if found is None:  # made ahead (nobody waits on it) only once no member waits on a ranking
            found = await (self.models.ranked_when_idle(work) if ahead else self.models.ranked(work))
            self._keep(served, user_id, made_of, found)
        picks = [shown_pick(self.catalog, p, ratings, allow_adult, this_season_since()) for p in found.picks]
        seen_these = [self.catalog.get(a) for a in found.seen_these if a not in dismissed]
        # Titles to rate beside the first picks: none already on the page.
        on_page = {p.anime_id for p in found.picks} | set(found.seen_these)
        onboarding = self._onboarding(served, ratings.keys() | dismissed | on_page, allow_adult) \
            if onboarding_due else []
        return Recommendations(picks, onboarding, seen_these, count, since,
                               filtered=bool(ask.genre or ask.type or since or discover), later=later,
                               discover=discover)

    def _asked(self, user_id: int, ask: Ask) -> None:
        """The member asked for this first page: it is made ahead for them from now on, with their other
        latest ASKS_KEPT."""
        self._asks[user_id] = (*[a for a in self._asks.pop(user_id, ()) if a != ask], ask)[-ASKS_KEPT:]
        while len(self._asks) > ASKING_MEMBERS:
            self._asks.popitem(last=False)

    def _made_list(self, served: ServedModel, user_id: int, made_of: bytes) -> PickList | None:
        """The list ``served`` made for this member from ``made_of``, if kept."""
        if self._made_by is not served:
            return None
        found = self._made.get((user_id, made_of))
        if found is not None:
            self._made.move_to_end((user_id, made_of))
        return found

    def _keep(self, served: ServedModel, user_id: int, made_of: bytes, found: PickList) -> None:
        if served is not self.models.served():  # swapped out while it made this list
            return
        if self._made_by is not served:  # a swapped-in model: the last one's lists are of other vectors
            self._made_by, self._made = served, OrderedDict()
        self._made[(user_id, made_of)] = found
        while len(self._made) > MADE_LISTS:
            self._made.popitem(last=False)

    def ratings_changed(self, user_id: int, *, quiet_for: float | None = None) -> None:
        """After a write to the member's ratings or dismissals: their lists made in the background, once
        their ratings have not changed for ``quiet_for`` seconds (self.quiet_for: a member rating title after
        title has them made once), for their next /recommend to read. One making at a time per member; a
        change while it runs makes them again after."""
        if user_id in self._making:
            self._changed_again.add(user_id)
            return
        wait = self.quiet_for if quiet_for is None else quiet_for
        self._making[user_id] = task = asyncio.create_task(self._make_ahead(user_id, wait), name=f"made-ahead-{user_id}")
        task.add_done_callback(lambda done: self._making.pop(user_id) if self._making.get(user_id) is done else None)

    async def made_ahead(self, user_id: int) -> None:
        """Once the member's lists being made ahead, if any, are made (or have failed)."""
        while (making := self._making.get(user_id)) is not None and not making.done():
            await asyncio.wait([making])

    def model_served(self) -> None:
        """After a served model was swapped in (a retrain, the hourly community fold-in, a catalog refresh, the
        first load): the lists of the members who asked lately are made by it, the latest to ask first, one
        member at a time; when none has asked yet (a restart), those of the LATEST_RATERS_MADE who rated last."""
        if self._remaking is not None:
            self._remaking.cancel()
        self._remaking = asyncio.create_task(self._remake(list(reversed(self._asks))), name="lists-remade")

    async def _remake(self, members: list[int]) -> None:
        try:
            members = members or await self.store.latest_raters(LATEST_RATERS_MADE)
        except Exception:  # a store that cannot answer now: lists are made when asked
            log.exception("reading the members who rated last failed")
            return
        for user_id in members:
            self.ratings_changed(user_id, quiet_for=0.0)
            await self.made_ahead(user_id)

    async def _make_ahead(self, user_id: int, wait: float) -> None:
        """After ``wait`` seconds with no change, the member's latest first-page asks (a list with no option if
        they never asked), the latest first, each made and kept (_keep); a failure only leaves a list to be made
        when asked."""
        try:
            while True:
                self._changed_again.discard(user_id)
                if wait:
                    await asyncio.sleep(wait)
                    if user_id in self._changed_again:
                        continue  # still rating: wait again from the last change
                for ask in reversed(self._asks.get(user_id, (Ask(),))):
                    await self._recommend(user_id, ask, exclude=set(), onboard=True, page=0, shown=set(), ahead=True)
                if user_id not in self._changed_again:
                    return
        except WarmingUp:
            pass  # no model yet: nothing to make a list with
        except Exception:
            log.exception("making a /recommend list ahead failed")

    def forgotten(self, user_id: int) -> None:
        """After /forget: the lists made from the member's ratings are let go, and none is made again."""
        if (making := self._making.get(user_id)) is not None:
            making.cancel()  # it may have read the ratings before they went
        for key in [k for k in self._made if k[0] == user_id]:
            del self._made[key]
        self._asks.pop(user_id, None)

    async def close(self) -> None:
        tasks = [*self._making.values(), *([self._remaking] if self._remaking is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

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


def _made_of(ratings: Mapping[int, float], dismissed: Iterable[int], exclude: Iterable[int], shown: Iterable[int],
             page: int, count: int, filters: object, allow_adult: bool, since: date | None, discover: bool) -> bytes:
    """A digest of everything a /recommend list is made from but the served model: equal for the same
    ratings, dismissals and options, whatever order the store gave them in."""
    return fingerprint((sorted(ratings.items()), sorted(dismissed), sorted(exclude), sorted(shown), page, count,
                        filters, allow_adult, since, discover))


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
