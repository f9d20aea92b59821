"""The similar service (features/similar/service.py): a title's nearest titles, filtered."""

import pytest

from animerec.bot.service import UserError
from botkit import STEINS_GATE

pytestmark = pytest.mark.timeout(60)


async def test_similar(service):
    result = await service.similar.find("Steins;Gate", count=5, type="TV")
    assert result.source.anime_id == STEINS_GATE
    assert len(result.neighbours) == 5
    assert all(n.anime.anime_id != STEINS_GATE and n.anime.type == "TV" for n in result.neighbours)
    sims = [n.similarity for n in result.neighbours]
    assert sims == sorted(sims, reverse=True) and all(-1 <= s <= 1 for s in sims)
    with pytest.raises(UserError, match="Did you mean"):
        await service.similar.find("Steins Gat Zeroo", count=5)
