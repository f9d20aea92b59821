"""Two bot processes (shards) on one database and one models directory: exactly one trains, both
serve the new model within seconds, and no rating either acknowledged is lost. Against PostgreSQL
(advisory lock, LISTEN/NOTIFY: the look at `current` is set to a minute, so only the notification
explains a pickup within seconds) and against SQLite (file lock, a look at `current` every second)."""

import asyncio
import itertools
import json
import os
import random
import sys
import time
from pathlib import Path

import pytest

from animerec.bot.store import POSTGRESQL, Store, TrainingStatus

pytestmark = pytest.mark.timeout(240)
SCRIPT = Path(__file__).with_name("shard_process.py")
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

        assert sorted(r["status"] for r in retrains) == [TrainingStatus.READY, "refused"], retrains
        [winner] = [r for r in retrains if r["status"] == TrainingStatus.READY]
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


async def test_stats_show_a_training_running_in_another_process(service, database):
    other = await Store.open(database)  # another shard's store, on the same database
    try:
        assert (await service.stats()).training_since is None
        await other.training_started()
        [(started,)] = await other._all("SELECT started_at FROM model_registry WHERE status = ?",
                                           (TrainingStatus.TRAINING,))
        assert (await service.stats()).training_since == started
    finally:
        await other.close()


def test_shard_settings_make_an_auto_sharded_bot_and_only_shard_0_syncs_commands(tmp_path):
    import discord
    from pydantic import ValidationError

    from animerec.bot.app.client import ShardedAnimeRecBot, create_bot
    from animerec.bot.settings import Settings

    def settings(**env) -> Settings:
        return Settings(_env_file=None, data_dir=tmp_path, **env)

    one = create_bot(settings())
    assert not isinstance(one, discord.AutoShardedClient) and one.syncs_commands
    assert settings().heartbeat_path == tmp_path / "heartbeat" and settings().model_poll_seconds == 0

    first = create_bot(settings(ANIMEREC_SHARD_COUNT=4, ANIMEREC_SHARD_IDS="0,1"))
    second = create_bot(settings(ANIMEREC_SHARD_COUNT=4, ANIMEREC_SHARD_IDS=" 2, 3"))
    assert isinstance(first, ShardedAnimeRecBot) and isinstance(first, discord.AutoShardedClient)
    assert (first.shard_count, first.shard_ids, first.syncs_commands) == (4, [0, 1], True)
    assert (second.shard_count, second.shard_ids, second.syncs_commands) == (4, [2, 3], False)
    assert second.settings.heartbeat_path == tmp_path / "heartbeat-shards-2-3"  # processes may share a data dir
    assert second.settings.model_poll_seconds == 5
    everything = create_bot(settings(ANIMEREC_SHARD_COUNT=2))  # every shard in this one process
    assert (everything.shard_count, everything.shard_ids) == (2, None)

    for wrong, message in [({"ANIMEREC_SHARD_IDS": "0"}, "needs ANIMEREC_SHARD_COUNT"),
                           ({"ANIMEREC_SHARD_COUNT": 2, "ANIMEREC_SHARD_IDS": "1,2"}, "from 0 to 1; got 1,2"),
                           ({"ANIMEREC_SHARD_COUNT": 2, "ANIMEREC_SHARD_IDS": "1,1"}, "distinct"),
                           ({"ANIMEREC_SHARD_COUNT": 0}, "ANIMEREC_SHARD_COUNT")]:
        with pytest.raises(ValidationError, match=message):
            settings(**wrong)


@pytest.mark.timeout(60)
async def test_admin_retrain_while_another_process_trains_says_so_and_keeps_the_cooldown(simcord_env, data_dir):
    import discord

    from animerec.bot.app.client import RETRAIN_JOB
    from animerec.bot.models.holder import RETRAIN_ELSEWHERE

    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("mods")
    managers = guild.create_role("mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[managers])
    bot = simcord_env.bot
    other = await Store.open(data_dir / "animerec.sqlite3")  # another shard's process, training
    release = await other.try_training_lock()
    try:
        reply = await mod.slash(channel, "admin retrain")
        assert reply.ephemeral and reply.response.content == RETRAIN_ELSEWHERE
        assert not bot.service.models.training and bot.retrain_cooldown.remaining(RETRAIN_JOB) == 0
        assert [str(getattr(e, "original", e)) for e in simcord_env.errors] == [RETRAIN_ELSEWHERE]
    finally:
        await release()
        await other.close()
    assert not await bot.service.models.training_elsewhere()


async def test_a_model_published_elsewhere_is_served_and_a_broken_one_tried_once(data_dir, catalog, database):
    from animerec.bot.service import Service
    from animerec.recsys.lifecycle import artifacts

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
