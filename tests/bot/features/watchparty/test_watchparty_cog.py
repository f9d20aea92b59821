"""/watchparty through the real discord.py tree (simcord): the group from a voice channel or mentions, the
replies, and the votes, which survive a restart."""

import asyncio
import sys
import time

import pytest

from animerec.bot import create_bot
from animerec.bot.app import interactions
from animerec.bot.store import StoreBusy
from botkit import COWBOY_BEBOP, DEATH_NOTE, STEINS_GATE, rate, user_errors

pytestmark = pytest.mark.timeout(60)


async def test_watchparty_in_voice_names_the_unrated_and_counts_votes(simcord_env, world):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    carol = guild.add_member(simcord_env.create_user("carol"))
    couch = guild.create_voice_channel("couch")
    await alice.join_voice(couch)
    await bob.join_voice(couch)
    for title in ("Steins;Gate", "Cowboy Bebop", "Death Note"):
        await rate(alice, channel, title, "9")
    await rate(bob, channel, "Steins;Gate", "8")  # a party needs two members with ratings
    dan = guild.add_member(simcord_env.create_user("dan"))
    await dan.join_voice(couch)

    result = await alice.slash(channel, "watchparty", strategy="fair", count=3)
    assert not result.ephemeral  # the group sees it and votes
    message = result.response
    embed = message.embeds[0]
    assert embed.title == "Watch party: fair" and "disagreement" in embed.description
    assert "dan: no ratings yet, so left out. Rate a few with /rate" in embed.description
    assert len(embed.fields) == 3
    lines = [f.value.split("\n") for f in embed.fields]  # title line, predictions, votes
    assert all(len(ls) == 3 and ls[1].startswith("Predicted: alice ") and ls[2] == "Votes: 0" for ls in lines)
    assert not {f.name.split(". ", 1)[1] for f in embed.fields} & {"Steins;Gate", "Cowboy Bebop", "Death Note"}

    await bob.click(message, label="Vote 2")
    await alice.click(message, label="Vote 2")
    await alice.click(message, label="Vote 1")  # a second click moves alice's vote
    votes = [f.value.rsplit("Votes: ", 1)[1] for f in message.embeds[0].fields]
    assert votes == ["1", "1", "0"]
    [refused] = (await carol.click(message, label="Vote 3")).followups
    assert refused.ephemeral and refused.content == "Only members of this watch party can vote, within 7 days of it."
    assert user_errors(simcord_env) == [refused.content]
    assert [f.value.rsplit("Votes: ", 1)[1] for f in message.embeds[0].fields] == ["1", "1", "0"]

    by_mention = await carol.slash(channel, "watchparty", members=f"{alice.mention} {bob.mention}")
    assert "carol: no ratings yet" in by_mention.response.embeds[0].description


def predicted_names(message) -> list[list[str]]:
    """Per pick, the names whose predicted scores the watch party shows."""
    lines = [f.value.split("Predicted: ", 1)[1].split("\n", 1)[0] for f in message.embeds[0].fields]
    return [[score.rsplit(" ", 1)[0] for score in line.split(", ")] for line in lines]


async def test_watchparty_members_outside_this_server_are_skipped_by_name(simcord_env, world):
    guild, channel, alice = world
    carol = guild.add_member(simcord_env.create_user("carol"))
    elsewhere = simcord_env.create_guild("elsewhere")
    dave = elsewhere.add_member(simcord_env.create_user("dave"))  # a real user, not in this server
    made_up = 123456789012345678
    store = simcord_env.bot.service.store
    for member_id in (alice.id, carol.id, dave.id, made_up):  # all with tastes the party could reveal
        await store.upsert_ratings(member_id, {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0, DEATH_NOTE: 7.0})

    result = await alice.slash(channel, "watchparty", count=3,
                               members=f"{carol.mention} {dave.mention} <@{made_up}> <@!{made_up}>")
    message = result.response
    assert not result.ephemeral and len(message.embeds[0].fields) == 3
    assert predicted_names(message) == [["alice", "carol"]] * 3
    assert f"Skipped, not members of this server: <@{dave.id}>, <@{made_up}>." in message.embeds[0].description

    crowd = " ".join(f"<@{made_up + i}>" for i in range(12))  # with alice, 13: refused before any lookup
    refused = await alice.slash(channel, "watchparty", members=crowd)
    assert refused.ephemeral and refused.response.content == "A watch party is at most 12 members; this one has 13."
    assert user_errors(simcord_env) == [refused.response.content]


async def test_watchparty_error_after_the_public_defer_reaches_only_the_caller(simcord_env, world, monkeypatch):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))

    async def locked(*args, **kwargs):
        raise StoreBusy("database is locked")

    monkeypatch.setattr(simcord_env.bot.service.parties, "plan", locked)  # fails after the input checks
    result = await alice.slash(channel, "watchparty", members=bob.mention)
    assert result.response is None  # the public placeholder is gone
    [reply] = result.followups
    assert reply.ephemeral
    assert reply.content == "My database is busy right now; please try again in a moment. Nothing was lost."
    assert channel.history(viewer=bob) == []  # no public placeholder or error left behind
    assert [m.content for m in channel.history(viewer=alice)] == [reply.content]
    assert [type(getattr(e, "original", e)) for e in simcord_env.errors] == [StoreBusy]


