"""The store on its own, against SQLite and against a real PostgreSQL server (the `database` fixture):
round trips, /forget, imports, concurrent writes (counted afterwards), two stores on one database,
and the one-line errors for a bad DATABASE_URL or an unreachable server."""

import asyncio
import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from animerec.bot.store.backends import parse_url, postgres_sql, redact
from animerec.bot.store.store import POSTGRESQL, SCHEMA_VERSION, SQLITE, TABLES, BadDatabaseURL, Store, StoreUnavailable

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = 2**62 + 7, 2**62 + 8  # Discord ids are 64-bit: they must round-trip exactly


@pytest.fixture
async def store(database):
    store = await Store.open(database)
    yield store
    await store.close()


async def test_ratings_round_trip_and_report_what_they_replace(store):
    assert await store.upsert_ratings(ALICE, {1: 8.0, 5114: -1.0}) == {1: None, 5114: None}
    assert await store.upsert_ratings(ALICE, {1: 9.0, 9253: 10.0}) == {1: 8.0, 9253: None}
    assert await store.rating_map(ALICE) == {1: 9.0, 5114: -1.0, 9253: 10.0}
    listed = await store.ratings(ALICE)
    assert sorted((r.anime_id, r.rating) for r in listed) == [(1, 9.0), (5114, -1.0), (9253, 10.0)]
    assert [r.updated_at for r in listed] == sorted((r.updated_at for r in listed), reverse=True)
    assert await store.delete_rating(ALICE, 1) is True
    assert await store.delete_rating(ALICE, 1) is False
    assert await store.rating_map(ALICE) == {5114: -1.0, 9253: 10.0}
    assert await store.rating_map(BOB) == {}
    assert await store.rating_counts() == (2, 1)


async def test_out_of_range_scores_are_refused_and_store_nothing(store):
    with pytest.raises(Exception, match="(?i)check"):
        await store.upsert_ratings(ALICE, {1: 8.0, 2: 11.0})
    assert await store.rating_map(ALICE) == {}
    await store.upsert_ratings(ALICE, {1: 8.0})  # the store is still usable
    assert await store.rating_map(ALICE) == {1: 8.0}


async def test_an_import_of_many_titles_lands_whole(store):
    imported = {anime_id: float(anime_id % 10 + 1) for anime_id in range(1, 1201)}
    assert set((await store.upsert_ratings(ALICE, imported)).values()) == {None}
    assert await store.rating_map(ALICE) == imported
    assert await store.rating_counts() == (1200, 1)


async def test_dismissals_and_forget(store):
    await store.upsert_ratings(ALICE, {1: 8.0, 2: 7.0})
    await store.dismiss(ALICE, [3, 4, 4])
    await store.dismiss(ALICE, [3])  # again: nothing new
    await store.upsert_ratings(ALICE, {4: 6.0})  # rating a dismissed title takes it off the list
    assert await store.dismissals(ALICE) == {3}
    await store.upsert_ratings(BOB, {1: 5.0})
    await store.open_party(77, [ALICE, BOB])
    assert await store.vote(77, ALICE, 1)
    assert await store.forget(ALICE) == (3, 1)
    assert await store.rating_map(ALICE) == {} and await store.dismissals(ALICE) == set()
    assert await store.party_tally(77) == {}  # alice's vote went too
    assert not await store.vote(77, ALICE, 1)
    assert await store.rating_map(BOB) == {1: 5.0} and await store.vote(77, BOB, 2)
    assert await store.forget(ALICE) == (0, 0)


async def test_watch_party_votes_and_guild_settings(store):
    await store.open_party(2**60, [ALICE, BOB])
    assert await store.vote(2**60, ALICE, 3) and await store.vote(2**60, BOB, 3)
    assert await store.vote(2**60, BOB, 1)  # moved
    assert not await store.vote(2**60, 5, 1)  # not in the party
    assert await store.party_tally(2**60) == {1: 1, 3: 1}
    assert await store.hide_adult(2**61) is False
    await store.set_hide_adult(2**61, True)
    assert await store.hide_adult(2**61) is True
    await store.set_hide_adult(2**61, False)
    assert await store.hide_adult(2**61) is False


