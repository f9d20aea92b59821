"""The two databases (animerec.bot.store.backends): concurrent writes all kept, a PostgreSQL server
locked past the busy timeout, DATABASE_URL parsing, placeholders, and the one-line errors for a bad
DATABASE_URL or an unreachable server. Writes: concurrent ones share one commit (SQLite) and a failed one
undoes only itself; a cancelled one is all or nothing; a locked SQLite database is waited for, then reported
busy without losing a rating."""

import asyncio
import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import asyncpg
import pytest

from animerec.bot.service import Service
from animerec.bot.store import POSTGRESQL, SQLITE, BadDatabaseURL, Store, StoreBusy, StoreUnavailable, backends
from animerec.bot.store.backends import MEMBER_NAMESPACE, parse_url, postgres_sql, redact
from animerec.bot.store.models import MODEL_CHANNEL
from botkit import COWBOY_BEBOP, DEATH_NOTE, STEINS_GATE

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = 2**62 + 7, 2**62 + 8  # Discord ids are 64-bit: they must round-trip exactly


async def test_concurrent_writes_are_all_kept(store):
    members = range(1, 41)
    results = await asyncio.gather(*(
        store.upsert_ratings(m, {a: float((m + a) % 10 + 1)}) for m in members for a in range(1, 26)
    ))
    assert all(r == {next(iter(r)): None} for r in results)
    assert await store.rating_counts() == (40 * 25, 40)
    for m in (1, 17, 40):
        assert await store.rating_map(m) == {a: float((m + a) % 10 + 1) for a in range(1, 26)}


async def test_postgresql_locked_past_the_busy_timeout_is_busy_and_loses_nothing(postgres_server):
    import asyncpg

    url = await postgres_server.create_database()
    store = await Store.open(url, busy_timeout=0.5)
    holder = await asyncpg.connect(url)  # another process's transaction, holding alice's write lock
    try:
        await store.upsert_ratings(ALICE, {1: 8.0})
        async with holder.transaction():
            await holder.execute("SELECT pg_advisory_xact_lock($1, $2)", MEMBER_NAMESPACE, ALICE % 2**31)
            with pytest.raises(StoreBusy, match="lock timeout"):
                await store.upsert_ratings(ALICE, {2: 9.0})
            assert await store.rating_map(ALICE) == {1: 8.0}  # reads still answer; nothing half-written
            await store.upsert_ratings(BOB, {2: 9.0})  # other members' writes go on
        await store.upsert_ratings(ALICE, {2: 9.0})
        assert await store.rating_map(ALICE) == {1: 8.0, 2: 9.0} and await store.rating_counts() == (3, 2)
    finally:
        await holder.close()
        await store.close()


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://bot:pw@db.example:5432/animerec", (POSTGRESQL, "postgresql://bot:pw@db.example:5432/animerec")),
    ("postgres://db/animerec", (POSTGRESQL, "postgres://db/animerec")),
    ("sqlite:///var/animerec.sqlite3", (SQLITE, Path("var/animerec.sqlite3"))),
    ("sqlite:////data/animerec.sqlite3", (SQLITE, Path("/data/animerec.sqlite3"))),
])
def test_database_urls(url, expected):
    assert parse_url(url) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://bot:secret@db/animerec", "DATABASE_URL mysql://bot:***@db/animerec is not a database URL this bot reads"),
    ("localhost:5432", "DATABASE_URL 'localhost:5432' is not a database URL this bot reads"),
    ("postgresql://bot:secret@db:54x2/animerec",
     "DATABASE_URL postgresql://bot:***@db:54x2/animerec has a port that is not"),
    ("postgresql:///animerec", "DATABASE_URL postgresql:///animerec names no host"),
    ("sqlite://", "DATABASE_URL sqlite:// names no file"),
])
def test_bad_database_urls_are_one_line_without_the_password(url, message):
    with pytest.raises(BadDatabaseURL) as error:
        parse_url(url)
    assert str(error.value).startswith(message) and "\n" not in str(error.value) and "secret" not in str(error.value)


def test_placeholders_and_redaction():
    assert postgres_sql("UPDATE t SET a = ? WHERE b = ? AND c = ?") == "UPDATE t SET a = $1 WHERE b = $2 AND c = $3"
    assert redact("postgresql://bot:s3cret@h:5432/db") == "postgresql://bot:***@h:5432/db"
    assert redact("postgresql://h/db") == "postgresql://h/db"


async def test_an_unreachable_server_is_one_line_without_the_password():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreUnavailable) as error:
        await Store.open(f"postgresql://bot:secret@127.0.0.1:{port}/animerec")
    text = str(error.value)
    assert text.startswith(f"cannot connect to the PostgreSQL server at postgresql://bot:***@127.0.0.1:{port}/animerec: ")
    assert "\n" not in text and "secret" not in text


async def test_a_missing_database_is_one_line(postgres_server):
    with pytest.raises(StoreUnavailable, match=r'^cannot connect .*/nonexistent: database "nonexistent" does not exist$'):
        await Store.open(postgres_server.url("nonexistent"))


def run_bot(tmp_path, database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(ANIMEREC_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "animerec.bot", "--console"], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)


def test_the_bot_refuses_a_bad_database_url_in_one_line(tmp_path):
    done = run_bot(tmp_path, "mysql://bot:secret@db/animerec")
    assert done.returncode == 2
    assert done.stderr == ("error: DATABASE_URL mysql://bot:***@db/animerec is not a database URL this bot reads: "
                           "postgresql://user:password@host:5432/db, or sqlite:///path "
                           "(unset: SQLite in the data directory)\n")


def test_the_bot_stops_at_once_on_an_unreachable_server_in_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = run_bot(tmp_path, f"postgresql://bot:secret@127.0.0.1:{port}/animerec")
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot connect to the PostgreSQL server at "
                                  f"postgresql://bot:***@127.0.0.1:{port}/animerec: ")
    assert done.stderr.count("\n") == 1 and "secret" not in done.stderr


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


async def test_a_dropped_listen_connection_is_reopened_and_hears_notifications_again(postgres_server, monkeypatch):
    """The server ends the LISTEN connection (a restart, a failover, an idle-connection reaper): it is
    reopened, after failed tries while the server is out of reach, its listeners are told to look again
    (what was sent meanwhile is lost), and a NOTIFY from another connection reaches them once more."""
    url = await postgres_server.create_database()
    store = await Store.open(url)
    backend = store._backend
    connect, tries = backend._connect, []

    async def out_of_reach_twice():
        tries.append(1)
        if len(tries) <= 3:  # the first opening, then two failed reopenings
            if len(tries) > 1:
                raise OSError("connection refused")
        return await connect()

    monkeypatch.setattr(backend, "_connect", out_of_reach_twice)
    monkeypatch.setattr(backends, "RELISTEN_FIRST", 0.01)
    heard: asyncio.Queue[str] = asyncio.Queue()
    other = await asyncpg.connect(url)
    try:
        assert await store.listen_models(heard.put_nowait)
        await other.execute("SELECT pg_notify($1, 'v1')", MODEL_CHANNEL)
        assert await asyncio.wait_for(heard.get(), 10) == "v1"
        listener = await other.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()")
        assert listener is not None and await other.fetchval("SELECT pg_terminate_backend($1)", listener)
        assert await asyncio.wait_for(heard.get(), 20) == ""  # reopened: look at what may have been missed
        await other.execute("SELECT pg_notify($1, 'v2')", MODEL_CHANNEL)
        assert await asyncio.wait_for(heard.get(), 10) == "v2"
        assert heard.empty() and len(tries) == 4
    finally:
        await other.close()
        await store.close()
