"""The one service layer: Discord, the console and the tests all call these methods the same way.

Plain values in (member ids, free text), plain dataclasses out; no Discord types. Anything a member
did wrong is a UserError whose message can be shown as is. Model work runs off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bot import limits
from bot.cooldown import Cooldown, wait_text
from bot.malxml import MalImportError, parse_mal_export
from bot.settings import Settings
from bot.store import PARTY_DAYS, Store, StoreBusy, TrainingRecord, now
from bot.training import TrainingFailed, run_training, train_command
from recsys.artifacts import ModelLoadError, load_current
from recsys.catalog import Anime, Catalog, UnknownFilter
from recsys.data import WATCHED
from recsys.group import STRATEGIES
from recsys.model import Recommender, UnknownTitle
from recsys.serving import CONTINUE, Engine, franchises_for

log = logging.getLogger(__name__)

MIN_RATINGS = 3  # below this, /recommend shows titles to rate beside the first picks
MAX_COUNT = limits.CHOICES  # a list fits one select menu (rate / not interested)
MAX_PARTY = 12  # members whose predicted scores fit beside each pick
# Seconds before retrying a failed first training, in turn; the last repeats until a model is served.
FIRST_TRAINING_RETRY_DELAYS = (60.0, 300.0, 900.0)
ONBOARDING_TITLES = 4
WATCHED_WORDS = {"watched", "w", "seen"}
WATCHED_STATUSES = {"completed", "watching", "1", "2"}  # exports spell statuses as words or MAL's codes
EXPORT_PREFIX = ".community-ratings-"  # a retrain's private export of every rating, deleted after it
LEGACY_EXPORT = "community-ratings.csv"  # written, and never deleted, by earlier versions


class UserError(Exception):
    """Something the member can fix; str(error) is the message to show them."""


class WarmingUp(UserError):
    pass


SOMETHING_WENT_WRONG = "Something went wrong on my side; it has been logged. Please try again."


def member_message(error: BaseException) -> str | None:
    """What to tell a member about an error the service raised, on Discord and in the console alike:
    the message of their own mistake or of an expected condition; None for a bug (log it, then say
    SOMETHING_WENT_WRONG)."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, StoreBusy):
        return "My database is busy right now; please try again in a moment. Nothing was lost."
    return None