async def test_model_registry(store):
    first = await store.training_started()
    second = await store.training_started()
    assert second > first
    await store.training_finished(first, version="v1", trained_at="2026-01-01T00:00:00+00:00")
    await store.abandon_unfinished_training()  # `second` was left 'training' by a dead process
    history = await store.training_history(5)
    assert [(r.id, r.status, r.version) for r in history] == [(second, "failed", None), (first, "ready", "v1")]
    assert history[0].error.startswith("interrupted") and history[0].finished_at is not None


async def test_export_is_private_and_complete(store, tmp_path):
    await store.upsert_ratings(BOB, {5: 7.0})
    await store.upsert_ratings(ALICE, {1: 8.0, 2: -1.0})
    path = tmp_path / "export.csv"
    assert await store.export_ratings(path) == 3
    assert os.stat(path).st_mode & 0o777 == 0o600
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["user_id", "anime_id", "rating"], [str(ALICE), "1", "8.0"], [str(ALICE), "2", "-1.0"],
                    [str(BOB), "5", "7.0"]]


async def test_concurrent_writes_are_all_kept(store):
    members = range(1, 41)
    results = await asyncio.gather(*(
        store.upsert_ratings(m, {a: float((m + a) % 10 + 1)}) for m in members for a in range(1, 26)
    ))
    assert all(r == {next(iter(r)): None} for r in results)
    assert await store.rating_counts() == (40 * 25, 40)
    for m in (1, 17, 40):
        assert await store.rating_map(m) == {a: float((m + a) % 10 + 1) for a in range(1, 26)}


async def test_concurrent_re_rates_of_one_title_see_exactly_one_first(store):
    """Each write sees the one before it: one finds the title new, every other finds a score."""
    results = await asyncio.gather(*(store.upsert_ratings(ALICE, {1: float(s % 10 + 1)}) for s in range(30)))
    previous = [r[1] for r in results]
    assert previous.count(None) == 1
    assert await store.rating_counts() == (1, 1)
    assert (await store.rating_map(ALICE))[1] in {float(s % 10 + 1) for s in range(30)}


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


async def test_a_newer_schema_is_refused(database):
    store = await Store.open(database)
    await store._write(lambda db: db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION + 1,)))
    await store.close()
    with pytest.raises(RuntimeError, match=f"schema {SCHEMA_VERSION + 1} is newer than this bot"):
        await Store.open(database)


async def test_a_closed_store_refuses_writes(store):
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.upsert_ratings(ALICE, {1: 8.0})


async def test_stores_opened_at_once_migrate_once(database):
    stores = await asyncio.gather(*(Store.open(database) for _ in range(4)))
    try:
        assert [await s.schema_version() for s in stores] == [SCHEMA_VERSION] * 4
        assert await stores[0]._all("SELECT version FROM schema_version ORDER BY version") == [
            (v,) for v in range(1, SCHEMA_VERSION + 1)]
    finally:
        for s in stores:
            await s.close()


# --- DATABASE_URL ----------------------------------------------------------------------------------


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


async def test_tables_names_every_table_and_column(store):
    if store.dialect == SQLITE:
        rows = await store._all(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
            "WHERE m.type = 'table' AND m.name NOT IN ('schema_version', 'sqlite_sequence')")
    else:
        rows = await store._all("SELECT table_name, column_name FROM information_schema.columns "
                                "WHERE table_schema = 'public' AND table_name <> 'schema_version'")
    assert {(t, c) for t, c in rows} == {(t, c) for t, cols in TABLES.items() for c in cols}


