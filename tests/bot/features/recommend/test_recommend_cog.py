"""/recommend through the real discord.py tree (simcord): onboarding, then picks with "Not interested",
quick rating and "More"."""

import pytest

pytestmark = pytest.mark.timeout(60)


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
