"""What the extensions share (app/interactions.py), through the real discord.py tree (simcord): title and
genre autocomplete offer no adult title outside an age-restricted channel."""

import pytest

pytestmark = pytest.mark.timeout(60)


async def test_autocomplete_never_offers_adult_titles_outside_nsfw_channels(world):
    _, channel, alice = world
    for typed in ("Kite", "Boku no Pico", "Bible Black", ""):
        choices = await alice.autocomplete(channel, "similar", "anime", typed)
        names = {c["name"] for c in choices}
        assert not names & {"A Kite", "Boku no Pico", "Bible Black"}
    genres = {c["value"] for c in await alice.autocomplete(channel, "recommend", "genre", "")}
    assert "Action" in genres and "Hentai" not in genres
