"""/recommend through the real discord.py tree (simcord): onboarding, then picks with "Not interested",
quick rating and "More"."""

from types import SimpleNamespace

import pytest

from animerec.bot import create_bot
from animerec.bot.features.recommend.cog import (
    Dismiss,
    More,
    OnboardingScore,
    OtherTitles,
    Query,
    QuickRate,
    RateOne,
    ShowPicks,
)
from botkit import ALICE, BOB, DEATH_NOTE, STEINS_GATE, user_errors

pytestmark = pytest.mark.timeout(60)


async def test_onboarding_then_picks_with_not_interested_rate_and_more(simcord_env, world):
    _, channel, alice = world
    store = simcord_env.bot.service.store
    onboarding = (await alice.slash(channel, "recommend")).response
    assert onboarding.embeds[0].title == "Let's get to know your taste"
    offered = onboarding_titles(onboarding, alice.id)
    assert len(offered) == 4
    for anime_id, score in zip(offered, ("10", "8", "watched")):
        await alice.select(onboarding, [score], custom_id=f"onboard:{alice.id}:{anime_id}")
    await alice.select(onboarding, ["skip"], custom_id=f"onboard:{alice.id}:{offered[3]}")
    assert await store.rating_map(alice.id) == {offered[0]: 10.0, offered[1]: 8.0, offered[2]: -1.0}

    message = (await alice.click(onboarding, label="Show my picks")).response
    embed = message.embeds[0]
    picks = [f for f in embed.fields if f.value.startswith("Match ")]
    assert embed.title == "Picks for you" and len(picks) == 10
    assert [f.name.split(". ")[0] for f in picks] == [str(i) for i in range(1, 11)]
    assert not {int(v) for v in option_values(message, "recommend:dismiss")} & set(offered[:3])

    dropped = int(option_values(message, "recommend:dismiss")[0])
    await alice.select(message, [str(dropped)], custom_id=custom_id(message, "recommend:dismiss"))
    assert await store.dismissals(alice.id) == {dropped}
    page = option_values(message, "recommend:dismiss")
    assert str(dropped) not in page and len(page) == 10

    to_rate = page[0]
    asked = await alice.select(message, [to_rate], custom_id=custom_id(message, "recommend:rate"))
    assert asked.ephemeral and asked.response.content.startswith("How would you rate")
    rated = await alice.select(asked.response, ["7"], custom_id=custom_id(asked.response, "quickrate:score"))
    assert rated.response.embeds[0].fields[0].value == "7/10"
    assert rated.response.content == ""  # the answer replaced the question
    assert (await store.rating_map(alice.id))[int(to_rate)] == 7.0

    await alice.click(message, custom_id=custom_id(message, "recommend:more"))
    assert message.embeds[0].title == "More picks for you"
    assert not set(option_values(message, "recommend:dismiss")) & set(page)


def component(message, prefix: str) -> dict:
    """The one component of a message whose custom_id starts with prefix (the rest says whose it is and
    what it pages)."""
    found = [c for row in message.components for c in row["components"] if c.get("custom_id", "").startswith(prefix)]
    assert len(found) == 1, (prefix, found)
    return found[0]


def custom_id(message, prefix: str) -> str:
    return component(message, prefix)["custom_id"]


def option_values(message, prefix: str) -> list[str]:
    """The option values of one select menu of a message (the anime ids it offers)."""
    return [o["value"] for o in component(message, prefix)["options"]]


def onboarding_titles(message, member_id: int) -> list[int]:
    return [int(c["custom_id"].rsplit(":", 1)[1]) for row in message.components for c in row["components"]
            if c.get("custom_id", "").startswith(f"onboard:{member_id}:")]


async def restart(env, settings, catalog):
    """A new bot process on the same data directory (simcord keeps the messages and members)."""
    old = env.bot
    restarted = create_bot(settings, catalog=catalog)
    await env.restart_bot(restarted)
    await old.close()
    return restarted