async def test_a_posted_party_whose_vote_cannot_open_stays_and_only_the_caller_hears(simcord_env, world, monkeypatch):
    """The vote opens once the party is posted: failing then (a busy database, the bot stopping) must not
    replace the list the channel already sees with an error and delete it."""
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    await simcord_env.bot.service.store.upsert_ratings(alice.id, {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0})
    await simcord_env.bot.service.store.upsert_ratings(bob.id, {DEATH_NOTE: 9.0})

    async def locked(*args, **kwargs):
        raise StoreBusy("database is locked")

    monkeypatch.setattr(simcord_env.bot.service.parties, "open_vote", locked)
    result = await alice.slash(channel, "watchparty", members=bob.mention, count=3)
    assert result.response is not None and len(result.response.embeds[0].fields) == 3
    [note] = result.followups
    assert note.ephemeral and note.content.startswith("I could not open the vote on this list")
    assert [m.embeds[0].title for m in channel.history(viewer=bob)] == ["Watch party: average"]


def votes(message) -> list[str]:
    return [f.value.rsplit("Votes: ", 1)[1] for f in message.embeds[0].fields]


async def test_watchparty_votes_survive_a_restart(simcord_env, world, settings, catalog):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    await simcord_env.bot.service.store.upsert_ratings(alice.id, {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0})
    await simcord_env.bot.service.store.upsert_ratings(bob.id, {DEATH_NOTE: 9.0})
    message = (await alice.slash(channel, "watchparty", members=bob.mention, count=3)).response
    await bob.click(message, label="Vote 2")
    assert votes(message) == ["0", "1", "0"]

    old = simcord_env.bot
    restarted = create_bot(settings, catalog=catalog)
    try:
        await simcord_env.restart_bot(restarted)
        await old.close()
        assert simcord_env.bot is not old
        await alice.click(message, label="Vote 2")
        assert votes(message) == ["0", "2", "0"]  # bob's vote from before the restart is kept
        await bob.click(message, label="Vote 1")  # and moves, as before it
        assert votes(message) == ["1", "1", "0"]
    finally:
        await restarted.close()  # the simcord_bot fixture closes only the first bot


async def test_watchparty_without_a_group_explains_privately(simcord_env, world):
    _, channel, alice = world
    result = await alice.slash(channel, "watchparty")
    assert result.ephemeral and "Join a voice channel" in result.response.content
    assert len(user_errors(simcord_env)) == 1


def slow_lookups(monkeypatch) -> dict[str, list[float]]:
    """Mentioned members looked up past the time to answer at once (a slow API), and the moments each lookup
    ended and each placeholder (defer) went out."""
    seen: dict[str, list[float]] = {"looked up": [], "deferred": []}
    cog = sys.modules["animerec.bot.features.watchparty.cog"]  # as the bot loaded it (load_extension makes its own)
    look_up, defer = cog.guild_member, interactions.defer_for

    async def slow(guild, member_id):
        await asyncio.sleep(interactions.ANSWER_AT_ONCE + 0.5)
        seen["looked up"].append(time.monotonic())
        return await look_up(guild, member_id)

    async def deferred(interaction, share):
        seen["deferred"].append(time.monotonic())
        await defer(interaction, share)

    monkeypatch.setattr(cog, "guild_member", slow)
    monkeypatch.setattr(interactions, "defer_for", deferred)
    return seen


async def test_watchparty_slow_to_look_members_up_puts_its_placeholder_first(simcord_env, world, monkeypatch):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    await simcord_env.bot.service.store.upsert_ratings(alice.id, {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0})
    await simcord_env.bot.service.store.upsert_ratings(bob.id, {DEATH_NOTE: 9.0})
    seen = slow_lookups(monkeypatch)
    result = await alice.slash(channel, "watchparty", members=bob.mention, count=3)
    assert len(seen["deferred"]) == 1 and seen["deferred"][0] < seen["looked up"][0]  # inside Discord's window
    assert not result.ephemeral and len(result.response.embeds[0].fields) == 3


async def test_watchparty_mistake_found_after_its_placeholder_reaches_only_the_caller(simcord_env, world, monkeypatch):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    seen = slow_lookups(monkeypatch)
    result = await alice.slash(channel, "watchparty", members=bob.mention, genre="Not A Genre")
    assert seen["deferred"][0] < seen["looked up"][0]
    assert result.response is None  # the public placeholder is gone
    [reply] = result.followups
    assert reply.ephemeral and "genre" in reply.content.lower()
    assert channel.history(viewer=bob) == []
    assert [str(getattr(e, "original", e)) for e in simcord_env.errors] == [reply.content]


async def test_watchparty_mistake_found_at_once_is_the_private_first_answer(simcord_env, world):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    result = await alice.slash(channel, "watchparty", members=bob.mention, genre="Not A Genre")
    assert result.ephemeral and not result.deferred and "genre" in result.response.content.lower()
    assert channel.history(viewer=bob) == []
    assert [str(getattr(e, "original", e)) for e in simcord_env.errors] == [result.response.content]
