"""The console's "did you mean" (console/console.py): a title it is not sure of lists numbered candidates and
does nothing; a number on the next line redoes the command on that title, any other line drops the offer."""

import io
import re

import pytest

from animerec.bot.console.console import Console
from botkit import STEINS_GATE

pytestmark = pytest.mark.timeout(60)

OSHI_NO_KO = 52034


def lines(*typed: str):
    feed = iter([*(f"{line}\n" for line in typed), ""])

    async def read() -> str:
        return next(feed)
    return read


def offered(out: str) -> dict[str, int]:
    """The numbered choices of the last offer: label -> number."""
    last = out[out.rindex("Did you mean:"):]
    return {m[2]: int(m[1]) for m in re.finditer(r"^  (\d+)\. (.+)$", last, re.MULTILINE)}


def number_of(choices: dict[str, int], name: str) -> int:
    [number] = [n for label, n in choices.items() if label == name or label.startswith(f"{name} (")]
    return number


async def test_rate_offers_numbered_choices_and_the_number_rates_with_the_score_given(service):
    out = io.StringIO()
    console = Console(service, out)
    await console.run(lines("/rate hoshi no ko 8"))
    text = out.getvalue()
    assert "! “hoshi no ko” could mean more than one title. Did you mean:\n  1. [Oshi no Ko]\n  2. Hoshi no Koe" in text
    choices = offered(text)
    assert 2 <= len(choices) <= 5 and text.rstrip().endswith(f"Type 1-{len(choices)} to pick one "
                                                              "(nothing is done until you do).")
    assert await service.store.rating_map(0) == {}
    await console.run(lines(str(number_of(choices, "[Oshi no Ko]"))))
    assert "== [Oshi no Ko] ==" in out.getvalue()
    assert await service.store.rating_map(0) == {OSHI_NO_KO: 8.0}


async def test_any_other_line_drops_the_offer_and_is_answered_as_itself(service):
    out = io.StringIO()
    console = Console(service, out)
    await console.run(lines("/rate hoshi no ko 8", "/ratings", "1"))
    text = out.getvalue()
    assert "== Your ratings (0) ==\nNo ratings yet" in text
    assert "Unknown command /1. Type /help." in text  # the offer was dropped by /ratings
    assert await service.store.rating_map(0) == {}


@pytest.mark.parametrize("command, answer", [
    ("/unrate Steins Gateway", "Removed your rating of Steins;Gate."),
    ("/similar Steins Gateway count=3", "== Similar to Steins;Gate =="),
    ("/score Steins Gateway", "Steins;Gate"),
])
async def test_unrate_similar_and_score_offer_choices_and_the_number_redoes_them(service, command, answer):
    out = io.StringIO()
    console = Console(service, out)
    await console.run(lines(f"/rate {STEINS_GATE} 9", command))
    assert await service.store.rating_map(0) == {STEINS_GATE: 9.0}
    before = len(out.getvalue())
    await console.run(lines(str(number_of(offered(out.getvalue()), "Steins;Gate"))))
    after = out.getvalue()[before:]
    assert answer in after and "Did you mean" not in after
    assert await service.store.rating_map(0) == ({} if command.startswith("/unrate") else {STEINS_GATE: 9.0})
    if "count=3" in command:
        assert "\n3. " in after and "\n4. " not in after
