"""The model holder (models/holder.py): retraining and the faults around it, each leaving the bot answering
and no rating lost; a failed first training tried again; and two bot processes (shards) on one database
and one models directory: exactly one trains, both serve the new model within seconds, and no rating
either acknowledged is lost. Against PostgreSQL (advisory lock, LISTEN/NOTIFY: the look at `current` is
set to a minute, so only the notification explains a pickup within seconds) and against SQLite (file
lock, a look at `current` every second)."""

import asyncio
import concurrent.futures
import itertools
import json
import os
import random
import signal
import stat
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from animerec.bot.app import render
from animerec.bot.models import holder as model_holder
from animerec.bot.models.training import TrainingFailed
from animerec.bot.service import Service, UserError, WarmingUp
from animerec.bot.service.results import Forgotten
from animerec.bot.store import POSTGRESQL, Store, TrainingStatus
from animerec.recsys.lifecycle import artifacts
from animerec.recsys.serving.served import ServedModel
from botkit import COWBOY_BEBOP, RATED, STEINS_GATE, until


@pytest.mark.timeout(120)
async def test_the_ratings_export_is_private_and_lives_only_while_training(service, data_dir, monkeypatch):
    await service.store.upsert_ratings(101, RATED)
    exports = []
    real_training = model_holder.run_training

    async def training(cmd, on_start, fail=False):
        path = Path(cmd[cmd.index("--extra") + 1])
        exports.append((path, stat.S_IMODE(path.stat().st_mode), path.read_text().splitlines()))
        if fail:
            raise TrainingFailed("the training process exited with code 1")
        await real_training(cmd, on_start=on_start)

    monkeypatch.setattr(model_holder, "run_training", training)
    assert (await service.models.retrain()).status == TrainingStatus.READY
    monkeypatch.setattr(model_holder, "run_training", lambda cmd, on_start: training(cmd, on_start, fail=True))
    assert (await service.models.retrain()).status == TrainingStatus.FAILED

    for path, mode, rows in exports:
        assert mode == 0o600 and path.parent == data_dir
        assert rows == ["user_id,anime_id,rating", "101,1,9.0", "101,1535,-1.0", "101,9253,10.0"]
        assert not path.exists()
    assert list(data_dir.rglob("*.csv")) == []
    # The new model learnt from the member's ratings: forgetting them says so.
    assert service.models.meta.counts.community_interactions == 3
    assert await service.ratings.forget(101) == Forgotten(ratings=3, dismissals=0, in_model=True)


@pytest.mark.timeout(60)
async def test_similar_warms_up_off_the_event_loop_after_a_swap_and_stops_with_its_model(data_dir, catalog,
                                                                                     monkeypatch):
    """The served model's /similar warm-up runs SERVING_WARM_UP_AFTER after it is swapped in, in a thread,
    to its end, then its coverage rows' (ServedModel.alone_warm_up), each step in a thread too; a model
    swapped out stops its warm-up, and so does closing the bot."""
    steps = []

    def warm_up(served, step=500):
        for k in range(3):
            steps.append((served, k, threading.current_thread() is threading.main_thread()))
            yield 1

    def alone_warm_up(served):
        for k in range(2):
            steps.append((served, f"rows {k}", threading.current_thread() is threading.main_thread()))
            yield 4

    monkeypatch.setattr(ServedModel, "similar_warm_up", warm_up)
    monkeypatch.setattr(ServedModel, "alone_warm_up", alone_warm_up)
    monkeypatch.setattr(model_holder, "SERVING_WARM_UP_AFTER", 0.0)
    service = Service(await Store.open(data_dir / "animerec.sqlite3"), catalog, data_dir, train_config="small")
    await service.start()
    try:
        first = service.models.served()
        await service.models._serving_warm_up
        assert steps == [(first, 0, False), (first, 1, False), (first, 2, False), (first, "rows 0", False),
                         (first, "rows 1", False)]
        monkeypatch.setattr(model_holder, "SERVING_WARM_UP_AFTER", 3600.0)
        assert await service.models.reload()
        waiting = service.models._serving_warm_up
        assert await service.models.reload() and service.models.served() is not first
        await asyncio.sleep(0)
        assert waiting.cancelled()
        last = service.models._serving_warm_up
    finally:
        await service.close()
    assert last.cancelled() and len(steps) == 5


