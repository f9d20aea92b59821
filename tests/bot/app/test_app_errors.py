"""The error reply (app/errors.py) through the real discord.py tree (simcord): a busy database is explained
privately, and a bug is logged and answered without a traceback."""

import logging

import pytest

from animerec.bot.store import StoreBusy
from botkit import rate

pytestmark = pytest.mark.timeout(60)


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


async def test_busy_database_is_answered_with_a_retry_hint(simcord_env, world, monkeypatch):
    _, channel, alice = world

    async def locked(*args):
        raise StoreBusy("database is locked")

    monkeypatch.setattr(simcord_env.bot.service.store, "upsert_ratings", locked)
    result = await rate(alice, channel, "Steins;Gate", "9")
    assert result.ephemeral
    assert result.response.content == "My database is busy right now; please try again in a moment. Nothing was lost."
    assert [type(getattr(e, "original", e)) for e in simcord_env.errors] == [StoreBusy]
