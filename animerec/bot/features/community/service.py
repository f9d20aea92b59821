"""The community features: /taste, /compare, /score, /server top and /privacy.

A server's views count the members the bot has seen in that server (the store's guild_members: a
member is added when they use a command there, or are named by one), so nothing about a member
appears in a server they are not in. A hidden member (/privacy hidden) counts only in anonymous
figures of at least PRIVATE_MIN_MEMBERS hidden members (animerec.recsys.community): no one else can see their
taste, compare with them, find their name under a title, or work their score out of a figure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from animerec.bot.features.community.pictures import Point, TastePicture
from animerec.bot.service.errors import UserError
from animerec.bot.service.results import Because
from animerec.bot.store import SQLITE, Store
from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.community import (
    DISLIKED,
    LOVED,
    Affinity,
    CatalogMap,
    GenreProfile,
    ServerTally,
    ServerTop,
    TitleTally,
    affinity,
    genre_profile,
    liked_titles,
    liking,
    popularity_direction,
    private_rows,
    rating_offset,
    server_top,
    title_tally,
)
from animerec.recsys.model import Recommender, single_threaded_blas
from animerec.recsys.serving.group import group_picks
from animerec.recsys.serving.rules import member_floor
from animerec.recsys.serving.served import ServedModel

log = logging.getLogger(__name__)

TALLY_SECONDS = 30.0  # a server's tally is recomputed at most this often while ratings change
# A kept count older than this is not served while a new one runs, but counted again first: with PostgreSQL a
# member who turned hidden through another shard would be in it however old, and nobody may have asked for hours.
STALE_AT_MOST = 300.0
# A server with fewer members with ratings than this is counted afresh whenever a write may have changed it
# (not after TALLY_SECONDS, nor in the background): its figures turn on single members (the only member
# with ratings, PRIVATE_MIN_MEMBERS, a favourite's third score) just as they start using the bot, and its
# count is cheap: 2.6 ms at 5 members and 3.7-4.0 ms at 9 on SQLite (benchmarks/bench_community.py --members 9).
FRESH_BELOW = 10
MAP_POINTS = 4000  # the most watched titles drawn faint on /taste's map
LANDMARKS = 10
TASTE_PICKS = 3
TOGETHER = 3  # /compare: titles both are predicted to love


@dataclass(frozen=True)
class Taste:
    member_id: int
    picture: TastePicture
    profile: GenreProfile
    offset: tuple[float, int] | None  # (mean score above the server on the same titles, titles)
    rated: int
    picks: tuple[Anime, ...]
    alone: bool = False  # the server's only member with ratings: nobody to set the member against yet
    # They liked titles, but the catalog lists no genres for any of them (films known from bangumi-data alone).
    liked_without_genres: bool = False


@dataclass(frozen=True)
class Comparison:
    affinity: Affinity
    favourites: tuple[Anime, ...]
    disagreement: tuple[Anime, float, float] | None  # (title, the caller's score, the other's)
    together: tuple[tuple[Anime, float, float], ...]  # (title, caller's prediction, other's prediction)


@dataclass(frozen=True)
class TitleScore:
    anime: Anime
    tally: TitleTally  # loved_by: visible members only
    own: float | None  # the caller's own rating
    predicted: float | None  # the caller's predicted score, when they have not rated it
    because: Because | None  # the title they gave behind that prediction, and what they gave it
    hidden_lovers: int  # members who loved it but keep their taste private
    # Where the title's vector comes from when it has no interactions (coldstart.SOURCES); None when trained,
    # "prior" when the model does not serve it yet
    source: str | None = None
    scored: bool = False  # its predicted bias comes from its MyAnimeList score (ColdVectors.scored)


@dataclass(frozen=True)
class ServerFavourites:
    top: ServerTop
    titles: Mapping[int, Anime]
    members: int  # members with ratings counted
    caller_hidden: bool = False  # the member who asked keeps their taste hidden (their ratings may not count)


@dataclass
class _Server:
    """One server's counts, when they were made, and what was derived from them (computed once)."""

    tally: ServerTally
    at: float
    commits: int | None
    _derived: dict = field(default_factory=dict)

    def derived(self, key: object, make: Callable[[], object]):
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]