@pytest.mark.timeout(60)
async def test_start_deletes_exports_left_behind(data_dir, catalog):
    left = [data_dir / "community-ratings.csv", data_dir / ".community-ratings-k1ll3d.csv"]
    for path in left:
        path.write_text("user_id,anime_id,rating\n101,1,9.0\n")
    service = Service(await Store.open(data_dir / "animerec.sqlite3"), catalog, data_dir, train_config="small")
    await service.start()
    try:
        assert not any(path.exists() for path in left)
    finally:
        await service.close()


@pytest.mark.timeout(60)
async def test_killed_training_leaves_the_old_model_serving(service):
    await service.store.upsert_ratings(1, RATED)
    old = service.models.model_version
    training = asyncio.create_task(service.models.retrain())
    await until(lambda: service.models.training_pid is not None)
    assert service.models.request_retrain() is None  # one retrain at a time, whoever asks
    with pytest.raises(UserError, match="already running"):
        await service.models.retrain()
    os.kill(service.models.training_pid, signal.SIGKILL)
    record = await training
    assert record.status == TrainingStatus.FAILED and record.error == "the training process was killed by SIGKILL"
    assert service.models.model_version == old
    assert len((await service.picks.recommend(1, count=5)).picks) == 5
    assert (await service.stats()).last_failure.error == record.error
    assert await service.store.rating_map(1) == RATED


@pytest.mark.timeout(60)
async def test_members_are_answered_while_background_work_fills_the_default_executor(service):
    """A model load or a served model's build runs in the default executor for seconds; the work a member
    waits on has threads of its own, so it never queues behind them."""
    await service.store.upsert_ratings(1, RATED)
    loop = asyncio.get_running_loop()
    release = threading.Event()
    busy = concurrent.futures.ThreadPoolExecutor(1)
    loop.set_default_executor(busy)
    blocked = loop.run_in_executor(None, release.wait)  # the default executor's one thread, held
    try:
        picks = await asyncio.wait_for(service.picks.recommend(1, count=5), 20)
        rated = await asyncio.wait_for(service.ratings.rate(1, "Cowboy Bebop", "8"), 20)
        neighbours = await asyncio.wait_for(service.similar.find("Steins;Gate", count=3), 20)
        assert not blocked.done()  # all of it answered while the default executor was still held
    finally:
        release.set()
        await blocked
    assert len(picks.picks) == 5 and rated.predicted is not None and neighbours.neighbours


@pytest.mark.timeout(60)
async def test_corrupt_model_file_keeps_the_served_model(service, data_dir):
    current = artifacts.current_dir(data_dir / "models")
    (current / artifacts.MODEL_FILE).write_bytes(b"not a model")
    old = service.models.model_version
    assert await service.models.reload() is False
    assert service.models.model_version == old
    await service.ratings.rate(1, "Steins;Gate", "9")
    assert (await service.similar.find("Steins;Gate", count=3)).neighbours


@pytest.mark.timeout(60)
async def test_start_without_a_usable_model_warms_up_and_trains(data_dir, catalog):
    current = artifacts.current_dir(data_dir / "models")
    (current / artifacts.ANN_FILE).write_bytes(b"corrupt")
    db = data_dir / "animerec.sqlite3"
    service = Service(await Store.open(db), catalog, data_dir, train_config="small")
    await service.start()
    try:
        with pytest.raises(WarmingUp, match="warming up"):
            await service.picks.recommend(1)
        rated = await service.ratings.rate(1, "Steins;Gate", "9")  # ratings work while warming up
        assert rated.predicted is None
        await until(lambda: service.models.training_pid is not None)
        pid = service.models.training_pid
    finally:
        await service.close()  # shutting down kills the training child
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    store = await Store.open(db)
    try:
        await store.abandon_unfinished_training()
        [record] = await store.training_history(1)
        assert record.status == TrainingStatus.FAILED and record.error.startswith("interrupted")
        assert await store.rating_map(1) == {STEINS_GATE: 9.0}
    finally:
        await store.close()


