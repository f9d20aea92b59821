"""The store as a whole (animerec.bot.store.store), on SQLite and PostgreSQL alike: /forget across
every feature's tables, and copying one database into another (python -m animerec.bot --copy-database)."""

import asyncio
import os
import subprocess
import sys

import pytest

from animerec.bot.store import Store, TrainingStatus

pytestmark = pytest.mark.timeout(60)

ALICE, BOB = 2**62 + 7, 2**62 + 8  # Discord ids are 64-bit: they must round-trip exactly


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
        assert [(r.status, r.version) for r in await target.training_history()] == [(TrainingStatus.READY, "v1")]
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