@dataclass
class _ModelViews:
    """What one model's /taste needs, computed once per model (a hot swap builds new ones)."""

    model: Recommender
    cmap: CatalogMap
    direction: np.ndarray
    background: np.ndarray  # indices of the titles drawn faint
    axis_notes: tuple[str, str, str, str]


class Community:
    def __init__(self, store: Store, catalog: Catalog, served: Callable[[], ServedModel],
                 ranked: Callable[..., Awaitable[Any]] = asyncio.to_thread) -> None:
        self.store = store
        self.catalog = catalog
        self.served = served  # the served model of the moment, or WarmingUp
        self.ranked = ranked  # runs the work a member waits on off the loop (ModelHolder.ranked)
        self.tally_seconds = TALLY_SECONDS
        self.stale_at_most = STALE_AT_MOST
        self._views: _ModelViews | None = None
        self._views_lock = asyncio.Lock()
        self._servers: dict[int, _Server] = {}
        self._recounts: dict[int, asyncio.Task] = {}
        self._members: set[tuple[int, int]] = set()  # (guild, member) pairs recorded this run
        # Moved on by each change of who counts (privacy, /forget, leaving): a count begun before one is
        # not kept, as it may hold a member who has since turned hidden.
        self._generation = 0
        self.genres_of = {a.anime_id: a.genres for a in catalog}

    # --- membership and privacy ---------------------------------------------------------------

    async def seen(self, guild_id: int | None, *user_ids: int) -> None:
        """These members are in this server (they used a command there, or one named them)."""
        if guild_id is None:
            return
        new = [u for u in dict.fromkeys(user_ids) if (guild_id, u) not in self._members]
        if new:
            await self.store.add_guild_members(guild_id, new)
            self._members.update((guild_id, u) for u in new)

    async def left(self, guild_id: int, user_id: int) -> None:
        """A member is no longer in this server: they leave its views."""
        await self.store.remove_guild_member(guild_id, user_id)
        self._members.discard((guild_id, user_id))
        self._generation += 1
        self._servers.pop(guild_id, None)

    def forgotten(self, user_id: int) -> None:
        """After /forget: the store rows are gone; drop what this process remembers too."""
        self._members = {p for p in self._members if p[1] != user_id}
        self._generation += 1
        self._servers.clear()  # counted afresh: their ratings leave the totals at once

    async def set_privacy(self, user_id: int, hidden: bool) -> None:
        await self.store.set_hidden(user_id, hidden)
        # Counted afresh: a server's kept count (a tally window) held a member who had just turned hidden.
        self._generation += 1
        self._servers.clear()

    async def check_visible(self, user_id: int, viewer_id: int, name: str, what: str) -> None:
        """UserError when the member keeps their taste hidden from others (/privacy hidden)."""
        if user_id != viewer_id and await self.store.is_hidden(user_id):
            raise UserError(f"{name} keeps their taste private, so {what}.")

    # --- what every view shares ---------------------------------------------------------------

    async def views(self) -> _ModelViews:
        served = self.served()
        views = self._views
        if views is not None and views.model is served.model:
            return views
        async with self._views_lock:
            if self._views is None or self._views.model is not served.model:
                self._views = await asyncio.to_thread(self._build_views, served.model)
            return self._views

    def _build_views(self, model: Recommender) -> _ModelViews:
        with single_threaded_blas():  # as the bot's process runs anyway: a threaded SVD here is 20x slower
            cmap = CatalogMap.of(model)
        finite = np.isfinite(cmap.xy[: model.n_items]).all(axis=1)  # the background: trained titles
        adult = np.array([a in self.catalog and self.catalog.get(a).is_adult for a in model.item_ids.tolist()], bool)
        order = np.argsort(-model.item_popularity, kind="stable")
        background = order[(finite & ~adult)[order]][:MAP_POINTS]
        return _ModelViews(model, cmap, popularity_direction(model), background, self._axis_notes(cmap, background))

    def _axis_notes(self, cmap: CatalogMap, shown: np.ndarray) -> tuple[str, str, str, str]:
        """What lies toward each edge of the map: the genre whose titles sit furthest that way (among
        genres of at least 150 drawn titles), one genre per edge."""
        by_genre: dict[str, list[int]] = {}
        for i in shown.tolist():
            for g in self.genres_of.get(int(cmap.item_ids[i]), ()):
                by_genre.setdefault(g, []).append(i)
        means = {g: cmap.xy[idx].mean(axis=0) for g, idx in by_genre.items() if len(idx) >= 150}
        if len(means) < 4:
            return ("", "", "", "")
        used: set[str] = set()
        notes = []
        for axis, sign in ((0, -1), (0, 1), (1, -1), (1, 1)):
            g = max((g for g in means if g not in used), key=lambda g: sign * means[g][axis])
            used.add(g)
            notes.append(f"more {g}")
        return tuple(notes)  # type: ignore[return-value]

    async def server(self, guild_id: int) -> _Server:
        """The server's per-title counts. Reused while no write happened since they were counted; after
        one, for tally_seconds more, then recounted in the background while the last count is served (a
        count reads every rating of the server's members: about a second at 5,000 members), up to
        stale_at_most old. With tally_seconds 0, or for a server of fewer than FRESH_BELOW members with
        ratings, always counted afresh after a write. A count begun before a change of who counts (a member
        turned hidden, forgot, left) is served to the one who asked but never kept."""
        commits = self._commits()
        cached = self._servers.get(guild_id)
        if cached is not None:
            if commits is not None and commits == cached.commits:
                return cached
            age = time.monotonic() - cached.at
            if cached.tally.members >= FRESH_BELOW and 0 < self.tally_seconds and age < self.stale_at_most:
                running = self._recounts.get(guild_id)
                aged = age >= self.tally_seconds
                if aged and (running is None or running.done()):
                    self._recounts[guild_id] = asyncio.create_task(self._count(guild_id), name=f"recount-{guild_id}")
                    self._recounts[guild_id].add_done_callback(_log_failure)
                return cached
        return await self._count(guild_id)

    def _commits(self) -> int | None:
        """This process's write count, when it sees every write: with SQLite (one bot process). With
        PostgreSQL other shards write too, so a count ages out after tally_seconds whatever happened."""
        return self.store.commits if self.store.dialect == SQLITE else None

    async def tally(self, guild_id: int) -> ServerTally:
        return (await self.server(guild_id)).tally

    async def _count(self, guild_id: int) -> _Server:
        commits = self._commits()  # before the count: a write during it leaves it stale
        generation = self._generation
        rows, members = await self.store.guild_title_counts(guild_id, LOVED, DISLIKED)
        tally = await self.ranked(ServerTally.from_split_rows, rows, members)
        server = _Server(tally, time.monotonic(), commits)
        if generation == self._generation:  # else who counts changed meanwhile: served once, never kept
            self._servers[guild_id] = server
        return server

    async def close(self) -> None:
        for task in self._recounts.values():
            task.cancel()
        await asyncio.gather(*self._recounts.values(), return_exceptions=True)

    def _title(self, anime_id: int) -> Anime | None:
        return self.catalog.get(anime_id) if anime_id in self.catalog else None

    def _shown(self, anime_id: int, allow_adult: bool) -> bool:
        anime = self._title(anime_id)
        return anime is not None and (allow_adult or not anime.is_adult)

    # --- /taste -------------------------------------------------------------------------------

    async def taste(self, guild_id: int, member_id: int, *, viewer_id: int, name: str,
                    allow_adult: bool = False) -> Taste:
        """A member's map and genre profile against this server's. UserError when the member is
        hidden from the viewer or has rated nothing."""
        self.served()  # warming up: say so before anything else
        await self.check_visible(member_id, viewer_id, name, "I can't show it")
        await self.seen(guild_id, viewer_id, member_id)
        ratings = await self.store.rating_map(member_id, self.catalog)
        if not ratings:
            if member_id == viewer_id:
                raise UserError("Rate a few titles first (/rate or /import): your taste map is drawn from them.")
            raise UserError(f"{name} hasn't rated anything yet, so there is no taste to show.")
        views = await self.views()
        server = await self.server(guild_id)
        served = self.served()
        hidden = await self.store.is_hidden(member_id)
        return await self.ranked(self._taste, served, views, server, member_id, ratings, name, allow_adult, hidden)

    def _server_taste(self, cmap: CatalogMap, tally: ServerTally, allow_adult: bool
                      ) -> tuple[tuple[float, float] | None, dict[int, float]]:
        """The server's place on the map and its liking per title (the titles this channel may show)."""
        weights = {a: w for a, w in tally.liking_weights().items() if self._shown(a, allow_adult)}
        return cmap.weighted_place(weights), weights

    def _taste(self, served: ServedModel, views: _ModelViews, server: _Server, member_id: int,
               ratings: dict[int, float], name: str, allow_adult: bool, hidden: bool) -> Taste:
        cmap, tally = views.cmap, server.tally
        shown = {a: r for a, r in ratings.items() if self._shown(a, allow_adult)}
        allowed = served.allowed(allow_adult=allow_adult)
        picks = served.recommend(ratings, TASTE_PICKS, allowed=allowed).picks
        rated = [_point(self.catalog.get(a), p, score=r) for a, r in shown.items() if (p := cmap.point(a)) is not None]
        pick_points = [_point(self.catalog.get(p.anime_id), xy) for p in picks if (xy := cmap.point(p.anime_id)) is not None]
        labelled = {*ratings, *(p.anime_id for p in picks)}
        landmarks = [_point(self.catalog.get(a), xy)
                     for a in cmap.landmarks(LANDMARKS, exclude=labelled,
                                             allowed=cmap.item_ids[views.background].tolist())
                     if (xy := cmap.point(a)) is not None]
        server_place, weights = server.derived(("taste", allow_adult, id(cmap)), lambda: self._server_taste(
            cmap, server.tally, allow_adult))
        profile = genre_profile(shown, weights, self.genres_of)
        offset = rating_offset(ratings, tally, hidden=hidden)
        whose = f"{name}'s" if name.lower() != "you" else "Your"
        # A server whose only member with ratings is this one would be set beside itself: its ring and
        # bars are the member's own, and "your genres follow the server's" says nothing.
        # A hidden member is in the server's count only where it takes in hidden members.
        alone = tally.members - (not hidden or tally.members_with_hidden) < 1
        subtitle = (f"{len(ratings)} title{'s' if len(ratings) != 1 else ''} rated or watched · " + (
            "the server's only member with ratings so far" if alone else
            f"server: {tally.members} member{'s' if tally.members != 1 else ''} with ratings"))
        bare = not profile.genres and any(liking(r) > 0 for r in shown.values())  # liked, but no genres listed
        picture = TastePicture(
            title=f"{whose} taste map", subtitle=subtitle,
            catalog=[tuple(xy) for xy in cmap.xy[views.background].tolist()],
            landmarks=landmarks, rated=rated, picks=pick_points, place=cmap.place(shown or ratings),
            server_place=None if alone else server_place, genres=profile.genres, member_shares=profile.member,
            server_shares=() if alone else profile.server, axis_notes=views.axis_notes, who=name,
            liked_without_genres=bare)
        return Taste(member_id, picture, profile, offset, len(ratings),
                     tuple(self.catalog.get(p.anime_id) for p in picks), alone, bare)

    # --- /compare -----------------------------------------------------------------------------

    async def compare(self, guild_id: int, caller_id: int, other_id: int, *, other_name: str,
                      allow_adult: bool = False) -> Comparison:
        served = self.served()
        if other_id == caller_id:
            raise UserError("Pick someone else: you agree with yourself completely.")
        await self.check_visible(other_id, caller_id, other_name, "nobody can compare with them")
        await self.seen(guild_id, caller_id, other_id)
        mine = await self.store.rating_map(caller_id, self.catalog)
        theirs = await self.store.rating_map(other_id, self.catalog)
        if not mine:
            raise UserError("Rate a few titles first (/rate or /import), then compare.")
        if not theirs:
            raise UserError(f"{other_name} hasn't rated anything yet, so there is nothing to compare.")
        views = await self.views()
        return await self.ranked(self._compare, served, views, mine, theirs, allow_adult)

    def _compare(self, served: ServedModel, views: _ModelViews, mine: dict[int, float], theirs: dict[int, float],
                 allow_adult: bool) -> Comparison:
        model = served.model
        result = affinity(mine, theirs, model.fold_in(liked_titles(mine)), model.fold_in(liked_titles(theirs)),
                          views.direction)
        favourites = tuple(self.catalog.get(a) for a in result.favourites if self._shown(a, allow_adult))
        disagreement = None
        if result.disagreement is not None and self._shown(result.disagreement[0], allow_adult):
            a, x, y = result.disagreement
            disagreement = (self.catalog.get(a), x, y)
        # "Both would love": each at or above what they usually give, as their own /recommend holds it.
        picks = group_picks(served, [mine, theirs], TOGETHER, strategy="least_misery",
                            allowed=served.allowed(allow_adult=allow_adult), floors=[member_floor(mine),
                                                                                     member_floor(theirs)])
        together = tuple((self.catalog.get(p.anime_id), *p.predictions) for p in picks)
        return Comparison(result, favourites[:5], disagreement, together)  # type: ignore[arg-type]

    # --- /score -------------------------------------------------------------------------------

    async def score(self, guild_id: int, caller_id: int, anime: Anime) -> TitleScore:
        """What this server's members gave a title, and the caller's own score or prediction."""
        await self.seen(guild_id, caller_id)
        rows = [(u, r, hidden and u != caller_id) for u, r, hidden in
                await self.store.guild_title_ratings(guild_id, anime.anime_id)]
        visible = {u for u, _, hidden in rows if not hidden}
        tally = title_tally(private_rows(rows))
        shown = TitleTally(tally.given, tally.scored, tally.mean, tally.histogram,
                           tuple(u for u in tally.loved_by if u in visible))
        hidden_lovers = len(tally.loved_by) - len(shown.loved_by)
        mine = await self.store.rating_map(caller_id)
        own = mine.get(anime.anime_id)
        predicted = because = source = None
        scored = False
        if own is None:
            served = self.served()
            predicted, because_id = await self.ranked(served.explain, mine, anime.anime_id)
            at = served.index_of(anime.anime_id)
            # A title the model does not serve yet is predicted as the member's usual score (Recommender.predict).
            source = served.source(at) if at is not None else "prior"
            scored = at is not None and served.scored(at)
            behind = self._title(because_id) if because_id is not None else None
            if behind is not None and not (behind.is_adult and not anime.is_adult):
                because = Because(behind, mine[behind.anime_id])
        return TitleScore(anime, shown, own, predicted, because, hidden_lovers, source, scored)

    # --- /server top --------------------------------------------------------------------------

    async def server_top(self, guild_id: int, caller_id: int, *, allow_adult: bool = False,
                         count: int = 5) -> ServerFavourites:
        self.served()
        await self.seen(guild_id, caller_id)
        views = await self.views()
        server = await self.server(guild_id)
        top = server.derived(("top", allow_adult, count, id(views)),
                             lambda: self._server_top(server.tally, allow_adult, count))
        return replace(top, caller_hidden=await self.store.is_hidden(caller_id))

    def _server_top(self, tally: ServerTally, allow_adult: bool, count: int) -> ServerFavourites:
        keep = np.array([self._shown(a, allow_adult) for a in tally.anime_ids.tolist()], bool)
        top = server_top(tally, self.catalog.members_now(tally.anime_ids.tolist()), count, keep=keep)
        ids = {a for a, *_ in top.favourites} | {a for a, _ in top.most_watched} | {a for a, *_ in top.loved_here}
        return ServerFavourites(top, {a: self.catalog.get(a) for a in ids}, tally.members)


def _point(anime: Anime, xy: Sequence[float], score: float = 0.0) -> Point:
    """A title on the /taste map: its name, and its Latin one for a name in Japanese script."""
    return Point(anime.name, float(xy[0]), float(xy[1]), score, Catalog.other_name(anime))


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("recounting a server failed", exc_info=task.exception())