# No limit of its own on how long the two failing children take (seconds each on a busy machine): the
# test's timeout only stops a hang.
@pytest.mark.timeout(600)
async def test_a_failed_first_training_is_retried_with_backoff_and_reported(data_dir, catalog):
    current = artifacts.current_dir(data_dir / "models")
    (current / artifacts.ANN_FILE).write_bytes(b"corrupt")
    # An unknown config makes the training child exit 2 at once: the first try and its retry fail.
    service = Service(await Store.open(data_dir / "animerec.sqlite3"), catalog, data_dir, train_config="nonsense",
                      retry_delays=(0.1, 600))
    await service.start()
    try:
        while len(failed := [r for r in await service.store.training_history(5)
                             if r.status == TrainingStatus.FAILED]) < 2 \
                or service.models.next_training_at is None:
            await asyncio.sleep(0.05)
        seen_at = datetime.now(UTC)
        error = "the training process exited with code 2: error: unknown --config 'nonsense'; use default or small"
        assert [r.error for r in failed] == [error, error]

        stats = await service.stats()
        next_try = datetime.fromisoformat(stats.next_training_at)
        # The second delay, from the moment the retry failed (which came before it was seen here); the
        # stored times are whole seconds, cut down.
        assert datetime.fromisoformat(failed[0].finished_at) + timedelta(seconds=600) <= next_try \
            <= seen_at + timedelta(seconds=600)
        assert stats.meta is None and stats.last_failure == failed[0]
        assert render.embed_to_text(render.stats_embed(stats)).startswith(
            "== About my recommendations ==\nI have no model yet: my first training failed; "
            f"the next try is at {stats.next_training_at}.")
        with pytest.raises(WarmingUp) as reply:
            await service.picks.recommend(1)
        failed_at = datetime.fromisoformat(failed[0].finished_at)
        assert str(reply.value) == (
            f"I'm still warming up: training my first model failed at {failed_at:%H:%M} UTC ({error}). "
            f"I'll try again at {next_try:%H:%M} UTC (your /rate and /import work already).")

        service.models.train_config = "small"  # fixed: an /admin retrain during the wait serves a model at once
        assert (await service.models.retrain()).status == TrainingStatus.READY
        assert (await service.stats()).next_training_at is None
        assert len((await service.picks.recommend(1, count=3, onboard=False)).picks) == 3
    finally:
        await service.close()


# A bot process of its own, run by tests/bot/shard_process.py and driven over its stdin and stdout.
SCRIPT = Path(__file__).parents[1] / "shard_process.py"
PICKUP_SECONDS = 10


class BotProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.answers: dict[str, asyncio.Future] = {}
        self.ids = itertools.count()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], log: Path) -> "BotProcess":
        with open(log, "w") as stderr:
            proc = await asyncio.create_subprocess_exec(sys.executable, str(SCRIPT), stdin=asyncio.subprocess.PIPE,
                                                        stdout=asyncio.subprocess.PIPE, stderr=stderr, env=env)
        return cls(proc)

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():
            answer = json.loads(line)
            self._future(answer["id"]).set_result(answer)

    def _future(self, key: str) -> asyncio.Future:
        return self.answers.setdefault(key, asyncio.get_running_loop().create_future())

    async def ready(self) -> dict:
        return await asyncio.wait_for(self._future("ready"), 120)

    async def ask(self, op: str, **fields) -> dict:
        key = str(next(self.ids))
        self.proc.stdin.write((json.dumps({"id": key, "op": op, **fields}) + "\n").encode())
        await self.proc.stdin.drain()
        return await asyncio.wait_for(self._future(key), 180)

    async def stop(self) -> int:
        if self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            return await asyncio.wait_for(self.proc.wait(), 60)
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
            self.reader.cancel()


