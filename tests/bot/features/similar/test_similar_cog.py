"""/similar through the real discord.py tree (simcord)."""

import pytest

from botkit import STEINS_GATE

pytestmark = pytest.mark.timeout(60)


async def test_similar_lists_neighbours(world):
    _, channel, alice = world
    result = await alice.slash(channel, "similar", anime=str(STEINS_GATE), count=5, type="TV")
    embed = result.response.embeds[0]
    *neighbours, series = embed.fields
    assert result.ephemeral and embed.title == "Similar to Steins;Gate" and len(neighbours) == 5
    assert all(f.value.startswith("Similarity ") and " · TV" in f.value for f in neighbours)
    assert not any("Steins;Gate" in f.name for f in neighbours)  # its own series is grouped apart
    assert series.name == "Same series" and "Steins;Gate 0" in series.value
