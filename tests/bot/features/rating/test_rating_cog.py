"""/rate, /unrate, /ratings, /import and /forget through the real discord.py tree (simcord)."""

import pytest
from simcord import SetupError

from animerec.bot import create_bot
from animerec.bot.features.rating import cog as rating_cog
from animerec.bot.store import TrainingStatus
from botkit import COWBOY_BEBOP, DEATH_NOTE, STEINS_GATE, Clock, mal_export, rate, user_errors

pytestmark = pytest.mark.timeout(60)


async def stored(env, member) -> dict[int, float]:
    return await env.bot.service.store.rating_map(member.id)


async def test_rate_from_autocomplete_replies_with_title_score_and_prediction(simcord_env, world):
    _, channel, alice = world
    choices = await alice.autocomplete(channel, "rate", "anime", "steins")
    # Steins;Gate 0 is listed as well: the names collide, so each shows its year.
    assert choices[0] == {"name": "Steins;Gate (2011)", "value": f"mal:{STEINS_GATE}"}
    result = await rate(alice, channel, choices[0]["value"], "9")
    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "Steins;Gate"
    assert embed.description.startswith("Drama, Psychological, Sci-Fi, Suspense, Time Travel · TV")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Your score"] == "9/10" and fields["I had predicted"].endswith("/10")

    await rate(alice, channel, "cowboy bebop", "watched")  # free text resolves too
    assert await stored(simcord_env, alice) == {STEINS_GATE: 9.0, COWBOY_BEBOP: -1.0}
    assert await alice.autocomplete(channel, "rate", "score", "wa") == [{"name": "watched", "value": "watched"}]


async def test_english_names_autocomplete_and_an_ambiguous_name_says_which_entry_was_taken(simcord_env, world):
    _, channel, alice = world
    choices = await alice.autocomplete(channel, "rate", "anime", "attack on titan")
    assert choices[0] == {"name": "Shingeki no Kyojin · Attack on Titan (2013)", "value": "mal:16498"}
    assert all(len(c["name"]) <= 100 for c in choices)
    result = await rate(alice, channel, "hunter x hunter", "9")
    embed = result.response.embeds[0]
    assert embed.title == "Hunter x Hunter (2011)"
    assert "Also: Hunter x Hunter (1999)." in {f.name: f.value for f in embed.fields}["Not this one?"]
    assert await stored(simcord_env, alice) == {11061: 9.0}
    await rate(alice, channel, "Hunter x Hunter (1999)", "8")  # as the advice has it
    assert await stored(simcord_env, alice) == {11061: 9.0, 136: 8.0}


async def test_a_title_named_by_digits_is_that_title_typed_and_its_id_picked_from_autocomplete(simcord_env, world):
    # 86 Eighty-Six (MAL id 41457) is named "86"; 86 is the MAL id of Mobile Suit Gundam ZZ.
    _, channel, alice = world
    typed = await rate(alice, channel, "86", "8")
    assert typed.response.embeds[0].title == "86 · 86 Eighty-Six"
    assert await stored(simcord_env, alice) == {41457: 8.0}
    choices = await alice.autocomplete(channel, "rate", "anime", "gundam zz")
    [zz] = [c for c in choices if c["name"] == "Mobile Suit Gundam ZZ (1986)"]
    assert zz["value"] == "mal:86"
    await rate(alice, channel, zz["value"], "6")
    assert await stored(simcord_env, alice) == {41457: 8.0, 86: 6.0}


@pytest.mark.parametrize("title, score, message", [
    ("Steins Gateway", "9", "Did you mean: Steins;Gate"),
    ("Steins;Gate", "11", "is not a score"),
    ("Steins;Gate", "nine", "is not a score"),
    ("Steins Gateway", "abc", "is not a score"),
    ("   ", "9", "Give a title"),  # the score first: no menu of titles that would end in this
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


async def test_ratings_pages_and_forget_answers_work_after_a_restart(simcord_env, world, settings, catalog):
    """/ratings' buttons and /forget's are made from their custom_id on each click: a message sent before a
    restart still answers ("This interaction failed" otherwise)."""
    _, channel, alice = world
    popular = [a.anime_id for a in list(simcord_env.bot.service.catalog)[:20]]
    await simcord_env.bot.service.store.upsert_ratings(alice.id, {a: 8.0 for a in popular})
    page = (await alice.slash(channel, "ratings")).response
    prompt = (await alice.slash(channel, "forget")).response
    old = simcord_env.bot
    restarted = create_bot(settings, catalog=catalog)
    try:
        await simcord_env.restart_bot(restarted)
        await old.close()
        turned = await alice.click(page, label="Next")
        assert turned.response.embeds[0].footer.text == "Page 2/2"
        back = await alice.click(turned.response, label="Previous")
        assert back.response.embeds[0].footer.text == "Page 1/2"
        done = await alice.click(prompt, label="Delete everything")
        assert done.response.content.startswith("Done: deleted 20 ratings")
        assert await stored(simcord_env, alice) == {}
    finally:
        await restarted.close()  # the simcord_bot fixture closes only the first bot


async def test_an_old_forget_confirmation_deletes_nothing(simcord_env, world, monkeypatch):
    _, channel, alice = world
    await rate(alice, channel, "Steins;Gate", "9")
    prompt = (await alice.slash(channel, "forget")).response
    asked = rating_cog.time.time()
    monkeypatch.setattr(rating_cog.time, "time", lambda: asked + rating_cog.FORGET_CONFIRM_SECONDS + 1)
    late = await alice.click(prompt, label="Delete everything")
    assert late.response.content.startswith("This confirmation has expired, so nothing was deleted.")
    assert await stored(simcord_env, alice) == {STEINS_GATE: 9.0}


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
    assert done.response.content.startswith("Done: deleted 1 rating and 0 dismissed titles.")
    assert await stored(simcord_env, alice) == {}


@pytest.mark.timeout(120)
async def test_forget_says_when_its_ratings_leave_the_served_model(simcord_env, world):
    _, channel, alice = world
    await rate(alice, channel, "Steins;Gate", "9")
    assert (await simcord_env.bot.service.models.retrain()).status == TrainingStatus.READY  # this model learnt from alice
    prompt = await alice.slash(channel, "forget")
    done = await alice.click(prompt.response, label="Delete everything")
    assert done.response.content == (
        "Done: deleted 1 rating and 0 dismissed titles. I no longer store anything about you. "
        "The model I serve now learnt from your ratings (blended into its title weights; it keeps no row of "
        "yours): they are gone from the next model, at 04:00 UTC.")  # the default schedule: nightly at 04:00


async def test_unrate_removes_and_explains_when_nothing_to_remove(simcord_env, world):
    _, channel, alice = world
    await rate(alice, channel, "Steins;Gate", "9")
    removed = await alice.slash(channel, "unrate", anime=str(STEINS_GATE))
    assert removed.ephemeral and removed.response.content == "Removed your rating of Steins;Gate."
    again = await alice.slash(channel, "unrate", anime="Steins;Gate")
    assert again.response.content == "You haven't rated Steins;Gate."
    assert user_errors(simcord_env) == ["You haven't rated Steins;Gate."]
    assert await stored(simcord_env, alice) == {}
