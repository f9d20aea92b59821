""""Did you mean" through the real discord.py tree (simcord): a title the bot is not sure of stores and
shows nothing; the member picks one of the candidates in a menu, and that redoes the command, with
every other option as given, for them only."""

import json
from types import SimpleNamespace

import pytest

from animerec.bot.app.interactions import PickTitle
from animerec.recsys.catalog.catalog import id_text
from botkit import ALICE, BOB, STEINS_GATE, rate, user_errors

pytestmark = pytest.mark.timeout(60)

WEAK = "Steins Gateway"  # near Steins;Gate, not near enough to act on


async def stored(env, member) -> dict[int, float]:
    return await env.bot.service.store.rating_map(member.id)


def menu(message) -> dict:
    [found] = [c for row in message.components for c in row["components"] if c["custom_id"].startswith("pick:")]
    return found


async def offered(env, result, command: str, **options) -> dict:
    """The menu a weak match answered with, checked: private, the question as the error's text, and
    a custom_id naming the member, the command and its other options."""
    message = result.response
    assert result.ephemeral and message.content.startswith(f"I don't know a title “{WEAK}”. Did you mean:")
    assert user_errors(env)[-1] == message.content
    found = menu(message)
    owner = int(found["custom_id"].split(":")[1])
    assert found["custom_id"] == PickTitle.custom_id_for(owner, command, "anime", options)
    labels = {int(o["value"]): o["label"] for o in found["options"]}
    assert labels[STEINS_GATE].startswith("Steins;Gate") and 1 < len(labels) <= 5
    return found


async def test_rate_offers_choices_stores_nothing_and_the_pick_rates_with_the_score_given(simcord_env, world):
    _, channel, alice = world
    asked = await rate(alice, channel, WEAK, "9")
    found = await offered(simcord_env, asked, "rate", score="9")
    assert await stored(simcord_env, alice) == {}
    picked = await alice.select(asked.response, [str(STEINS_GATE)], custom_id=found["custom_id"])
    assert await stored(simcord_env, alice) == {STEINS_GATE: 9.0}
    [answer] = picked.followups
    assert answer.ephemeral and answer.embeds[0].title == "Steins;Gate"
    # The menu is gone from the question, so the same pick cannot be made twice.
    assert picked.response.content == "You picked **Steins;Gate**." and not picked.response.components


async def test_unrate_offers_choices_and_removes_only_the_title_picked(simcord_env, world):
    _, channel, alice = world
    await rate(alice, channel, id_text(STEINS_GATE), "8")
    asked = await alice.slash(channel, "unrate", anime=WEAK)
    found = await offered(simcord_env, asked, "unrate")
    assert await stored(simcord_env, alice) == {STEINS_GATE: 8.0}
    picked = await alice.select(asked.response, [str(STEINS_GATE)], custom_id=found["custom_id"])
    assert picked.followups[0].content == "Removed your rating of Steins;Gate."
    assert await stored(simcord_env, alice) == {}


async def test_similar_offers_choices_and_the_pick_keeps_the_count_and_filters(simcord_env, world):
    _, channel, alice = world
    asked = await alice.slash(channel, "similar", anime=WEAK, count=3, genre="Sci-Fi")
    found = await offered(simcord_env, asked, "similar", count=3, genre="Sci-Fi")
    picked = await alice.select(asked.response, [str(STEINS_GATE)], custom_id=found["custom_id"])
    [answer] = picked.followups
    embed = answer.embeds[0]
    assert embed.title == "Similar to Steins;Gate"
    ranked = [f for f in embed.fields if f.name[:1].isdigit()]
    assert [f.name.split(".")[0] for f in ranked] == ["1", "2", "3"]
    assert all("Sci-Fi" in f.value for f in ranked)
    assert await stored(simcord_env, alice) == {}


async def test_score_offers_choices_and_the_pick_scores_the_title(simcord_env, world):
    _, channel, alice = world
    asked = await alice.slash(channel, "score", anime=WEAK)
    found = await offered(simcord_env, asked, "score")
    picked = await alice.select(asked.response, [str(STEINS_GATE)], custom_id=found["custom_id"])
    [answer] = picked.followups
    assert "Steins;Gate" in answer.embeds[0].title and answer.ephemeral
    assert await stored(simcord_env, alice) == {}


class Reply:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []

    async def send_message(self, content: str, *, ephemeral: bool = False) -> None:
        self.sent.append((content, ephemeral))


async def test_the_menu_rebuilt_from_its_custom_id_answers_only_its_member():
    # Ephemeral messages are seen by their member only, but a custom_id can be forged in a raw interaction.
    item = PickTitle(ALICE, "rate", "anime", {"score": "7"})
    rebuilt = await PickTitle.from_custom_id(None, item.item, item.template.fullmatch(item.custom_id))
    assert (rebuilt.owner_id, rebuilt.command, rebuilt.option, rebuilt.options) == (ALICE, "rate", "anime",
                                                                                    {"score": "7"})
    for member, allowed in ((ALICE, True), (BOB, False)):
        interaction = SimpleNamespace(user=SimpleNamespace(id=member), response=Reply())
        assert await rebuilt.interaction_check(interaction) is allowed
        assert interaction.response.sent == ([] if allowed else [("These buttons belong to someone else's command.", True)])


def test_a_menu_whose_options_do_not_fit_a_custom_id_is_not_offered():
    assert len(PickTitle.custom_id_for(2**63, "similar", "anime", {"count": 25, "type": "Special",
                                                                    "genre": "Slice of Life"})) <= 100
    too_long = PickTitle.custom_id_for(1, "similar", "anime", {"genre": "x" * 80})
    assert len(too_long) > 100 and json.loads(too_long.split(":", 4)[4]) == {"genre": "x" * 80}
