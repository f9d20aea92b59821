"""Slash commands, autocomplete, buttons and selects through the real discord.py tree (simcord)."""

import logging

import discord
import pytest
from simcord import SetupError

from animerec.bot import create_bot
from animerec.bot.service import UserError
from animerec.bot.store.store import StoreBusy
from botkit import COWBOY_BEBOP, DEATH_NOTE, STEINS_GATE, Clock, mal_export

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def world(simcord_env):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("anime")
    alice = guild.add_member(simcord_env.create_user("alice"))
    return guild, channel, alice


def user_errors(env) -> list[str]:
    """The messages of the errors the bot reported to members; fails on any other kind of error."""
    errors = [getattr(e, "original", e) for e in env.errors]
    assert all(isinstance(e, UserError) for e in errors), errors
    return [str(e) for e in errors]


async def stored(env, member) -> dict[int, float]:
    return await env.bot.service.store.rating_map(member.id)


async def rate(member, channel, title: str, score: str):
    return await member.slash(channel, "rate", anime=title, score=score)


async def test_rate_from_autocomplete_replies_with_title_score_and_prediction(simcord_env, world):
    _, channel, alice = world
    choices = await alice.autocomplete(channel, "rate", "anime", "steins")
    assert choices[0] == {"name": "Steins;Gate", "value": str(STEINS_GATE)}
    result = await rate(alice, channel, choices[0]["value"], "9")
    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "Steins;Gate" and embed.description.startswith("Sci-Fi, Thriller · TV")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Your score"] == "9/10" and fields["I had predicted"].endswith("/10")

    await rate(alice, channel, "cowboy bebop", "watched")  # free text resolves too
    assert await stored(simcord_env, alice) == {STEINS_GATE: 9.0, COWBOY_BEBOP: -1.0}
    assert await alice.autocomplete(channel, "rate", "score", "wa") == [{"name": "watched", "value": "watched"}]


async def test_english_names_autocomplete_and_an_ambiguous_name_says_which_entry_was_taken(simcord_env, world):
    _, channel, alice = world
    choices = await alice.autocomplete(channel, "rate", "anime", "attack on titan")
    assert choices[0] == {"name": "Shingeki no Kyojin · Attack on Titan", "value": "16498"}
    assert all(len(c["name"]) <= 100 for c in choices)
    result = await rate(alice, channel, "hunter x hunter", "9")
    embed = result.response.embeds[0]
    assert embed.title == "Hunter x Hunter (2011)"
    assert "Hunter x Hunter." in {f.name: f.value for f in embed.fields}["Not this one?"]
    assert await stored(simcord_env, alice) == {11061: 9.0}


@pytest.mark.parametrize("title, score, message", [
    ("Steins Gateway", "9", "Did you mean: Steins;Gate"),
    ("Steins;Gate", "11", "is not a score"),
    ("Steins;Gate", "nine", "is not a score"),
    ("Robert'); DROP TABLE ratings;--", "9", "I don't know a title"),
    ("x" * 10_000, "9", "I don't know a title"),
    ("Steins;Gate", "9" * 10_000, "is not a score"),
])
async def test_bad_input_gets_a_private_explanation_and_stores_nothing(simcord_env, world, title, score, message):
    _, channel, alice = world
    result = await rate(alice, channel, title, score)
    assert result.ephemeral and message in result.response.content
    assert len(result.response.content) < 400
    assert user_errors(simcord_env) == [result.response.content]
    assert await stored(simcord_env, alice) == {}


async def test_autocomplete_never_offers_adult_titles_outside_nsfw_channels(world):
    _, channel, alice = world
    for typed in ("Kite", "Boku no Pico", "Bible Black", ""):
        choices = await alice.autocomplete(channel, "similar", "anime", typed)
        names = {c["name"] for c in choices}
        assert not names & {"A Kite", "Boku no Pico", "Bible Black"}
    genres = {c["value"] for c in await alice.autocomplete(channel, "recommend", "genre", "")}
    assert "Action" in genres and "Hentai" not in genres


async def test_unexpected_failure_is_logged_and_answered_without_a_traceback(simcord_env, world, caplog, monkeypatch):
    _, channel, alice = world

    async def broken():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(simcord_env.bot.service, "stats", broken)
    with caplog.at_level(logging.ERROR, logger="animerec.bot.app.errors"):
        result = await alice.slash(channel, "stats")
    assert result.ephemeral
    assert result.response.content == "Something went wrong on my side; it has been logged. Please try again."
    assert "disk on fire" in caplog.text and "Traceback" in caplog.text
    assert [type(getattr(e, "original", e)) for e in simcord_env.errors] == [RuntimeError]


