"""The community commands in the console: local members are one server; /taste writes a PNG."""

import io
import re
from pathlib import Path

import pytest

from animerec.bot.console.console import Console

pytestmark = pytest.mark.timeout(120)


async def test_local_members_see_their_taste_compare_and_score(service):
    service.community.tally_seconds = 0
    console = Console(service, io.StringIO())
    say = console.answer
    for title, score in (("Death Note", 9), ("Steins;Gate", 10), ("Monster", 8), ("Clannad", 4)):
        await say(console.rate, f"{title} {score}")
    await say(console.as_, "Mio")
    for title, score in (("Death Note", 10), ("Steins;Gate", 9), ("K-On!", 9), ("Clannad", 9)):
        await say(console.rate, f"{title} {score}")

    taste = await say(console.commands["taste"], "")
    path = Path(taste.rsplit("Picture: ", 1)[1])
    assert path == service.data_dir / "taste-mio.png" and path.read_bytes().startswith(b"\x89PNG")
    assert taste.startswith("== Your taste ==") and "top picks:" in taste

    compare = await say(console.commands["compare"], "you")
    assert compare.startswith("== You and you: ") and "Agreement on the 3 titles you both scored" in compare
    assert "Shared favourites\n  Death Note\n  Steins;Gate" in compare
    assert "Biggest disagreement\n  Clannad: you 9/10, you 4/10" in compare

    score = await say(console.commands["score"], "Death Note")
    assert "2 members here rated or watched it; 2 scored it, mean 9.5." in score
    assert "Loved it (9+)\n  Mio, you" in score and "10 " in score
    rows = [line for line in score.splitlines() if re.match(r"\s*(10|[1-9]) █", line)]
    assert len(rows) == 2 and "```" not in score  # 10 and 9: the score column lines up
    assert len({re.match(r"\s*\d+", line).end() for line in rows}) == 1
    assert (await say(console.commands["server"], "top")).startswith("== This server's favourites ==")

    await say(console.commands["privacy"], "hidden")
    await say(console.as_, "you")
    refused = await say(console.commands["compare"], "Mio")
    assert refused == "! Mio keeps their taste private, so nobody can compare with them."
    score = await say(console.commands["score"], "Death Note")
    # Two raters: Mio's 10 would follow from the figures and "you"'s own 9, so she is left out of them.
    assert "1 member here rated or watched it; 1 scored it, mean 9.0." in score
    assert "Loved it (9+)\n  you\n" in score and "more" not in score
    assert (await say(console.commands["server"], "")) == "! Usage: /server top"


async def test_score_names_visible_local_members_as_discord_does_in_a_later_run(service):
    service.community.tally_seconds = 0
    earlier = Console(service, io.StringIO())
    await earlier.answer(earlier.as_, "Mio")
    await earlier.answer(earlier.rate, "Death Note 10")
    later = Console(service, io.StringIO())  # a new run: nobody has used /as in it
    await later.answer(later.rate, "Death Note 9")
    score = await later.answer(later.commands["score"], "Death Note")
    assert "Loved it (9+)\n  Mio, you" in score and "another local member" not in score


async def test_taste_and_compare_of_a_name_no_local_member_has_say_so(service):
    console = Console(service, io.StringIO())
    await console.answer(console.rate, "Death Note 9")
    for command in ("taste", "compare"):
        answer = await console.answer(console.commands[command], "nobody")
        assert answer == "! There is no local member called nobody (/as nobody makes one)."
    assert "nobody" not in console.names.values()
    await console.answer(console.as_, "Mio")  # a member now, without ratings
    await console.answer(console.as_, "you")
    assert (await console.answer(console.commands["taste"], "mio")) == \
        "! Mio hasn't rated anything yet, so there is no taste to show."