async def fill(store: Store) -> None:
    await store.upsert_ratings(ALICE, {1: 8.0, 2: -1.0})
    await store.upsert_ratings(BOB, {1: 6.0})
    await store.dismiss(ALICE, [3])
    await store.set_hide_adult(2**61, True)
    await store.open_party(2**60, [ALICE, BOB])
    await store.vote(2**60, BOB, 2)
    await store.training_finished(await store.training_started(), version="v1", trained_at="t")
    await store.add_guild_members(2**59, [ALICE])
    await store.set_hidden(BOB, True)
    await store.open_party_picks(2**60, [ALICE, BOB], [1, 2])
    await store.confirm_watched(2**60, ALICE, 1)  # she rated it: her 8 stays


async def test_a_database_copies_whole_into_another_and_ids_go_on(database, tmp_path):
    source = await Store.open(tmp_path / "old.sqlite3")
    target = await Store.open(database)
    try:
        await fill(source)
        assert await target.copy_from(source) == {"ratings": 3, "dismissals": 1, "guild_settings": 1, "party_votes": 2,
                                                 "model_registry": 1, "guild_members": 1, "member_privacy": 1,
                                                 "parties": 1, "party_watched": 1}
        assert await target.rating_map(ALICE) == {1: 8.0, 2: -1.0} and await target.rating_map(BOB) == {1: 6.0}
        assert await target.dismissals(ALICE) == {3} and await target.hide_adult(2**61)
        assert await target.party_tally(2**60) == {2: 1}
        assert await target.guild_member_ids(2**59) == {ALICE} and await target.is_hidden(BOB)
        assert await target.party(2**60) == (",".join(["", str(min(ALICE, BOB)), str(max(ALICE, BOB)), ""]), [1, 2])
        assert await target.watched_count(2**60) == 1
        assert [(r.status, r.version) for r in await target.training_history()] == [("ready", "v1")]
        first = (await target.training_history())[0].id
        assert await target.training_started() == first + 1  # the registry's ids go on after the copied ones
        with pytest.raises(ValueError, match="already has ratings: copy into an empty one"):
            await target.copy_from(source)
        assert await target.rating_counts() == (3, 2)  # the refused copy added nothing
    finally:
        await source.close()
        await target.close()


def test_the_command_line_copies_sqlite_into_postgresql_and_exports(postgres_server, tmp_path):
    async def prepare() -> str:
        old = await Store.open(tmp_path / "old.sqlite3")
        await fill(old)
        await old.close()
        return await postgres_server.create_database()

    url = asyncio.run(prepare())
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(ANIMEREC_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=url)

    def bot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "animerec.bot", *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=60)

    missing = bot("--copy-database", "nothing-here.sqlite3")
    assert (missing.returncode, missing.stderr) == (2, "error: nothing-here.sqlite3 is not a SQLite database file\n")
    copied = bot("--copy-database", str(tmp_path / "old.sqlite3"))
    assert (copied.returncode, copied.stdout) == (
        0, "copied 3 ratings, 1 dismissals, 1 guild_settings, 2 party_votes, 1 model_registry, 1 guild_members, "
           "1 member_privacy, 1 parties, 1 party_watched\n")
    again = bot("--copy-database", str(tmp_path / "old.sqlite3"))
    assert (again.returncode, again.stderr) == (
        2, "error: the target database already has ratings: copy into an empty one\n")
    exported = bot("--export-ratings", "ratings.csv")
    assert exported.returncode == 0 and exported.stdout.startswith("wrote 3 ratings to ratings.csv")
    assert (tmp_path / "ratings.csv").read_text().splitlines() == [
        "user_id,anime_id,rating", f"{ALICE},1,8.0", f"{ALICE},2,-1.0", f"{BOB},1,6.0"]


async def test_postgresql_locked_past_the_busy_timeout_is_busy_and_loses_nothing(postgres_server):
    import asyncpg

    from animerec.bot.store.backends import MEMBER_NAMESPACE
    from animerec.bot.store.store import StoreBusy

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
