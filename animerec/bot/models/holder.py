"""The one owner of the served model: loading it, training the next one in a child process, and
the hot swap between requests. Everything else asks it for the served model of the moment.

Several processes of one bot (shards) may share the database and the models directory: one of them
trains at a time (the store's training lock: a PostgreSQL advisory lock, or a file lock beside the
SQLite file), and every process serves a newly published model within seconds (a PostgreSQL
notification, and a look at the models directory's `current` every `poll` seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ParamSpec, TypeVar

from apscheduler.triggers.cron import CronTrigger

from animerec.bot.limits import clip
from animerec.bot.models.cooldown import Cooldown, wait_text
from animerec.bot.models.training import TrainingFailed, run_training, train_command
from animerec.bot.service.errors import UserError, WarmingUp
from animerec.bot.settings import RETRAIN_COOLDOWN, models_dir_in
from animerec.bot.store import Store, StoreBusy, TrainingRecord, TrainingStatus, now
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.lifecycle.artifacts import ModelLoadError, current_dir, load_current, meta_of
from animerec.recsys.lifecycle.meta import DEFAULT_CONFIG, ModelMeta
from animerec.recsys.model import Recommender
from animerec.recsys.serving.served import ServedModel, franchises_for

_P = ParamSpec("_P")
_T = TypeVar("_T")
log = logging.getLogger(__name__)

# Seconds before retrying a failed first training, in turn; the last repeats until a model is served.
FIRST_TRAINING_RETRY_DELAYS = (60.0, 300.0, 900.0)
# Threads for the model work a member waits on (a ranking, a prediction), apart from the default
# executor's background work (loading a model, building a served one, a community refresh). The
# rankings are Python holding the GIL between numpy calls: with the default executor's six threads a
# busy server's rankings took turns at the GIL with each other and with the event loop, and every
# ranking, and each /rate's prediction queued behind them, took the whole queue's time. End to end
# (docs/benchmarks.md), two threads brought the fast row's /recommend p99 from 148-684 ms to 85-210 ms.
RANKING_THREADS = 2
# Seconds after a model is swapped in before its serving warm-up starts: first its /similar candidates are
# asked of Annoy ahead (ServedModel.similar_warm_up: about 4 s of queries for 15,500 titles, off the event loop).
# Each title's first /similar keeps its own meanwhile, at the cost every /similar had before; a process that
# lives less than this (the console, a CLI run, a test that retrains) never pays for the rest.
SERVING_WARM_UP_AFTER = 300.0
# Then the coverage order's rows of the most-watched titles (ServedModel.alone_warm_up: 1,200 rows, 1.7 s of
# one core and 37.6 MB, benchmarks/bench_serve.py): a newcomer who gave those titles reads them instead of
# making them. Until then, and for other titles, a newcomer's first /recommend makes its rows and keeps them.
EXPORT_PREFIX = ".community-ratings-"  # a retrain's private export of every rating, deleted after it
LEGACY_EXPORT = "community-ratings.csv"  # written, and never deleted, by earlier versions
ADMIN_RETRAIN = "admin-retrain"  # the cooldown's one key: every server shares the queue
RETRAIN_RUNNING = "A retrain is already running; /stats shows when it started."
RETRAIN_ELSEWHERE = ("A retrain is already running in another process of this bot; every process serves "
                     "its model once it is published.")


class TrainingElsewhere(UserError):
    """Another process (a shard) holds the training lock."""


def _clock(timestamp: str) -> str:
    """"2026-11-25T06:24:10+00:00" -> "06:24 UTC"."""
    return f"{datetime.fromisoformat(timestamp):%H:%M} UTC"


@dataclass(frozen=True)
class Loaded:
    """What a hot swap replaces, in one reference: the model with its fan rules, its meta.json, and the
    fingerprint of the community ratings its titles without interactions were folded in from (raters_digest)."""

    served: ServedModel
    meta: ModelMeta
    folded_from: bytes


class ModelHolder:
    """Requests take served() once and keep it; the retrain task is the only one (request_retrain)."""

    def __init__(self, store: Store, catalog: Catalog, data_dir: Path, *, train_config: str = DEFAULT_CONFIG,
                 retry_delays: Sequence[float] = FIRST_TRAINING_RETRY_DELAYS, models_dir: Path | None = None,
                 poll: float = 0.0, retrain_cooldown: float = RETRAIN_COOLDOWN, retrain_cron: str | None = None,
                 catalog_overlay: Path | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.data_dir = Path(data_dir)
        self.models_dir = Path(models_dir) if models_dir is not None else models_dir_in(self.data_dir)
        self.poll = poll  # seconds between two looks at `current` for another process's model; 0: never
        self._watcher: asyncio.Task[None] | None = None
        self._published = asyncio.Event()  # a notification: another process published a model
        self._looked_at: str | None = None  # the version `current` named at the last look: loaded once, not each look
        self.train_config = train_config
        self.retrain_cooldown = Cooldown(retrain_cooldown)  # /admin retrain: one queue for every server
        self.retrain_cron = retrain_cron  # the scheduled retrain (Settings.retrain_cron; the client's scheduler runs it)
        self.catalog_overlay = catalog_overlay  # the retrain trains over the catalog the bot serves
        self.franchises = franchises_for(catalog)
        self.retry_delays = tuple(retry_delays)
        self._loaded: Loaded | None = None
        self._retrain: asyncio.Task[TrainingRecord] | None = None  # the one training at a time
        self._first_training: asyncio.Task[None] | None = None
        self.training_since: str | None = None
        self.training_pid: int | None = None  # the training child process, while one runs
        self.first_failure: TrainingRecord | None = None  # while no model: the last failed try, and
        self.next_training_at: datetime | None = None  # when the next one starts
        self._ranking = ThreadPoolExecutor(RANKING_THREADS, thread_name_prefix="ranking")
        self._waited_on = 0  # calls of ranked() in flight: model work members wait on
        self._idle = asyncio.Event()  # set while there are none
        self._idle.set()
        self._serving_warm_up: asyncio.Task[None] | None = None  # of the model served (_serve)
        # Called after a served model is swapped in, the first one too (Picks.model_served: the lists members read).
        self.on_serve: Callable[[], None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve the published model; with none usable, train one in the background meanwhile."""
        release = await self.store.try_training_lock()
        if release is not None:  # nobody trains: runs still TRAINING died with their process
            try:
                await self.store.abandon_unfinished_training()
            finally:
                await release()
        await asyncio.to_thread(self._remove_exports)
        try:
            self._serve(await self._load())
            log.info("serving model %s", self.model_version)
        except ModelLoadError as exc:
            log.warning("no usable model (%s): training one now; commands answer 'warming up' until it is ready", exc)
            self._first_training = asyncio.create_task(self._train_first_model(), name="first-training")
        try:
            listening = await self.store.listen_models(lambda version: self._published.set())
        except Exception:  # e.g. the server refused one more connection: the looks at `current` remain
            log.exception("cannot listen for models published by other processes")
            listening = False
        if listening or self.poll > 0:
            self._watcher = asyncio.create_task(self._watch(), name="model-watcher")

    async def _watch(self) -> None:
        """Serve the model another process publishes: on its notification, or seen at a look at `current`."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._published.wait(), self.poll or None)
            self._published.clear()
            try:
                await self.check_published()
            except Exception:  # never let the watcher die: the next look tries again
                log.exception("looking for a newly published model failed")

    async def check_published(self) -> bool:
        """Swap in the published model if it is not the one served (another process trained it);
        True when it did. Our own retrain swaps its model in itself."""
        if self.training:
            return False
        try:
            version = (await asyncio.to_thread(current_dir, self.models_dir)).name
        except ModelLoadError:
            return False
        if version in (self.model_version, self._looked_at):
            return False
        self._looked_at = version  # one try: a model that fails to load is logged once, not every look
        log.info("model %s was published by another process: loading it", version)
        return await self.reload()

    async def _train_first_model(self) -> None:
        """Train until there is a model to serve, retrying a failure after each of retry_delays in turn."""
        attempt = 0
        while self.model is None:
            task = self.request_retrain()
            if task is None:  # an /admin retrain or the nightly run got there first: see how it ends
                assert self._retrain is not None
                await asyncio.wait([self._retrain])
                continue
            try:
                record: TrainingRecord | None = await task
            except TrainingElsewhere:  # another process trains the first model: serve it once published
                await self._wait_for_other_training()
                continue
            except Exception:  # e.g. the store stayed locked (logged by _log_outcome): try again, as after a failure
                record = None
            if self.model is not None:
                break
            self.first_failure = record
            delay = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
            attempt += 1
            self.next_training_at = datetime.now(UTC) + timedelta(seconds=delay)
            log.warning("no model yet: training again at %s", self.next_training_at.isoformat(timespec="seconds"))
            await asyncio.sleep(delay)
            self.next_training_at = None
        self.first_failure = None

    async def _wait_for_other_training(self) -> None:
        """Until another process's training has published a model here, or has ended without one."""
        while self.model is None:
            await asyncio.sleep(1.0)
            if await self.check_published():
                return
            release = await self.store.try_training_lock()
            if release is not None:  # it ended (or its process died): look once more, then train here
                await release()
                await self.check_published()
                return

    async def wait_for_model(self) -> bool:
        """Wait for the first model: True once one is served, False when its training failed (a retry
        is scheduled; /stats and the warming-up reply say when)."""
        while self._loaded is None:
            first = self._first_training
            if first is None or first.done() or self.next_training_at is not None:
                return self._loaded is not None
            await asyncio.sleep(0.1)
        return True

    async def close(self) -> None:
        """Stop training: cancelling kills the training child (see run_training)."""
        tasks = [t for t in (self._first_training, self._retrain, self._watcher, self._serving_warm_up)
                 if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._ranking.shutdown(wait=False, cancel_futures=True)

    async def ranked(self, work: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """work(*args, **kwargs) off the event loop, in the threads for model work a member waits on
        (RANKING_THREADS)."""
        self._waited_on += 1
        self._idle.clear()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._ranking, functools.partial(work, *args, **kwargs))
        finally:
            self._waited_on -= 1
            if not self._waited_on:
                self._idle.set()

    async def ranked_when_idle(self, work: Callable[[], _T]) -> _T:
        """work() in the same threads as ranked's, once no member waits on one (work done ahead of a member's
        asking, that a burst of members' requests would only have to share the threads and the GIL with)."""
        await self._idle.wait()
        return await asyncio.get_running_loop().run_in_executor(self._ranking, work)

    # --- the served model ---------------------------------------------------------------------

    @property
    def model(self) -> Recommender | None:
        return self._loaded.served.model if self._loaded is not None else None

    @property
    def meta(self) -> ModelMeta | None:
        return self._loaded.meta if self._loaded is not None else None

    @property
    def model_version(self) -> str | None:
        return self._loaded.meta.version if self._loaded is not None else None

    def served(self) -> ServedModel:
        """The served model to answer a request with; WarmingUp while there is none. Take it once per
        request: a hot swap meanwhile does not affect it."""
        loaded = self._loaded
        if loaded is None and self.next_training_at is not None and not self.training:
            failed = self.first_failure
            at = f" at {_clock(failed.finished_at)}" if failed and failed.finished_at else ""
            why = f"{at} ({clip(failed.error or 'see the log', 200)})" if failed else ""
            raise WarmingUp(
                f"I'm still warming up: training my first model failed{why}. I'll try again at "
                f"{self.next_training_at:%H:%M} UTC (your /rate and /import work already)."
            )
        if loaded is None:
            raise WarmingUp(
                "I'm still warming up: my first model is training. Try again in a few minutes "
                "(your /rate and /import work already)."
            )
        return loaded.served

    async def _load(self) -> Loaded:
        """The published model with its fan rules, built off the event loop, its titles without
        interactions folded in from the community's ratings (fold_in_community)."""
        model = await asyncio.to_thread(load_current, self.models_dir)
        raters = await self._cold_raters(model)

        def serve() -> Loaded:
            _fold_in(model, raters)
            served = ServedModel(model, self.catalog, self.franchises)
            warm_up(served)
            return Loaded(served, meta_of(model), raters_digest(raters))

        return await asyncio.to_thread(serve)

    def _serve(self, loaded: Loaded) -> None:
        """Swap in a newly loaded model, a community refresh's copy or the model over a new catalog, and warm
        its /similar and coverage rows up in the background (the previous model's warm-up, if still running,
        stops; /similar's answers belong to the model's indexes, so only those not asked yet are asked)."""
        self._loaded = loaded
        if self._serving_warm_up is not None:
            self._serving_warm_up.cancel()
        self._serving_warm_up = asyncio.create_task(self._warm_up_serving(loaded.served), name="serving-warm-up")
        if self.on_serve is not None:
            self.on_serve()

    @staticmethod
    async def _warm_up_serving(served: ServedModel) -> None:
        await asyncio.sleep(SERVING_WARM_UP_AFTER)
        for what, steps in (("/similar", served.similar_warm_up()), ("/recommend's coverage rows", served.alone_warm_up())):
            try:
                while await asyncio.to_thread(next, steps, None) is not None:
                    pass
            except Exception:  # a request makes what it needs itself: slower, not wrong
                log.exception("warming up %s failed", what)

    async def _cold_raters(self, model: Recommender) -> dict[int, dict[int, float]]:
        """Every rating of the members who rated a title the model has no interactions for; none when
        the store cannot say (the model serves without the fold-ins, logged)."""
        cold = model.cold
        if cold is None:
            return {}
        try:
            wanted = [a for a in await self.store.raters_per_title() if cold.index_of(a) is not None]
            return await self.store.raters_of(wanted) if wanted else {}
        except Exception:  # e.g. the database is busy: the fold-ins wait for the next refresh
            log.exception("cannot read the community's ratings of new titles: serving without their fold-ins")
            return {}

    async def refresh_community(self) -> int:
        """Fold the community's ratings into the served model's titles without interactions again
        (between retrains: new raters of a new title move its picks within the hour). The served model
        is not touched: a copy of its cold vectors is folded in and swapped in whole. Returns the
        titles folded in; 0, copying nothing, while those ratings are the ones last folded in."""
        loaded = self._loaded
        if loaded is None:
            return 0
        raters = await self._cold_raters(loaded.served.model)

        def fold() -> tuple[Loaded, int]:
            digest = raters_digest(raters)
            if digest == loaded.folded_from:
                return loaded, 0
            model = loaded.served.model.with_own_cold()
            folded = _fold_in(model, raters)
            # Nothing folded: the served vectors stand for these ratings as they are, no copy needed.
            served = loaded.served.with_model(model) if folded else loaded.served
            return Loaded(served, loaded.meta, digest), folded

        refreshed, folded = await asyncio.to_thread(fold)
        if refreshed is not loaded and self._loaded is loaded:  # else a reload meanwhile folded in its own
            self._serve(refreshed)  # the copy's coverage rows start empty; /similar's answers it shares
        return folded

    async def use_catalog(self, catalog: Catalog) -> None:
        """Serve the same model through a new catalog (a refresh added titles): built off the event
        loop, swapped in one assignment, as a new model is."""
        franchises = await asyncio.to_thread(franchises_for, catalog)
        self.catalog, self.franchises = catalog, franchises
        while (loaded := self._loaded) is not None and loaded.served.catalog is not catalog:
            served = await asyncio.to_thread(ServedModel, loaded.served.model, catalog, franchises)
            if self._loaded is loaded:  # else a reload meanwhile built its own: look again
                self._serve(Loaded(served, loaded.meta, loaded.folded_from))

    async def reload(self) -> bool:
        """Swap in the published `current` model; on a bad one keep serving the old (logged)."""
        try:
            loaded = await self._load()
        except ModelLoadError as exc:
            log.error("cannot load the published model, still serving %s: %s", self.model_version, exc)
            return False
        # The hot swap: requests already running keep the reference they took.
        self._serve(loaded)
        log.info("now serving model %s", self.model_version)
        return True

    # --- retraining ---------------------------------------------------------------------------

    @property
    def training(self) -> bool:
        return self._retrain is not None and not self._retrain.done()

    def request_retrain(self) -> asyncio.Task[TrainingRecord] | None:
        """Start a retrain in the background and return its task (await it for the record); None
        while one is already running, which is then the only one."""
        if self.training:
            return None
        self._retrain = asyncio.create_task(self._run_retrain(), name="retrain")
        self._retrain.add_done_callback(_log_outcome)
        return self._retrain

    async def training_elsewhere(self) -> bool:
        """Another process of this bot (a shard) is training now."""
        if self.training:
            return False
        release = await self.store.try_training_lock()
        if release is None:
            return True
        await release()
        return False

    async def admin_retrain(self) -> asyncio.Task[TrainingRecord]:
        """An /admin retrain, on Discord or in the console: started now (await the task for its record),
        unless one runs here or in another process, or the cooldown since the last one holds."""
        if await self.training_elsewhere():
            raise UserError(RETRAIN_ELSEWHERE)
        if left := self.retrain_cooldown.remaining(ADMIN_RETRAIN):
            if self.training:  # refused either way: this says more
                raise UserError(RETRAIN_RUNNING)
            raise UserError(f"One /admin retrain every {wait_text(self.retrain_cooldown.seconds)}: "
                            f"try again in {wait_text(left)}.")
        task = self.request_retrain()
        if task is None:
            raise UserError(RETRAIN_RUNNING)
        self.retrain_cooldown.take(ADMIN_RETRAIN)
        return task

    def next_retrain(self) -> datetime | None:
        """When the scheduled retrain runs next (UTC); None without a schedule."""
        if self.retrain_cron is None:
            return None
        trigger = CronTrigger.from_crontab(self.retrain_cron, timezone="UTC")
        return trigger.get_next_fire_time(None, datetime.now(UTC))

    async def retrain(self) -> TrainingRecord:
        """Retrain now and wait for the record; UserError while one is already running."""
        task = self.request_retrain()
        if task is None:
            raise UserError(RETRAIN_RUNNING)
        return await task

    async def _run_retrain(self) -> TrainingRecord:
        """Train on the dataset plus every community rating in a child process, swap the model in,
        and tell the other processes; TrainingElsewhere while another process trains."""
        release = await self.store.try_training_lock()
        if release is None:
            raise TrainingElsewhere(RETRAIN_ELSEWHERE)
        try:
            # Holding the lock: a run still TRAINING died with its process.
            await self.store.abandon_unfinished_training()
            record = await self._train_and_swap()
        finally:
            await release()
        if record.status == TrainingStatus.READY and record.version:
            try:
                await self.store.notify_model(record.version)
            except Exception:  # the others still see it at their next look at `current`
                log.exception("could not announce model %s to the other processes", record.version)
        return record

    async def _train_and_swap(self) -> TrainingRecord:
        record_id = await self.store.training_started()
        self.training_since = now()
        error = None
        extra = None
        try:
            extra = await asyncio.to_thread(self._private_export)
            # Ratings on titles the catalog does not know yet (kept from an import) wait for a refresh.
            rows = await self.store.export_ratings(extra, self.catalog)
            cmd = train_command(self.models_dir, extra if rows else None, self.train_config, self.catalog_overlay)
            await run_training(cmd, on_start=self._training_started)
            if not await self.reload():
                error = "the new model could not be loaded (see the log); still serving the previous one"
        except (TrainingFailed, OSError, StoreBusy) as exc:
            error = str(exc)
            log.error("retrain failed, still serving %s: %s", self.model_version or "no model", error)
        finally:
            self.training_pid = self.training_since = None
            if extra is not None:  # member data lives no longer than the training that needs it
                extra.unlink(missing_ok=True)
        meta = self.meta if error is None else None
        await self.store.training_finished(record_id, version=meta.version if meta else None,
                                           trained_at=meta.trained_at if meta else None, error=error)
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


def warm_up(served: ServedModel) -> None:
    """Rank and predict once for a member nobody is, and throw the answer away. A process's first
    ranking loads the compiled kernels (numba: its type registries, tens of thousands of objects, and up
    to a second under its compile lock, every other ranking waiting). Done while the model loads, off
    the event loop, no member's /recommend pays for it, and the bot's gc.freeze after setup keeps those
    objects out of every later full collection."""
    ids = served.model.item_ids
    if len(ids) < 2:
        return
    ratings = {int(ids[0]): 9.0, int(ids[1]): 9.0}  # two loves: the coverage order runs too
    served.recommend(ratings, 10)
    served.model.predict(ratings, [int(ids[-1])])


def fingerprint(value: object) -> bytes:
    """16 bytes equal for values of equal repr: what is kept, and compared, in place of the value itself (the
    ratings an answer was made from)."""
    return hashlib.blake2b(repr(value).encode(), digest_size=16).digest()


def raters_digest(raters: dict[int, dict[int, float]]) -> bytes:
    """A fingerprint of the community ratings cold vectors are folded in from: equal for equal ratings,
    whatever order the store gave them in; kept instead of the ratings themselves (every rating of every
    member who rated a new title)."""
    return fingerprint(sorted((user, anime, rating) for user, given in raters.items() for anime, rating in given.items()))


def _fold_in(model: Recommender, raters: dict[int, dict[int, float]]) -> int:
    """Recommender.fold_in_community, logged; the titles folded in."""
    folded = model.fold_in_community(raters)
    if folded:
        log.info("folded in %d title(s) without interactions from community ratings", len(folded))
    return len(folded)


def _log_outcome(task: asyncio.Task[TrainingRecord]) -> None:
    """Every retrain's end in the log, whoever asked for it (nobody awaits an /admin retrain)."""
    if task.cancelled():
        log.info("retrain cancelled")
    elif isinstance(task.exception(), TrainingElsewhere):
        log.info("retrain skipped: another process is training")
    elif (exc := task.exception()) is not None:
        log.error("retrain crashed", exc_info=exc)
    else:
        record = task.result()
        log.info("retrain finished: %s %s", record.status, record.error or record.version)