@pytest.mark.timeout(240)
async def test_two_processes_one_trains_both_serve_the_new_model_no_rating_lost(database, data_dir, tmp_path, catalog):
    on_postgres = isinstance(database, str) and database.startswith("postgresql")
    url = database if on_postgres else f"sqlite:///{database}"
    await (await Store.open(database)).close()  # migrated before the race (the processes would take turns too)
    base = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    base.update(DATABASE_URL=url, ANIMEREC_MODELS_DIR=str(data_dir / "models"), ANIMEREC_TRAIN_CONFIG="small",
                ANIMEREC_MODEL_POLL="60" if on_postgres else "1", ANIMEREC_SHARD_COUNT="2", LOG_LEVEL="INFO")
    for i in range(2):
        (tmp_path / f"shard-{i}").mkdir()  # as python -m animerec.bot makes it before it starts
    bots = [await BotProcess.start({**base, "ANIMEREC_DATA_DIR": str(tmp_path / f"shard-{i}"), "ANIMEREC_SHARD_IDS": str(i)},
                                   tmp_path / f"shard-{i}.log") for i in range(2)]
    try:
        old = {(await bot.ready())["version"] for bot in bots}
        assert len(old) == 1 and None not in old

        titles = [a.anime_id for a in list(catalog)[:80] if not a.is_adult]
        rng = random.Random(0)
        plans = [[(1000 * (i + 1) + m, a, rng.randint(1, 10)) for m in range(60) for a in rng.sample(titles, 4)]
                 for i in range(2)]
        # Both asked to retrain at once, while members rate on both.
        work = [bots[0].ask("retrain"), bots[1].ask("retrain")]
        work += [bot.ask("rate", ratings=plan[k::3]) for bot, plan in zip(bots, plans) for k in range(3)]
        retrains, *rated = await asyncio.gather(asyncio.gather(*work[:2]), *work[2:])
        trained_at = time.monotonic()

        assert sorted(r["status"] for r in retrains) == ["ready", "refused"], retrains
        [winner] = [r for r in retrains if r["status"] == "ready"]
        [loser] = [r for r in retrains if r["status"] == "refused"]
        assert "another process" in loser["error"]
        new = winner["version"]
        assert new not in old
        assert [r["errors"] for r in rated] == [[]] * 6
        assert sum(r["acknowledged"] for r in rated) == 2 * 60 * 4

        # Both serve the new model within seconds of its publication.
        versions = []
        while time.monotonic() - trained_at < PICKUP_SECONDS:
            versions = [(await bot.ask("version"))["version"] for bot in bots]
            if versions == [new, new]:
                break
            await asyncio.sleep(0.2)
        assert versions == [new, new]
        assert [await bot.stop() for bot in bots] == [0, 0]
    finally:
        for bot in bots:
            await bot.stop()

    store = await Store.open(database)
    try:
        assert store.dialect == (POSTGRESQL if on_postgres else "sqlite")
        expected = {(u, a): float(s) for plan in plans for u, a, s in plan}
        stored = {(u, a): r for u, a, r in await store._all("SELECT user_id, anime_id, rating FROM ratings")}
        assert stored == expected  # every acknowledged rating, from both processes
        history = await store.training_history(10)
        assert [(r.status, r.version) for r in history] == [(TrainingStatus.READY, new)]  # one training, by one process
    finally:
        await store.close()