async def test_ratings_pages_with_buttons(simcord_env, world):
    _, channel, alice = world
    popular = [a.anime_id for a in list(simcord_env.bot.service.catalog)[:20]]
    await simcord_env.bot.service.store.upsert_ratings(alice.id, {a: 8.0 for a in popular})
    result = await alice.slash(channel, "ratings")
    page = result.response
    assert page.embeds[0].title == "Your ratings (20)" and page.embeds[0].footer.text == "Page 1/2"
    assert page.embeds[0].description.count("\n") == 14
    with pytest.raises(SetupError, match="disabled"):
        await alice.click(page, label="Previous")
    turned = await alice.click(page, label="Next")
    assert turned.response.embeds[0].footer.text == "Page 2/2"
    assert turned.response.embeds[0].description.count("\n") == 4


async def test_import_attachment_reports_and_bad_file_stores_nothing(simcord_env, world):
    _, channel, alice = world
    clock = simcord_env.bot.service.ratings.import_cooldown.clock = Clock()
    export = mal_export((STEINS_GATE, 10, "Completed"), (DEATH_NOTE, 0, "Watching"), (COWBOY_BEBOP, 0, "Plan to Watch"))
    result = await alice.slash(channel, "import", file=("animelist.xml", export))
    assert result.ephemeral
    assert result.response.embeds[0].description == "Added **2**, updated **0**, unchanged 0."
    assert await stored(simcord_env, alice) == {STEINS_GATE: 10.0, DEATH_NOTE: -1.0}

    clock.now += 59.5  # one import a minute per member
    again = await alice.slash(channel, "import", file=("animelist.xml", export))
    assert again.ephemeral and again.response.content == "One import every 1 min: try again in 1 s."
    assert user_errors(simcord_env) == [again.response.content]
    clock.now += 0.5
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa">]><myanimelist>&a;</myanimelist>'
    result = await alice.slash(channel, "import", file=("animelist.xml", bomb))
    assert "declares a DTD or entities" in result.response.content and "Nothing was stored" in result.response.content
    assert len(user_errors(simcord_env)) == 2
    assert await stored(simcord_env, alice) == {STEINS_GATE: 10.0, DEATH_NOTE: -1.0}


async def test_forget_only_after_confirmation(simcord_env, world):
    _, channel, alice = world
    await rate(alice, channel, "Steins;Gate", "9")
    prompt = await alice.slash(channel, "forget")
    assert prompt.ephemeral
    cancelled = await alice.click(prompt.response, label="Cancel")
    assert cancelled.response.content == "Nothing deleted."
    assert await stored(simcord_env, alice) == {STEINS_GATE: 9.0}

    prompt = await alice.slash(channel, "forget")
    done = await alice.click(prompt.response, label="Delete everything")
    assert done.response.content.startswith("Done: deleted 1 rating(s)")
    assert await stored(simcord_env, alice) == {}


@pytest.mark.timeout(120)
async def test_forget_says_when_its_ratings_leave_the_served_model(simcord_env, world):
    _, channel, alice = world
    await rate(alice, channel, "Steins;Gate", "9")
    assert (await simcord_env.bot.service.models.retrain()).status == "ready"  # this model learnt from alice
    prompt = await alice.slash(channel, "forget")
    done = await alice.click(prompt.response, label="Delete everything")
    assert done.response.content == (
        "Done: deleted 1 rating(s) and 0 dismissed title(s). I no longer store anything about you. "
        "The model I serve now learnt from your ratings (blended into its title weights; it keeps no row of "
        "yours): they are gone from the next model, at 04:00 UTC.")  # the default schedule: nightly at 04:00


async def test_onboarding_then_picks_with_not_interested_rate_and_more(simcord_env, world):
    _, channel, alice = world
    store = simcord_env.bot.service.store
    onboarding = (await alice.slash(channel, "recommend")).response
    assert onboarding.embeds[0].title == "Let's get to know your taste"
    offered = [int(c["custom_id"].split(":")[1]) for row in onboarding.components for c in row["components"]
               if c.get("custom_id", "").startswith("onboard:")]
    assert len(offered) == 4
    for anime_id, score in zip(offered, ("10", "8", "watched")):
        await alice.select(onboarding, [score], custom_id=f"onboard:{anime_id}")
    await alice.select(onboarding, ["skip"], custom_id=f"onboard:{offered[3]}")
    assert await store.rating_map(alice.id) == {offered[0]: 10.0, offered[1]: 8.0, offered[2]: -1.0}

    message = (await alice.click(onboarding, label="Show my picks")).response
    embed = message.embeds[0]
    picks = [f for f in embed.fields if f.value.startswith("Match ")]
    assert embed.title == "Picks for you" and len(picks) == 10
    assert [f.name.split(". ")[0] for f in picks] == [str(i) for i in range(1, 11)]
    assert not {int(v) for v in option_values(message, "recommend:dismiss")} & set(offered[:3])

    dropped = int(option_values(message, "recommend:dismiss")[0])
    await alice.select(message, [str(dropped)], custom_id="recommend:dismiss")
    assert await store.dismissals(alice.id) == {dropped}
    page = option_values(message, "recommend:dismiss")
    assert str(dropped) not in page and len(page) == 10

    to_rate = page[0]
    asked = await alice.select(message, [to_rate], custom_id="recommend:rate")
    assert asked.ephemeral and asked.response.content.startswith("How would you rate")
    rated = await alice.select(asked.response, ["7"], custom_id="quickrate:score")
    assert rated.response.embeds[0].fields[0].value == "7/10"
    assert rated.response.content == ""  # the answer replaced the question
    assert (await store.rating_map(alice.id))[int(to_rate)] == 7.0

    await alice.click(message, custom_id="recommend:more")
    assert message.embeds[0].title == "More picks for you"
    assert not set(option_values(message, "recommend:dismiss")) & set(page)


