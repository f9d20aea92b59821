"""Retraining and the faults around it: each leaves the bot answering and no rating lost."""

import asyncio
import contextlib
import os
import signal
import sqlite3
import stat
import threading
from pathlib import Path

import discord
import pytest

from animerec.bot.models import holder as model_holder
from animerec.bot.models.training import TrainingFailed
from animerec.bot.service import Service, UserError, WarmingUp
from animerec.bot.service.results import Forgotten
from animerec.bot.store import Store, StoreBusy, TrainingRecord, TrainingStatus
from animerec.recsys.lifecycle import artifacts
from botkit import COWBOY_BEBOP, DEATH_NOTE, STEINS_GATE, Clock

RATED = {STEINS_GATE: 10.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: -1.0}


async def until(condition, timeout: float = 30.0) -> None:
    """Wait for condition() to hold, polling."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


@pytest.mark.timeout(150)
@pytest.mark.simcord(settle_timeout=140)  # the slash call settles once the queued retrain is done
async def test_admin_retrain_trains_in_a_child_process_and_swaps_the_model(simcord_env):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("mods")
    managers = guild.create_role("mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[managers])
    service = simcord_env.bot.service
    await service.store.upsert_ratings(mod.id, RATED)
    old = service.models.model_version

    reply = await mod.slash(channel, "admin retrain")
    assert reply.ephemeral and reply.response.content.startswith("Retrain queued.")
    assert service.models.model_version != old and not service.models.training
    assert service.models.meta.counts.community_interactions == len(RATED)
    [record] = await service.store.training_history(1)
    assert (record.status, record.version, record.error) == (TrainingStatus.READY, service.models.model_version, None)
    words, stats = (await mod.slash(channel, "stats", details=True)).response.embeds
    assert "and 3 from this bot's members" in words.description
    fields = {f.name: f.value for f in stats.fields}
    assert fields["Model"].startswith(service.models.model_version) and fields["Last retrain"].startswith("ready at ")
    assert "3 community" in fields["Trained on"]


@pytest.mark.timeout(60)
async def test_admin_retrain_at_most_once_per_cooldown(simcord_env, monkeypatch):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("mods")
    managers = guild.create_role("mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[managers])
    bot = simcord_env.bot
    clock = bot.retrain_cooldown.clock = Clock()
    runs = []

    async def retrain():
        runs.append(clock.now)
        return TrainingRecord(len(runs), "", "", TrainingStatus.READY, f"v{len(runs)}", "", None)

    monkeypatch.setattr(bot.service.models, "_run_retrain", retrain)
    assert (await mod.slash(channel, "admin retrain")).response.content.startswith("Retrain queued.")
    await until(lambda: len(runs) == 1)
    clock.now += 5
    refused = await mod.slash(channel, "admin retrain")
    assert refused.ephemeral and refused.response.content == "One /admin retrain every 10 min: try again in 9 min 55 s."
    clock.now += 594.5
    refused = await mod.slash(channel, "admin retrain")
    assert refused.response.content == "One /admin retrain every 10 min: try again in 1 s."
    assert [str(getattr(e, "original", e)) for e in simcord_env.errors] == [
        "One /admin retrain every 10 min: try again in 9 min 55 s.", "One /admin retrain every 10 min: try again in 1 s."]
    clock.now += 0.5
    assert (await mod.slash(channel, "admin retrain")).response.content.startswith("Retrain queued.")
    await until(lambda: len(runs) == 2)
    assert runs == [1000.0, 1600.0]


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


def hold_write_lock(path, seconds: float) -> threading.Thread:
    """Another process's writer: holds the database's write lock for a while."""
    locked = threading.Event()

    def hold():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        threading.Event().wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait()
    return thread


@pytest.mark.timeout(60)
async def test_locked_database_waits_then_reports_busy_without_losing_ratings(data_dir, catalog):
    db = data_dir / "animerec.sqlite3"
    service = Service(await Store.open(db, busy_timeout=1.0), catalog, data_dir)
    await service.start()
    try:
        await service.ratings.rate(1, "Cowboy Bebop", "8")
        holder = hold_write_lock(db, 0.3)  # shorter than the busy timeout: the write waits it out
        await service.ratings.rate(1, "Steins;Gate", "9")
        await asyncio.to_thread(holder.join)

        holder = hold_write_lock(db, 2.0)  # longer: the member is told to retry, nothing half-written
        with pytest.raises(StoreBusy):
            await service.ratings.rate(1, "Death Note", "7")
        assert (await service.picks.recommend(1, count=3, onboard=False)).picks  # reads still answer
        await asyncio.to_thread(holder.join)
        await service.ratings.rate(1, "Death Note", "7")
        assert await service.store.rating_map(1) == {COWBOY_BEBOP: 8.0, STEINS_GATE: 9.0, DEATH_NOTE: 7.0}
    finally:
        await service.close()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("yields", [0, 1, 3, 10])
async def test_a_cancelled_write_is_all_or_nothing_and_the_store_stays_usable(tmp_path, yields):
    """Shutting down as a training finishes cancels its last write, at any point of the group commit."""
    store = await Store.open(tmp_path / "animerec.sqlite3")
    try:
        writer = asyncio.create_task(store.upsert_ratings(1, {STEINS_GATE: 9.0, DEATH_NOTE: 8.0}))
        for _ in range(yields):
            await asyncio.sleep(0)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        assert await store.rating_map(1) in ({}, {STEINS_GATE: 9.0, DEATH_NOTE: 8.0})
        await store.upsert_ratings(1, {COWBOY_BEBOP: 8.0})  # no transaction left open
        assert (await store.rating_map(1))[COWBOY_BEBOP] == 8.0
    finally:
        await store.close()