def clip(text: str, limit: int) -> str:
    """text cut to limit characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_score(text: str | float) -> float:
    """A score as members type it: a whole number 1-10, or "watched" (seen, no score)."""
    value = str(text).strip().lower()
    if value in WATCHED_WORDS:
        return WATCHED
    if value.isascii() and value.isdigit() and len(value) <= 2 and 1 <= int(value) <= 10:
        return float(value)
    raise UserError(f"“{clip(str(text).strip(), 20)}” is not a score: give a whole number from 1 to 10, or `watched`.")


def _clock(timestamp: str) -> str:
    """"2026-11-25T06:24:10+00:00" -> "06:24 UTC"."""
    return f"{datetime.fromisoformat(timestamp):%H:%M} UTC"


def describe_score(rating: float) -> str:
    return "watched" if rating == WATCHED else f"{rating:g}/10"


@dataclass(frozen=True)
class RateResult:
    anime: Anime
    rating: float
    previous: float | None  # the member's earlier rating of it, if any
    predicted: float | None  # what the model expected them to give (None while warming up)
    alternatives: tuple[Anime, ...] = ()  # other entries of its series the typed name also fits


@dataclass(frozen=True)
class RatedTitle:
    anime: Anime
    rating: float
    updated_at: str


@dataclass(frozen=True)
class RatingList:
    items: list[RatedTitle]
    hidden: int  # adult titles left out of this channel


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    skipped: dict[str, int]  # reason -> count


@dataclass(frozen=True)
class Forgotten:
    ratings: int
    dismissals: int
    # The served model (or the one training now) learnt from community ratings, perhaps theirs: blended
    # into its title weights, without a row per member, until a retrain without them.
    in_model: bool


@dataclass(frozen=True)
class Pick:
    anime: Anime
    predicted: float
    match: float = 0.0  # 0-1, follows the list order (recsys.serving.Pick.match)
    continues: bool = False  # goes on from `because`, a title the member gave
    because: Anime | None = None
    because_rating: float | None = None
    more_in_series: int = 0


@dataclass(frozen=True)
class Recommendations:
    picks: list[Pick]
    onboarding: list[Anime] = field(default_factory=list)  # titles to rate first, when the member has few
    seen_these: list[Anime] = field(default_factory=list)  # earlier entries of their series: rate, not watch
    requested: int = 0

    @property
    def short(self) -> bool:
        return len(self.picks) < self.requested


@dataclass(frozen=True)
class Neighbour:
    anime: Anime
    similarity: float


@dataclass(frozen=True)
class SimilarTitles:
    source: Anime
    neighbours: list[Neighbour]  # other works, one per franchise
    same_series: list[Anime] = field(default_factory=list)  # the source's own franchise, oldest first


@dataclass(frozen=True)
class PartyPick:
    anime: Anime
    predictions: tuple[float, ...]  # one per member of WatchParty.members
    more_in_series: int = 0


@dataclass(frozen=True)
class WatchParty:
    strategy: str
    members: tuple[int, ...]  # members with ratings, in the order of PartyPick.predictions
    unrated: tuple[int, ...]  # members with no ratings: left out, to be invited to /rate
    picks: list[PartyPick]

    @property
    def strategy_description(self) -> str:
        return STRATEGIES[self.strategy]


@dataclass(frozen=True)
class Stats:
    model_version: str | None
    trained_at: str | None
    counts: dict  # the served model's training counts (dataset vs community interactions, users, items)
    evaluation: dict
    community_ratings: int
    community_members: int
    training_since: str | None  # a retrain running now, started then
    last_training: TrainingRecord | None  # the latest finished one
    last_failure: TrainingRecord | None
    next_training_at: str | None = None  # with no model yet: when the failed first training is tried again


async def open_service(settings: Settings, catalog: Catalog | None = None) -> Service:
    """A started service on the settings' data directory (catalog: reuse one already loaded)."""
    store = await Store.open(settings.db_path)
    try:
        catalog = catalog or await asyncio.to_thread(Catalog.load)
        service = Service(store, catalog, settings.data_dir, train_config=settings.train_config,
                          import_cooldown=settings.import_cooldown)
        await service.start()
    except BaseException:
        await store.close()  # aiosqlite's thread is not a daemon: left open, the process never exits
        raise
    return service