@pytest.mark.timeout(240)
async def test_a_model_published_elsewhere_is_served_and_a_broken_one_tried_once(data_dir, catalog, database):
    models = data_dir / "models"
    service = Service(await Store.open(database), catalog, data_dir, train_config="small", model_poll=0.1)
    await service.start()
    loads = []
    real_reload = service.models.reload

    async def counted() -> bool:
        loads.append(artifacts.current_dir(models).name)
        return await real_reload()

    service.models.reload = counted
    try:
        old = service.models.model_version
        # Another process publishes: a copy of the served model under a new version.
        (models / "20990101-000000-elsewhere").mkdir()
        for f in artifacts.current_dir(models).iterdir():
            (models / "20990101-000000-elsewhere" / f.name).write_bytes(f.read_bytes())
        (models / "current").write_text("20990101-000000-elsewhere\n")
        await asyncio.sleep(1.0)
        assert loads == ["20990101-000000-elsewhere"]  # one load, though meta.json still names the old version
        assert service.models.model_version == old  # (the copy's meta names it)
        # A broken one: logged once, the served model stays.
        (models / "current").write_text("20990101-000001-broken\n")
        await asyncio.sleep(1.0)
        assert loads == ["20990101-000000-elsewhere", "20990101-000001-broken"]
        assert service.models.model_version == old
        await service.ratings.rate(1, "Steins;Gate", "9")
        assert len((await service.picks.recommend(1, count=3, onboard=False)).picks) == 3  # still answering
    finally:
        await service.close()


FRIEREN = 52991  # Sousou no Frieren (2023): no interactions in the training data


@pytest.mark.timeout(120)
async def test_raters_of_a_new_title_fold_it_in_on_refresh_and_on_every_load(service, monkeypatch):
    from animerec.recsys.algorithms.coldstart import COMMUNITY

    served = service.models.served()
    cold = served.model.cold
    row = cold.index_of(FRIEREN)
    enough = cold.config.min_raters
    assert cold.source[row] != COMMUNITY
    for member in range(1, enough):  # one rater short
        await service.store.upsert_ratings(member, {FRIEREN: 9.0, STEINS_GATE: 9.0})
    assert await service.models.refresh_community() == 0
    assert service.models.served() is served
    await service.store.upsert_ratings(enough, {FRIEREN: 10.0, STEINS_GATE: 8.0})
    assert await service.models.refresh_community() == 1
    now = service.models.served()
    assert now is not served and now.model.cold.source[row] == COMMUNITY and now.model.cold.raters[row] == enough
    assert served.model.cold.source[row] != COMMUNITY  # requests holding the old one read it unchanged
    assert await service.models.reload()
    assert service.models.served().model.cold.source[row] == COMMUNITY  # the load folds in too

    async def busy(*args):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(service.store, "raters_of", busy)
    assert await service.models.reload()  # a store that cannot answer: the model serves without fold-ins
    assert service.models.served().model.cold.source[row] != COMMUNITY


@pytest.mark.timeout(120)
async def test_a_community_refresh_with_no_new_rating_copies_nothing(service, monkeypatch):
    from animerec.recsys.model import Recommender

    copies = []
    real_copy = Recommender.with_own_cold

    def with_own_cold(model):
        copies.append(model)
        return real_copy(model)

    monkeypatch.setattr(Recommender, "with_own_cold", with_own_cold)
    enough = service.models.served().model.cold.config.min_raters
    for member in range(1, enough + 1):
        await service.store.upsert_ratings(member, {FRIEREN: 9.0, STEINS_GATE: 9.0})
    assert await service.models.refresh_community() == 1 and len(copies) == 1
    folded = service.models.served()
    for _ in range(2):  # nothing new: the same served model, its cold vectors not copied
        assert await service.models.refresh_community() == 0
        assert service.models.served() is folded and len(copies) == 1
    await service.store.upsert_ratings(1, {COWBOY_BEBOP: 7.0})  # one of the raters rated something else
    assert await service.models.refresh_community() == 1 and len(copies) == 2
    assert service.models.served() is not folded