def option_values(message, custom_id: str) -> list[str]:
    """The option values of one select menu of a message (the anime ids it offers)."""
    for row in message.components:
        for component in row["components"]:
            if component.get("custom_id") == custom_id:
                return [o["value"] for o in component["options"]]
    raise AssertionError(f"no {custom_id} menu")


async def test_similar_lists_neighbours(world):
    _, channel, alice = world
    result = await alice.slash(channel, "similar", anime=str(STEINS_GATE), count=5, type="TV")
    embed = result.response.embeds[0]
    *neighbours, series = embed.fields
    assert result.ephemeral and embed.title == "Similar to Steins;Gate" and len(neighbours) == 5
    assert all(f.value.startswith("Similarity ") and " · TV" in f.value for f in neighbours)
    assert not any("Steins;Gate" in f.name for f in neighbours)  # its own series is grouped apart
    assert series.name == "Same series" and "Steins;Gate 0" in series.value


async def test_watchparty_in_voice_names_the_unrated_and_counts_votes(simcord_env, world):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    carol = guild.add_member(simcord_env.create_user("carol"))
    couch = guild.create_voice_channel("couch")
    await alice.join_voice(couch)
    await bob.join_voice(couch)
    for title in ("Steins;Gate", "Cowboy Bebop", "Death Note"):
        await rate(alice, channel, title, "9")

    result = await alice.slash(channel, "watchparty", strategy="fair", count=3)
    assert not result.ephemeral  # the group sees it and votes
    message = result.response
    embed = message.embeds[0]
    assert embed.title == "Watch party: fair" and "disagreement" in embed.description
    assert "bob: no ratings yet, so left out. Rate a few with /rate" in embed.description
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
    assert "carol, bob: no ratings yet" in by_mention.response.embeds[0].description


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


def votes(message) -> list[str]:
    return [f.value.rsplit("Votes: ", 1)[1] for f in message.embeds[0].fields]


async def test_watchparty_votes_survive_a_restart(simcord_env, world, settings, catalog):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    await simcord_env.bot.service.store.upsert_ratings(alice.id, {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0})
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


async def test_admin_commands_need_manage_server(simcord_env, world):
    guild, channel, alice = world
    managers = guild.create_role("mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[managers])
    with pytest.raises(SetupError, match="not visible"):
        await alice.slash(channel, "admin adult-content", hide=True)
    reply = await mod.slash(channel, "admin adult-content", hide=True)
    assert reply.ephemeral and reply.response.content == "Adult titles now appear nowhere in this server."
    assert await simcord_env.bot.service.titles.allow_adult(guild.id, nsfw_channel=True) is False

    reply = await alice.slash(channel, "stats")
    [words] = reply.response.embeds
    assert words.title == "About my recommendations" and words.description.startswith("My model is ")
    assert "coverage10" not in words.description and "ratings and watches of MyAnimeList members" in words.description
    refused = await alice.slash(channel, "stats", details=True)
    assert refused.ephemeral and "for server managers" in refused.response.content
    assert user_errors(simcord_env) == [refused.response.content]
    words, figures = (await mod.slash(channel, "stats", details=True)).response.embeds
    model = next(f.value for f in figures.fields if f.name == "Model")
    assert model.startswith(simcord_env.bot.service.models.model_version)


async def test_busy_database_is_answered_with_a_retry_hint(simcord_env, world, monkeypatch):
    _, channel, alice = world

    async def locked(*args):
        raise StoreBusy("database is locked")

    monkeypatch.setattr(simcord_env.bot.service.store, "upsert_ratings", locked)
    result = await rate(alice, channel, "Steins;Gate", "9")
    assert result.ephemeral
    assert result.response.content == "My database is busy right now; please try again in a moment. Nothing was lost."
    assert [type(getattr(e, "original", e)) for e in simcord_env.errors] == [StoreBusy]


async def test_unrate_removes_and_explains_when_nothing_to_remove(simcord_env, world):
    _, channel, alice = world
    await rate(alice, channel, "Steins;Gate", "9")
    removed = await alice.slash(channel, "unrate", anime=str(STEINS_GATE))
    assert removed.ephemeral and removed.response.content == "Removed your rating of Steins;Gate."
    again = await alice.slash(channel, "unrate", anime="Steins;Gate")
    assert again.response.content == "You haven't rated Steins;Gate."
    assert user_errors(simcord_env) == ["You haven't rated Steins;Gate."]
    assert await stored(simcord_env, alice) == {}
