"""Writes (store/backends.py), on SQLite and PostgreSQL alike: concurrent ones share one commit (SQLite) and a
failed one undoes only itself; a cancelled one is all or nothing; a locked SQLite database is waited for,
then reported busy without losing a rating."""

import asyncio
import contextlib
import sqlite3
import threading

import asyncpg
import pytest

from animerec.bot.service import Service
from animerec.bot.store import SQLITE, Store, StoreBusy
from botkit import COWBOY_BEBOP, DEATH_NOTE, STEINS_GATE


async def test_concurrent_writes_share_one_commit_and_a_failed_one_undoes_only_itself(database):
    store = await Store.open(database)
    try:
        await store.upsert_ratings(1, {10: 5.0})
        commits = store.commits
        results = await asyncio.gather(
            *(store.upsert_ratings(u, {10: 7.0, 20: 8.0}) for u in range(1, 51)),
            store.upsert_ratings(99, {10: 11.0}),  # out of range: refused by the schema
            store.dismiss(2, [30]),
            return_exceptions=True,
        )
        # SQLite: one group commit; PostgreSQL: a transaction per write, the refused one not committed.
        assert store.commits == commits + (1 if store.dialect == SQLITE else 51)
        assert results[0] == {10: 5.0, 20: None} and all(r == {10: None, 20: None} for r in results[1:50])
        refused = sqlite3.IntegrityError if store.dialect == SQLITE else asyncpg.CheckViolationError
        assert isinstance(results[50], refused) and results[51] is None
        assert await store.rating_map(99) == {} and await store.dismissals(2) == {30}
        assert await store.rating_counts() == (100, 50)
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
