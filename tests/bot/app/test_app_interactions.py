"""What the extensions share (app/interactions.py), through the real discord.py tree (simcord): title and
genre autocomplete offer no adult title outside an age-restricted channel."""

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import discord
import pytest

from animerec.bot.app import interactions
from botkit import COWBOY_BEBOP, STEINS_GATE, user_errors

pytestmark = pytest.mark.timeout(60)


async def test_autocomplete_never_offers_adult_titles_outside_nsfw_channels(world):
    _, channel, alice = world
    for typed in ("Kite", "Boku no Pico", "Bible Black", ""):
        choices = await alice.autocomplete(channel, "similar", "anime", typed)
        names = {c["name"] for c in choices}
        assert not names & {"A Kite", "Boku no Pico", "Bible Black"}
    genres = {c["value"] for c in await alice.autocomplete(channel, "recommend", "genre", "")}
    assert "Action" in genres and "Hentai" not in genres


async def test_a_reply_ready_in_time_is_the_first_answer_and_a_slow_one_follows_a_placeholder(
        simcord_env, world, monkeypatch):
    _, channel, alice = world
    deferrals = []
    real_defer = discord.InteractionResponse.defer

    async def defer(self, **kwargs):
        deferrals.append(kwargs)
        await real_defer(self, **kwargs)
        opened.set()

    monkeypatch.setattr(discord.InteractionResponse, "defer", defer)
    quick = await alice.slash(channel, "rate", anime="Steins;Gate", score="9")
    assert deferrals == [] and quick.ephemeral and quick.followups == []
    assert quick.response.embeds[0].title == "Steins;Gate"

    # A reply that cannot be ready before the placeholder is sent: the work waits for the defer.
    opened = asyncio.Event()
    ratings = simcord_env.bot.service.ratings
    real_rate = ratings.rate

    async def rate_after_the_placeholder(*args, **kwargs):
        await opened.wait()
        return await real_rate(*args, **kwargs)

    monkeypatch.setattr(ratings, "rate", rate_after_the_placeholder)
    monkeypatch.setattr(interactions, "ANSWER_AT_ONCE", 0.0)
    slow = await alice.slash(channel, "rate", anime="Cowboy Bebop", score="8")
    assert deferrals == [{"ephemeral": True}] and slow.ephemeral
    assert slow.response.embeds[0].title == "Cowboy Bebop"
    bad = await alice.slash(channel, "rate", anime="Toradora!", score="eleven")  # an error after the placeholder
    assert len(deferrals) == 2 and bad.ephemeral and "is not a score" in bad.response.content
    assert user_errors(simcord_env) == [bad.response.content]
    assert await simcord_env.bot.service.store.rating_map(alice.id) == {STEINS_GATE: 9.0, COWBOY_BEBOP: 8.0}


@pytest.mark.parametrize("age, left", [(0.0, 1.0), (0.25, 0.75), (1.0, 0.0), (2.5, 0.0),
                                       (-5.0, 1.0), (3.0, 1.0), (86_400.0, 1.0)])
def test_time_to_answer_at_once_counts_from_when_the_member_sent_it_unless_the_clocks_disagree(
        monkeypatch, age, left):
    now = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    monkeypatch.setattr(discord.utils, "utcnow", lambda: now)
    sent = SimpleNamespace(created_at=now - timedelta(seconds=age))
    assert interactions.seconds_to_answer_at_once(sent) == left
