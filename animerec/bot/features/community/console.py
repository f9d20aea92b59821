"""The community commands in the console: the local members (/as NAME) are one server.

/taste writes its PNG under the data directory and prints the path; /compare NAME compares with a
local member; /score, /server top and /privacy answer as on Discord.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

from animerec.bot.app.render import embed_to_text
from animerec.bot.features.community import render as rc
from animerec.bot.features.community.pictures import taste_png
from animerec.bot.limits import DISPLAY_NAME, clip
from animerec.bot.service import Service, UserError

CODE_FENCE = re.compile(r"\n[ \t]*```[ \t]*(?=\n|$)")
CONSOLE_GUILD_ID = 0  # the local members' server (Discord ids are never 0)
HELP = """  /taste [name]                     your taste map as a PNG (or a local member's), with a summary
  /compare <name>                   how alike your taste is to a local member's
  /score <title>                    what the local members think of a title, and your predicted score
  /server top                       the local members' favourites, most watched and hidden gems
  /privacy visible|hidden           whether other local members can see your taste"""


class LocalMembers(Protocol):
    """What these commands need of the console: its service, the member speaking, and the local
    members' ids (by name) and the names given this run (by id)."""

    service: Service
    member_id: int
    member_name: str
    names: dict[int, str]

    def member_id_of(self, name: str) -> int: ...

    async def allow_adult(self) -> bool: ...


async def named_member(console: LocalMembers, name: str) -> tuple[int, str]:
    """A local member named by another (/taste, /compare, /watchparty): one that /as made or a command has
    seen, never a new one; (id, their name as they gave it)."""
    names = console.names
    name = " ".join(name.split())
    member_id = console.member_id_of(name)
    if member_id not in names and member_id not in await console.service.store.guild_member_ids(CONSOLE_GUILD_ID):
        shown = clip(name, DISPLAY_NAME)
        raise UserError(f"There is no local member called {shown} (/as {shown} makes one).")
    names[member_id] = name = names.get(member_id, name)  # as they named themselves
    return member_id, name


def commands(console: LocalMembers) -> dict[str, Callable[[str], Awaitable[str]]]:
    community = console.service.community
    names: dict[int, str] = console.names

    async def member(name: str) -> tuple[int, str]:
        return await named_member(console, name)

    async def taste(args: str) -> str:
        own = not args.strip() or console.member_id_of(args) == console.member_id
        member_id, name = (console.member_id, console.member_name) if own else await member(args)
        result = await community.taste(CONSOLE_GUILD_ID, member_id, viewer_id=console.member_id,
                                       name="you" if own else name, allow_adult=await console.allow_adult())
        png = await asyncio.to_thread(taste_png, result.picture)
        slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "member"
        path = console.service.data_dir / f"taste-{slug}.png"
        await asyncio.to_thread(path.write_bytes, png)
        return f"{embed_to_text(rc.taste_embed(result, name, own)).split(chr(10) + '(')[0]}\nPicture: {path}"

    async def compare(args: str) -> str:
        if not args.strip():
            raise UserError("Usage: /compare <name> (a local member: /as <name> creates one).")
        other_id, other = await member(args)
        result = await community.compare(CONSOLE_GUILD_ID, console.member_id, other_id, other_name=other,
                                         allow_adult=await console.allow_adult())
        return embed_to_text(rc.compare_embed(result, other))

    async def score(args: str) -> str:
        if not args.strip():
            raise UserError("Usage: /score <title>")
        anime = console.service.titles.resolve(args, allow_adult=await console.allow_adult())
        result = await community.score(CONSOLE_GUILD_ID, console.member_id, anime)
        shown = {m: names.get(m, "another local member") for m in result.tally.loved_by}
        # The histogram's code fences are Discord's: dropped as whole lines, so its rows keep one indent.
        return CODE_FENCE.sub("", embed_to_text(rc.score_embed(result, shown)))

    async def server(args: str) -> str:
        if args.strip().lower() != "top":
            raise UserError("Usage: /server top")
        top = await community.server_top(CONSOLE_GUILD_ID, console.member_id, allow_adult=await console.allow_adult())
        return embed_to_text(rc.server_top_embed(top))

    async def privacy(args: str) -> str:
        setting = args.strip().lower()
        if setting not in ("visible", "hidden"):
            raise UserError("Usage: /privacy visible|hidden")
        await community.set_privacy(console.member_id, setting == "hidden")
        return rc.PRIVACY_TEXT[setting == "hidden"].replace("**", "")

    return {"taste": taste, "compare": compare, "score": score, "server": server, "privacy": privacy}