class Service:
    def __init__(self, store: Store, catalog: Catalog, data_dir: Path, *, train_config: str = "default",
                 import_cooldown: float = 60, retry_delays: Sequence[float] = FIRST_TRAINING_RETRY_DELAYS) -> None:
        self.store = store
        self.catalog = catalog
        self.data_dir = Path(data_dir)
        self.models_dir = self.data_dir / "models"
        self.train_config = train_config
        self.franchises = franchises_for(catalog)
        self._engine: Engine | None = None  # the served model with the fan rules
        self._train_lock = asyncio.Lock()
        self._training_since: str | None = None
        self._first_training: asyncio.Task | None = None
        self.retry_delays = tuple(retry_delays)
        self._first_failure: TrainingRecord | None = None  # while no model: the last failed try, and
        self._next_training_at: datetime | None = None  # when the next one starts
        self.training_pid: int | None = None  # the training child process, while one runs
        self.import_cooldown = Cooldown(import_cooldown)  # per member: parsing a big export is costly
        from bot.community import Community  # it imports UserError from here

        self.community = Community(store, catalog, self._require_engine)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve the published model; with none usable, train one in the background meanwhile."""
        await self.store.abandon_unfinished_training()
        await asyncio.to_thread(self._remove_exports)
        try:
            self._engine = await asyncio.to_thread(self._load_engine)
            log.info("serving model %s", self.model_version)
        except ModelLoadError as exc:
            log.warning("no usable model (%s): training one now; commands answer 'warming up' until it is ready", exc)
            self._first_training = asyncio.create_task(self._train_first_model(), name="first-training")

    async def _train_first_model(self) -> None:
        """Train until there is a model to serve, retrying a failure after each of retry_delays in turn."""
        attempt = 0
        while self._model is None:
            if self.training:  # an /admin retrain or the nightly run got there first: see how it ends
                async with self._train_lock:
                    pass
                continue
            try:
                record = await self.retrain()
            except Exception:  # e.g. the store stayed locked: the bot must not stay modelless until the cron
                log.exception("first training failed")
                record = None
            if self._model is not None:
                break
            self._first_failure = record
            delay = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
            attempt += 1
            self._next_training_at = datetime.now(UTC) + timedelta(seconds=delay)
            log.warning("no model yet: training again at %s", self._next_training_at.isoformat(timespec="seconds"))
            await asyncio.sleep(delay)
            self._next_training_at = None
        self._first_failure = None

    async def wait_for_model(self) -> bool:
        """Wait for the first model: True once one is served, False when its training failed (a retry
        is scheduled; /stats and the warming-up reply say when)."""
        while self._engine is None:
            first = self._first_training
            if first is None or first.done() or self._next_training_at is not None:
                return self._engine is not None
            await asyncio.sleep(0.1)
        return True

    async def close(self) -> None:
        if self._first_training is not None:
            self._first_training.cancel()  # kills the training child (see run_training)
            await asyncio.gather(self._first_training, return_exceptions=True)
        await self.community.close()
        await self.store.close()

    @property
    def _model(self) -> Recommender | None:
        return self._engine.model if self._engine is not None else None

    @property
    def model_version(self) -> str | None:
        return self._model.meta.get("version") if self._model is not None else None

    @property
    def training(self) -> bool:
        return self._train_lock.locked()

    def _require_engine(self) -> Engine:
        engine = self._engine  # taken once: a hot swap during the request does not affect it
        if engine is None and self._next_training_at is not None and not self.training:
            failed = self._first_failure
            why = f" at {_clock(failed.finished_at)} ({clip(failed.error or 'see the log', 200)})" if failed else ""
            raise WarmingUp(
                f"I'm still warming up: training my first model failed{why}. I'll try again at "
                f"{self._next_training_at:%H:%M} UTC (your /rate and /import work already)."
            )
        if engine is None:
            raise WarmingUp(
                "I'm still warming up: my first model is training. Try again in a few minutes "
                "(your /rate and /import work already)."
            )
        return engine

    def _require_model(self) -> Recommender:
        return self._require_engine().model

    def _load_engine(self) -> Engine:
        """The published model with its fan rules, built off the event loop."""
        return Engine(load_current(self.models_dir), self.catalog, self.franchises)

    async def reload_model(self) -> bool:
        """Swap in the published `current` model; on a bad one keep serving the old (logged)."""
        try:
            engine = await asyncio.to_thread(self._load_engine)
        except ModelLoadError as exc:
            log.error("cannot load the published model, still serving %s: %s", self.model_version, exc)
            return False
        # The hot swap: requests already running keep the reference they took.
        self._engine = engine
        log.info("now serving model %s", self.model_version)
        return True

    async def retrain(self) -> TrainingRecord:
        """Train on the dataset plus every community rating in a child process, then swap the model in."""
        if self._train_lock.locked():
            raise UserError("A retrain is already running; /stats shows when it started.")
        async with self._train_lock:
            record_id = await self.store.training_started()
            self._training_since = now()
            error = None
            extra = None
            try:
                extra = await asyncio.to_thread(self._private_export)
                rows = await self.store.export_ratings(extra)
                cmd = train_command(self.models_dir, extra if rows else None, self.train_config)
                await run_training(cmd, on_start=self._training_started)
                if not await self.reload_model():
                    error = "the new model could not be loaded (see the log); still serving the previous one"
            except (TrainingFailed, OSError, StoreBusy) as exc:
                error = str(exc)
                log.error("retrain failed, still serving %s: %s", self.model_version or "no model", error)
            finally:
                self.training_pid = self._training_since = None
                if extra is not None:  # member data lives no longer than the training that needs it
                    extra.unlink(missing_ok=True)
            meta = self._model.meta if self._model is not None and error is None else {}
            await self.store.training_finished(
                record_id, version=meta.get("version"), trained_at=meta.get("trained_at"), error=error
            )
            return (await self.store.training_history(1))[0]

    def _training_started(self, pid: int) -> None:
        self.training_pid = pid

    def _private_export(self) -> Path:
        """A new empty file only this user can read (mkstemp creates it 0600)."""
        fd, name = tempfile.mkstemp(prefix=EXPORT_PREFIX, suffix=".csv", dir=self.data_dir)
        os.close(fd)
        return Path(name)

    def _remove_exports(self) -> None:
        """Exports left by a bot killed mid-training (its cleanup never ran) or by earlier versions."""
        for path in [self.data_dir / LEGACY_EXPORT, *self.data_dir.glob(f"{EXPORT_PREFIX}*.csv")]:
            path.unlink(missing_ok=True)

    # --- titles -------------------------------------------------------------------------------

    async def allow_adult(self, guild_id: int | None, nsfw_channel: bool) -> bool:
        """Adult titles only in age-restricted channels of servers that have not hidden them."""
        if not nsfw_channel:
            return False
        return guild_id is None or not await self.store.hide_adult(guild_id)

    async def set_hide_adult(self, guild_id: int, hide: bool) -> None:
        await self.store.set_hide_adult(guild_id, hide)

    def search_titles(self, text: str, *, allow_adult: bool = False, limit: int = 25) -> list[Anime]:
        return self.catalog.search(text, limit, allow_adult=allow_adult)

    def resolve(self, text: str, *, allow_adult: bool = False) -> Anime:
        return self.resolve_choice(text, allow_adult=allow_adult)[0]

    def resolve_choice(self, text: str, *, allow_adult: bool = False) -> tuple[Anime, tuple[Anime, ...]]:
        """The title free text means, and the other entries of its series the text names as well
        ("hunter x hunter": the 2011 series, the 1999 one offered); UserError with hints for none."""
        found = self.catalog.resolve_choice(text, allow_adult=allow_adult)
        if found is not None:
            series = self.franchises.franchise_of(found.anime.anime_id)
            return found.anime, tuple(a for a in found.alternatives
                                      if self.franchises.franchise_of(a.anime_id) == series)
        shown = clip(" ".join(text.split()), 60)
        hints = [a.name for a in self.catalog.suggest(text, allow_adult=allow_adult)]
        if hints:
            raise UserError(f"I don't know a title “{shown}”. Did you mean: {'; '.join(hints)}?")
        raise UserError(f"I don't know a title “{shown}”: try its English or Japanese name, or fewer words.")

    def _filters(self, engine: Engine, genre: str | None, type: str | None, allow_adult: bool) -> np.ndarray:
        try:
            return engine.allowed(genre, type, allow_adult=allow_adult)
        except UnknownFilter as exc:
            raise UserError(str(exc)) from None

    def _check_filters(self, genre: str | None, type: str | None) -> None:
        try:
            self.catalog.check_filters(genre, type)
        except UnknownFilter as exc:
            raise UserError(str(exc)) from None

    @staticmethod
    def _count(count: int) -> int:
        if not 1 <= count <= MAX_COUNT:
            raise UserError(f"Count must be between 1 and {MAX_COUNT}.")
        return count

    # --- ratings ------------------------------------------------------------------------------

    async def rate(self, user_id: int, title: str, score: str | float, *, allow_adult: bool = False) -> RateResult:
        anime, alternatives = self.resolve_choice(title, allow_adult=allow_adult)
        rating = parse_score(score)
        model = self._model

        async def predict() -> float | None:
            if model is None:
                return None
            before = await self.store.rating_map(user_id)
            before.pop(anime.anime_id, None)
            return float((await asyncio.to_thread(model.predict, before, [anime.anime_id]))[0])

        # Side by side: the prediction leaves this title out, so it is the same whether it reads the
        # member's ratings before or after this write commits.
        predicted, previous = await asyncio.gather(
            predict(), self.store.upsert_ratings(user_id, {anime.anime_id: rating})
        )
        return RateResult(anime, rating, previous[anime.anime_id], predicted, alternatives)

    async def unrate(self, user_id: int, title: str, *, allow_adult: bool = False) -> Anime:
        anime = self.resolve(title, allow_adult=allow_adult)
        if not await self.store.delete_rating(user_id, anime.anime_id):
            raise UserError(f"You haven't rated {anime.name}.")
        return anime

    async def ratings(self, user_id: int, *, allow_adult: bool = False) -> RatingList:
        items, hidden = [], 0
        for r in await self.store.ratings(user_id):
            anime = self.catalog.get(r.anime_id)
            if anime.is_adult and not allow_adult:
                hidden += 1
            else:
                items.append(RatedTitle(anime, r.rating, r.updated_at))
        return RatingList(items, hidden)

    def check_import(self, user_id: int) -> None:
        """UserError while the member's import cooldown runs: ask before fetching the file."""
        self._import_wait(self.import_cooldown.remaining(user_id))

    def _import_wait(self, left: float) -> None:
        if left:
            raise UserError(f"One import every {wait_text(self.import_cooldown.seconds)}: "
                            f"try again in {wait_text(left)}.")

    async def import_mal_xml(self, user_id: int, data: bytes) -> ImportReport:
        """Import a MyAnimeList export; all or nothing (a bad file stores nothing)."""
        self._import_wait(self.import_cooldown.take(user_id))
        try:
            entries, malformed = await asyncio.to_thread(parse_mal_export, data)  # 5 MB of XML: not on the loop
        except MalImportError as exc:
            raise UserError(f"I couldn't import that file: {exc}. Nothing was stored.") from None
        skipped = {"not in the catalog": 0, "planned, on hold or dropped without a score": 0,
                   "malformed entries": malformed}
        existing = await self.store.rating_map(user_id)
        wanted: dict[int, float] = {}
        for e in entries:
            if e.anime_id not in self.catalog:
                skipped["not in the catalog"] += 1
            elif e.score:
                wanted[e.anime_id] = float(e.score)
            elif e.status in WATCHED_STATUSES:  # says less than a score already given here: keep that
                wanted[e.anime_id] = existing.get(e.anime_id, WATCHED)
            else:
                skipped["planned, on hold or dropped without a score"] += 1
        changed = {a: r for a, r in wanted.items() if existing.get(a) != r}
        if changed:
            await self.store.upsert_ratings(user_id, changed)
        added = sum(a not in existing for a in changed)
        return ImportReport(added, len(changed) - added, len(wanted) - len(changed),
                            {k: v for k, v in skipped.items() if v})

    async def forget(self, user_id: int) -> Forgotten:
        """Delete everything stored about a member (the caller has asked them to confirm)."""
        ratings, dismissals = await self.store.forget(user_id)
        self.community.forgotten(user_id)
        model = self._model
        learnt = model is not None and model.meta.get("counts", {}).get("community_interactions", 0) > 0
        return Forgotten(ratings, dismissals, bool(ratings) and (learnt or self.training))

    async def dismiss(self, user_id: int, anime_ids: Iterable[int]) -> None:
        await self.store.dismiss(user_id, [a for a in anime_ids if a in self.catalog])

    # --- recommendations ----------------------------------------------------------------------

    async def recommend(
        self, user_id: int, *, genre: str | None = None, type: str | None = None, count: int = 10,
        allow_adult: bool = False, exclude: Iterable[int] = (), onboard: bool = True, discover: bool = False,
    ) -> Recommendations:
        """Picks folded in on the member's current ratings, after the fan rules (recsys.serving). With
        onboard and fewer than MIN_RATINGS ratings, titles to rate come with them (alone, with none)."""
        engine = self._require_engine()
        count = self._count(count)
        self._check_filters(genre, type)  # a UserError before any work
        ratings = await self.store.rating_map(user_id)
        dismissed = await self.store.dismissals(user_id)
        onboarding_due = onboard and len(ratings) < MIN_RATINGS
        if onboarding_due and not ratings:
            return Recommendations([], self._onboarding(engine.model, dismissed, allow_adult))

        def work():  # the filter mask too: numpy on the loop gives the GIL away and waits to get it back
            allowed = self._filters(engine, genre, type, allow_adult)
            return engine.recommend(ratings, count, exclude={*dismissed, *exclude}, allowed=allowed, discover=discover)

        found = await asyncio.to_thread(work)
        picks = []
        for p in found.picks:
            because = self.catalog.get(p.because) if p.because in self.catalog else None
            if because is not None and because.is_adult and not allow_adult:
                because = None
            picks.append(Pick(self.catalog.get(p.anime_id), p.predicted, p.match, p.kind == CONTINUE and because is not None,
                              because, ratings.get(because.anime_id) if because else None, p.more_in_series))
        seen_these = [self.catalog.get(a) for a in found.seen_these if a not in dismissed]
        # Titles to rate beside the first picks: none already on the page.
        shown = {p.anime_id for p in found.picks} | set(found.seen_these)
        onboarding = self._onboarding(engine.model, ratings.keys() | dismissed | shown, allow_adult) \
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

    async def onboarding_titles(self, user_id: int, *, allow_adult: bool = False, skip: Iterable[int] = ()) -> list[Anime]:
        model = self._require_model()
        rated = (await self.store.rating_map(user_id)).keys() | await self.store.dismissals(user_id)
        return self._onboarding(model, rated | set(skip), allow_adult)

    async def similar(
        self, title: str, *, count: int = 10, genre: str | None = None, type: str | None = None,
        allow_adult: bool = False,
    ) -> SimilarTitles:
        engine = self._require_engine()
        count = self._count(count)
        source = self.resolve(title, allow_adult=allow_adult)
        allowed = self._filters(engine, genre, type, allow_adult)
        try:
            found = await asyncio.to_thread(engine.similar, source.anime_id, count, allowed=allowed)
        except UnknownTitle:
            raise UserError(f"{source.name} has too few ratings in my data to find similar titles.") from None
        series = [self.catalog.get(a) for a in found.same_series]
        return SimilarTitles(source, [Neighbour(self.catalog.get(a), s) for a, s in found.neighbours],
                             [a for a in series if allow_adult or not a.is_adult])

    def check_watchparty(self, member_ids: Sequence[int], *, strategy: str, genre: str | None, type: str | None,
                         count: int) -> None:
        """UserError for a request /watchparty cannot serve: the checks that need no database."""
        self._require_model()
        if strategy not in STRATEGIES:
            raise UserError(f"Unknown strategy “{clip(strategy, 30)}”. Strategies: {', '.join(STRATEGIES)}.")
        self._count(count)
        self._check_filters(genre, type)
        members = set(member_ids)
        if not members:
            raise UserError("Nobody to watch with: join a voice channel, pick one, or mention members.")
        if len(members) > MAX_PARTY:
            raise UserError(f"A watch party is at most {MAX_PARTY} members; this one has {len(members)}.")

    async def watchparty(
        self, member_ids: Sequence[int], *, strategy: str = "average", genre: str | None = None,
        type: str | None = None, count: int = 5, allow_adult: bool = False,
    ) -> WatchParty:
        """Titles no member has rated or watched, ranked for the group by the strategy."""
        self.check_watchparty(member_ids, strategy=strategy, genre=genre, type=type, count=count)
        engine = self._require_engine()
        members = list(dict.fromkeys(member_ids))
        allowed = self._filters(engine, genre, type, allow_adult)
        given = {m: await self.store.rating_map(m) for m in members}
        raters = tuple(m for m in members if given[m])
        unrated = tuple(m for m in members if not given[m])
        if not raters:
            return WatchParty(strategy, raters, unrated, [])
        picks = await asyncio.to_thread(engine.group, [given[m] for m in raters], count,
                                        strategy=strategy, allowed=allowed)
        return WatchParty(strategy, raters, unrated,
                          [PartyPick(self.catalog.get(p.anime_id), p.predictions, p.more_in_series) for p in picks])

    async def open_party_vote(self, message_id: int, member_ids: Iterable[int]) -> None:
        await self.store.open_party(message_id, member_ids)

    async def vote(self, message_id: int, user_id: int, rank: int) -> dict[int, int]:
        """Record a party member's vote for the pick at rank (a new vote moves it); the tally, rank -> votes."""
        if not await self.store.vote(message_id, user_id, rank):
            raise UserError(f"Only members of this watch party can vote, within {PARTY_DAYS} days of it.")
        return await self.store.party_tally(message_id)

    # --- stats --------------------------------------------------------------------------------

    async def stats(self) -> Stats:
        model = self._model
        meta = model.meta if model is not None else {}
        ratings, members = await self.store.rating_counts()
        history = await self.store.training_history(20)
        finished = [r for r in history if r.status != "training"]
        retry = self._next_training_at if model is None else None
        return Stats(
            model_version=meta.get("version"),
            trained_at=meta.get("trained_at"),
            counts=meta.get("counts", {}),
            evaluation=meta.get("evaluation") or {},
            community_ratings=ratings,
            community_members=members,
            training_since=self._training_since,
            last_training=finished[0] if finished else None,
            last_failure=next((r for r in finished if r.status == "failed"), None),
            next_training_at=retry.isoformat(timespec="seconds") if retry is not None else None,
        )
