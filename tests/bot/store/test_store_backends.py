"""The two databases (animerec.bot.store.backends): concurrent writes all kept, a PostgreSQL server
locked past the busy timeout, DATABASE_URL parsing, placeholders, and the one-line errors for a bad
DATABASE_URL or an unreachable server."""

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from animerec.bot.store import POSTGRESQL, SQLITE, BadDatabaseURL, Store, StoreBusy, StoreUnavailable
from animerec.bot.store.backends import MEMBER_NAMESPACE, parse_url, postgres_sql, redact

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
