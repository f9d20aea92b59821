"""The models every process on one database shares (animerec.bot.store.models), on SQLite and
PostgreSQL alike: the registry of training runs, the one training lock, and model notifications."""

import asyncio

import pytest

from animerec.bot.store import POSTGRESQL, Store, TrainingStatus

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = 2**62 + 7, 2**62 + 8  # Discord ids are 64-bit: they must round-trip exactly


async def test_model_registry(store):
    first = await store.training_started()
    second = await store.training_started()
    assert second > first
    await store.training_finished(first, version="v1", trained_at="2026-01-01T00:00:00+00:00")
    await store.abandon_unfinished_training()  # `second` was left TRAINING by a dead process
    history = await store.training_history(5)
    assert [(r.id, r.status, r.version) for r in history] == [
        (second, TrainingStatus.FAILED, None), (first, TrainingStatus.READY, "v1")]
    assert history[0].error.startswith("interrupted") and history[0].finished_at is not None
    assert all(type(r.status) is TrainingStatus for r in history)


async def test_statuses_are_stored_as_the_strings_databases_already_hold(store):
    """The registry's CHECK and the rows of databases in use spell statuses so: the enum keeps them."""
    assert [s.value for s in TrainingStatus] == ["training", "ready", "failed"]
    running, done, broken = [await store.training_started() for _ in range(3)]
    await store.training_finished(done, version="v1", trained_at="t")
    await store.training_finished(broken, error="boom")
    assert await store._all("SELECT id, status FROM model_registry ORDER BY id") == [
        (running, "training"), (done, "ready"), (broken, "failed")]


async def test_two_stores_on_one_database_see_each_other_and_share_one_training_lock(database):
    first, second = await Store.open(database), await Store.open(database)
    try:
        await asyncio.gather(first.upsert_ratings(ALICE, {1: 8.0}), second.upsert_ratings(BOB, {2: 6.0}))
        assert await first.rating_counts() == await second.rating_counts() == (2, 2)
        release = await first.try_training_lock()
        assert release is not None
        assert await second.try_training_lock() is None  # held elsewhere
        assert await first.try_training_lock() is None  # held, by this store's earlier call too
        await release()
        again = await second.try_training_lock()
        assert again is not None
        await again()
    finally:
        await first.close()
        await second.close()


async def test_model_notifications_reach_other_stores(database):
    first, second = await Store.open(database), await Store.open(database)
    heard: list[str] = []
    try:
        listening = await second.listen_models(heard.append)
        assert listening == (second.dialect == POSTGRESQL)  # SQLite: processes watch the models directory
        await first.notify_model("20260101-000000-abc")
        if listening:
            for _ in range(100):
                if heard:
                    break
                await asyncio.sleep(0.05)
            assert heard == ["20260101-000000-abc"]
        else:
            assert heard == []
    finally:
        await first.close()
        await second.close()
