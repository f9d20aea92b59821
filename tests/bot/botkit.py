"""Test data and helpers shared by the bot tests."""

import asyncio

from animerec.bot.service import UserError

# Well-known MAL ids of the bundled catalog.
STEINS_GATE, COWBOY_BEBOP, FMA_BROTHERHOOD, DEATH_NOTE, CODE_GEASS = 9253, 1, 5114, 1535, 1575
ALICE, BOB, CAROL = 101, 102, 103  # the service tests' members
RATED = {STEINS_GATE: 10.0, COWBOY_BEBOP: 9.0, DEATH_NOTE: -1.0}  # a member's ratings for a retrain to learn from


def mal_export(*entries: tuple[int, int, str], extra: str = "") -> bytes:
    """A MyAnimeList export with (anime_id, score, status) entries."""
    body = "".join(
        f"<anime><series_animedb_id>{a}</series_animedb_id><series_title><![CDATA[t{a}]]></series_title>"
        f"<my_score>{score}</my_score><my_status>{status}</my_status></anime>"
        for a, score, status in entries
    )
    return (f'<?xml version="1.0" encoding="UTF-8" ?><myanimelist><myinfo><user_name>me</user_name></myinfo>'
            f"{body}{extra}</myanimelist>").encode()


class Clock:
    """A clock moved by hand, for cooldowns: calling it gives the time, `now += 60` moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def user_errors(env) -> list[str]:
    """The messages of the errors the bot reported to members; fails on any other kind of error."""
    errors = [getattr(e, "original", e) for e in env.errors]
    assert all(isinstance(e, UserError) for e in errors), errors
    return [str(e) for e in errors]


async def rate(member, channel, title: str, score: str):
    """/rate as a simcord member, in a channel."""
    return await member.slash(channel, "rate", anime=title, score=score)


async def until(condition, timeout: float = 30.0) -> None:
    """Wait for condition() to hold, polling."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
