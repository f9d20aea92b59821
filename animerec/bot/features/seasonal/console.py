"""/seasonal in the console: `/seasonal [season] [year] [count=]`, as on Discord."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from animerec.bot.app.render import embed_to_text
from animerec.bot.features.seasonal.render import seasonal_embed
from animerec.bot.service import Service, UserError

HELP = """  /seasonal [season] [year] [count=]  a season's shows ranked for you (default: the one airing now)"""
USAGE = "Usage: /seasonal [winter|spring|summer|fall] [year] [count=N]"


def commands(service: Service, member_id: Callable[[], int]) -> dict[str, Callable[[str], Awaitable[str]]]:
    async def seasonal(args: str) -> str:
        count = 10
        season = year = None
        for word in args.split():
            if (m := re.fullmatch(r"count=(\d+)", word, re.IGNORECASE)) is not None:
                count = int(m[1])
            elif re.fullmatch(r"\d{4}", word) and year is None:
                year = int(word)
            elif word.isalpha() and season is None:
                season = word
            else:
                raise UserError(USAGE)
        result = await service.seasonal.season(member_id(), season, year, count=count)
        return embed_to_text(seasonal_embed(result))

    return {"seasonal": seasonal}