async def test_every_recommend_component_answers_after_a_restart_and_only_its_member(simcord_env, world, settings,
                                                                                      catalog):
    _, channel, alice = world
    onboarding = (await alice.slash(channel, "recommend")).response
    first = onboarding_titles(onboarding, alice.id)
    restarted = [await restart(simcord_env, settings, catalog)]
    try:
        # Onboarding: a score menu, "Other titles", then "Show my picks", each on a message from before a restart.
        await alice.select(onboarding, ["9"], custom_id=f"onboard:{alice.id}:{first[0]}")
        assert await simcord_env.bot.service.store.rating_map(alice.id) == {first[0]: 9.0}
        assert "You: 9/10" in onboarding.embeds[0].fields[0].value
        await alice.click(onboarding, label="Other titles")
        second = onboarding_titles(onboarding, alice.id)
        assert len(second) == 4 and not set(second) & set(first)
        restarted.append(await restart(simcord_env, settings, catalog))
        await alice.click(onboarding, label="Other titles")  # page 2 pages on from page 1 after a restart
        third = onboarding_titles(onboarding, alice.id)
        assert len(third) == 4 and not set(third) & set(first + second)
        for anime_id, score in zip(third, ("8", "7")):
            await alice.select(onboarding, [score], custom_id=f"onboard:{alice.id}:{anime_id}")

        await alice.click(onboarding, label="Show my picks")
        page0 = option_values(onboarding, "recommend:dismiss")
        assert onboarding.embeds[0].title == "Picks for you" and len(page0) == 10
        restarted.append(await restart(simcord_env, settings, catalog))

        await alice.click(onboarding, label="More")
        page1 = option_values(onboarding, "recommend:dismiss")
        assert onboarding.embeds[0].title == "More picks for you" and len(page1) == 10 and not set(page1) & set(page0)

        await alice.click(onboarding, label="More")
        page2 = option_values(onboarding, "recommend:dismiss")
        assert len(page2) == 10 and not set(page2) & set(page0 + page1)

        await alice.select(onboarding, [page2[0]], custom_id=custom_id(onboarding, "recommend:dismiss"))
        assert await simcord_env.bot.service.store.dismissals(alice.id) == {int(page2[0])}
        again = option_values(onboarding, "recommend:dismiss")
        assert page2[0] not in again and set(page2[1:]) <= set(again) and not set(again) & set(page0 + page1)

        asked = await alice.select(onboarding, [again[0]], custom_id=custom_id(onboarding, "recommend:rate"))
        assert asked.ephemeral and asked.response.content.startswith("How would you rate")
        restarted.append(await restart(simcord_env, settings, catalog))  # the private score menu, too
        rated = await alice.select(asked.response, ["6"], custom_id=custom_id(asked.response, "quickrate:score"))
        assert rated.response.embeds[0].fields[0].value == "6/10"
        assert (await simcord_env.bot.service.store.rating_map(alice.id))[int(again[0])] == 6.0
        assert len(user_errors(simcord_env)) == 0
    finally:
        for bot in restarted:
            await bot.close()  # the simcord_bot fixture closes only the first bot


class Reply:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []

    async def send_message(self, content: str, *, ephemeral: bool = False) -> None:
        self.sent.append((content, ephemeral))


@pytest.mark.parametrize("item", [
    Dismiss(ALICE, 1, Query("Action", "TV", 10, True)), More(ALICE, 0, Query(None, None, 5)), RateOne(ALICE),
    QuickRate(ALICE, 1), OnboardingScore(ALICE, 1), ShowPicks(ALICE, Query(None, None, 10)),
    OtherTitles(ALICE, 2, Query("Sci-Fi", None, 10)), More(ALICE, 1, Query("Slice of Life", "TV", 5, False, "2024")),
    Dismiss(ALICE, 0, Query(None, None, 10, True, "yes")),
])
async def test_a_component_rebuilt_from_its_custom_id_answers_only_its_member(item):
    # Ephemeral messages are seen by their member only, but a custom_id can be forged in a raw interaction.
    rebuilt = await type(item).from_custom_id(None, item.item, item.template.fullmatch(item.custom_id))
    assert rebuilt.custom_id == item.custom_id
    assert getattr(rebuilt, "query", None) == getattr(item, "query", None)
    for member, allowed in ((ALICE, True), (BOB, False)):
        interaction = SimpleNamespace(user=SimpleNamespace(id=member), response=Reply())
        assert await rebuilt.interaction_check(interaction) is allowed
        assert interaction.response.sent == ([] if allowed else [("These buttons belong to someone else's command.", True)])


def test_a_button_sent_before_the_new_option_still_reads_its_query():
    """custom_ids without the new part (sent before /recommend new existed) parse as before."""
    match = More.__discord_ui_compiled_template__.fullmatch(f"recommend:more:{ALICE}:1:5:1:Movie:Sci-Fi")
    assert match is not None and Query.parse(match) == Query("Sci-Fi", "Movie", 5, True, None)


async def test_a_genre_typed_with_noise_goes_into_the_buttons_as_the_catalog_spells_it(simcord_env, world):
    _, channel, alice = world
    await simcord_env.bot.service.store.upsert_ratings(alice.id, {STEINS_GATE: 9.0, DEATH_NOTE: 8.0})
    message = (await alice.slash(channel, "recommend", genre="comedy" + "!" * 90)).response
    ids = [c["custom_id"] for row in message.components for c in row["components"]]
    assert ids and all(len(i) <= 100 for i in ids)
    assert custom_id(message, "recommend:more").endswith(":Comedy")