@pytest.mark.timeout(120)
async def test_a_community_refresh_warms_up_the_copy_it_swaps_in(service, monkeypatch):
    """A refresh that folds a title in serves a copy whose coverage rows start empty: the copy is warmed up as
    a reloaded model is (the previous warm-up stops), and a refresh that copies nothing leaves the warm-up be."""
    warmed = []

    def similar_warm_up(served, step=500):
        yield 0

    def alone_warm_up(served):
        warmed.append(served)
        yield 1

    monkeypatch.setattr(ServedModel, "similar_warm_up", similar_warm_up)
    monkeypatch.setattr(ServedModel, "alone_warm_up", alone_warm_up)
    monkeypatch.setattr(model_holder, "SERVING_WARM_UP_AFTER", 0.0)
    before = service.models._serving_warm_up
    enough = service.models.served().model.cold.config.min_raters
    for member in range(1, enough + 1):
        await service.store.upsert_ratings(member, {FRIEREN: 9.0, STEINS_GATE: 9.0})
    assert await service.models.refresh_community() == 1
    refreshed, task = service.models.served(), service.models._serving_warm_up
    await asyncio.sleep(0)
    assert task is not before and before is not None and before.cancelled()  # it was waiting its 300 s
    await task
    assert warmed == [refreshed]
    assert await service.models.refresh_community() == 0
    assert service.models._serving_warm_up is task and warmed == [refreshed]


# In a process of its own: the compiled kernels and numba's registries live once per process, and any
# earlier test here may have loaded them already.
FIRST_RANKING = """
import asyncio, gc, sys
from pathlib import Path
from animerec.bot.service import Service
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Catalog

async def main(data_dir):
    service = Service(await Store.open(data_dir / "animerec.sqlite3"), Catalog.load(), data_dir, train_config="small")
    await service.start()
    try:
        await service.store.upsert_ratings(1, {1: 9.0, 1535: 9.0, 9253: 10.0, 5114: 8.0})
        gc.collect()
        gc.freeze()  # what the bot does once set up (animerec.bot.app.client.keep_out_of_collections)
        await service.picks.recommend(1, count=10)
        await service.ratings.rate(1, "Toradora!", "8")
        gc.collect()  # what the calls left behind for good, not their garbage
        print(len(gc.get_objects()))
    finally:
        await service.close()

asyncio.run(main(Path(sys.argv[1])))
"""


@pytest.mark.timeout(120)
def test_a_loaded_model_has_ranked_once_so_a_members_first_ranking_leaves_nothing_to_collect(data_dir):
    """The first ranking of a process loads the compiled kernels and builds numba's registries (tens of
    thousands of objects). Loading the model does that, before the bot freezes what it loaded: a
    member's first /recommend and /rate then leave next to nothing for every later full collection
    to walk (without it: over 30,000 objects)."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", FIRST_RANKING, str(data_dir)], capture_output=True, text=True,
                          timeout=110)
    assert done.returncode == 0, done.stderr[-2000:]
    left = int(done.stdout.split()[-1])
    assert left < 3_000, f"{left} objects left outside the frozen generation by a first /recommend and /rate"


async def test_work_done_ahead_waits_until_no_member_waits_on_a_ranking(service):
    import asyncio
    import threading

    release, order = threading.Event(), []

    def members_ranking() -> str:
        release.wait(10)
        order.append("member")
        return "member"

    def ahead() -> str:
        order.append("ahead")
        return "ahead"

    models = service.models
    waited_on = asyncio.create_task(models.ranked(members_ranking))
    made_ahead = asyncio.create_task(models.ranked_when_idle(ahead))
    await asyncio.sleep(0.3)
    assert order == [] and not made_ahead.done()  # the other ranking thread is free, but a member is waiting
    release.set()
    assert await waited_on == "member" and await made_ahead == "ahead" and order == ["member", "ahead"]
    assert await models.ranked_when_idle(ahead) == "ahead"  # nobody waiting: at once
