"""/seasonal through the real discord.py tree (simcord)."""

import pytest

from botkit import user_errors

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("options", [{"season": "xyz"}, {"season": "winter", "year": 1917}])
async def test_a_shared_seasonals_mistake_is_answered_to_the_member_alone(simcord_env, world, options):
    _, channel, alice = world
    result = await alice.slash(channel, "seasonal", share=True, **options)
    # The public placeholder goes; the reason comes in a message only the member sees.
    assert result.response is None
    [answer] = result.followups
    assert answer.ephemeral and answer.content == user_errors(simcord_env)[0]
    assert "season" in answer.content or "no shows" in answer.content
