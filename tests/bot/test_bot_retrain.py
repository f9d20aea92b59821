"""Retraining and the faults around it: each leaves the bot answering and no rating lost."""

import asyncio
import os
import signal
import sqlite3
import threading

import discord
import pytest
from botkit import COWBOY_BEBOP, DEATH_NOTE, STEINS_GATE
from recsys import artifacts

from bot.service import Service, UserError, WarmingUp
from bot.store import Store, StoreBusy


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
    old = service.model_version

    reply = await mod.slash(channel, "admin retrain")
    assert reply.ephemeral and reply.response.content.startswith("Retrain queued.")
    assert service.model_version != old and not service.training
    assert service._model.meta["counts"]["community_interactions"] == len(RATED)
    [record] = await service.store.training_history(1)
    assert (record.status, record.version, record.error) == ("ready", service.model_version, None)
    stats = (await mod.slash(channel, "stats")).response.embeds[0]
    fields = {f.name: f.value for f in stats.fields}
    assert fields["Model"].startswith(service.model_version) and fields["Last retrain"].startswith("ready at ")
    assert "3 community" in fields["Trained on"]


@pytest.mark.timeout(60)
async def test_killed_training_leaves_the_old_model_serving(service):
    await service.store.upsert_ratings(1, RATED)
    old = service.model_version
    training = asyncio.create_task(service.retrain())
    await until(lambda: service.training_pid is not None)
    with pytest.raises(UserError, match="already running"):
        await service.retrain()
    os.kill(service.training_pid, signal.SIGKILL)
    record = await training
    assert record.status == "failed" and record.error == "the training process was killed by SIGKILL"
    assert service.model_version == old
    assert len((await service.recommend(1, count=5)).picks) == 5
    assert (await service.stats()).last_failure.error == record.error
    assert await service.store.rating_map(1) == RATED


@pytest.mark.timeout(60)
async def test_corrupt_model_file_keeps_the_served_model(service, data_dir):
    current = artifacts.current_dir(data_dir / "models")
    (current / artifacts.MODEL_FILE).write_bytes(b"not a model")
    old = service.model_version
    assert await service.reload_model() is False
    assert service.model_version == old
    await service.rate(1, "Steins;Gate", "9")
    assert (await service.similar("Steins;Gate", count=3)).neighbours


@pytest.mark.timeout(60)
async def test_start_without_a_usable_model_warms_up_and_trains(data_dir, catalog):
    current = artifacts.current_dir(data_dir / "models")
    (current / artifacts.ANN_FILE).write_bytes(b"corrupt")
    db = data_dir / "animerec.sqlite3"
    service = Service(await Store.open(db), catalog, data_dir, train_config="small")
    await service.start()
    try:
        with pytest.raises(WarmingUp, match="warming up"):
            await service.recommend(1)
        rated = await service.rate(1, "Steins;Gate", "9")  # ratings work while warming up
        assert rated.predicted is None
        await until(lambda: service.training_pid is not None)
        pid = service.training_pid
    finally:
        await service.close()  # shutting down kills the training child
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    store = await Store.open(db)
    try:
        await store.abandon_unfinished_training()
        [record] = await store.training_history(1)
        assert record.status == "failed" and record.error.startswith("interrupted")
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
        await service.rate(1, "Cowboy Bebop", "8")
        holder = hold_write_lock(db, 0.3)  # shorter than the busy timeout: the write waits it out
        await service.rate(1, "Steins;Gate", "9")
        await asyncio.to_thread(holder.join)

        holder = hold_write_lock(db, 2.0)  # longer: the member is told to retry, nothing half-written
        with pytest.raises(StoreBusy):
            await service.rate(1, "Death Note", "7")
        assert (await service.recommend(1, count=3, onboard=False)).picks  # reads still answer
        await asyncio.to_thread(holder.join)
        await service.rate(1, "Death Note", "7")
        assert await service.store.rating_map(1) == {COWBOY_BEBOP: 8.0, STEINS_GATE: 9.0, DEATH_NOTE: 7.0}
    finally:
        await service.close()


@pytest.mark.timeout(30)
async def test_a_cancel_during_commit_keeps_the_write_and_the_store_usable(tmp_path, monkeypatch):
    """Shutting down as a training finishes cancels its last write mid-COMMIT."""
    store = await Store.open(tmp_path / "animerec.sqlite3")
    try:
        execute = store._conn.execute

        def cancel_at_commit(sql, *args):
            if sql == "COMMIT":
                writer.cancel()  # lands once the COMMIT is queued to aiosqlite's thread
            return execute(sql, *args)

        monkeypatch.setattr(store._conn, "execute", cancel_at_commit)
        writer = asyncio.create_task(store.upsert_ratings(1, {STEINS_GATE: 9.0}))
        with pytest.raises(asyncio.CancelledError):
            await writer
        monkeypatch.undo()
        assert await store.rating_map(1) == {STEINS_GATE: 9.0}  # committed all the same
        await store.upsert_ratings(1, {COWBOY_BEBOP: 8.0})  # and no transaction left open
        assert await store.rating_map(1) == {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0}
    finally:
        await store.close()
