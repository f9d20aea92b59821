"""`python -m bot --console`: the bot's commands in a terminal, as one local member.

Same store, same service, same embeds (printed as text). Reads lines until EOF, so commands can
be piped in as well as typed.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot import render
from bot.malxml import MAX_BYTES
from bot.service import Service, UserError

log = logging.getLogger(__name__)
# Never a Discord snowflake, so the console member's ratings cannot collide with a real member's.
CONSOLE_USER_ID = 0
HELP = """Commands (options as key=value after the title):
  /rate <title> <1-10|watched>      rate a title (re-rating replaces)
  /unrate <title>                   remove a rating
  /ratings                          list your ratings
  /import <path to MAL export>      import a MyAnimeList XML export
  /recommend [genre=] [type=] [count=] [discover=yes]
  /similar <title> [genre=] [type=] [count=]
  /forget                           delete all your ratings (asks to confirm)
  /stats                            model and community figures
  /help, /quit"""


def split_options(text: str) -> tuple[str, dict[str, str]]:
    """"Steins;Gate count=5" -> ("Steins;Gate", {"count": "5"}): trailing key=value words are options."""
    words = text.split()
    options: dict[str, str] = {}
    while words and "=" in words[-1]:
        key, _, value = words.pop().partition("=")
        options[key.lower()] = value
    return " ".join(words), options


def _flag(options: dict[str, str], key: str) -> bool:
    value = options.get(key, "no").lower()
    if value not in ("yes", "no", "true", "false", "1", "0"):
        raise UserError(f"{key} must be yes or no.")
    return value in ("yes", "true", "1")


def _count(options: dict[str, str], default: int) -> int:
    value = options.get("count", str(default))
    if not (value.isascii() and value.isdigit()):
        raise UserError("count must be a whole number.")
    return int(value)


def _read_head(path: Path) -> bytes:
    """At most one byte past the import limit, which the parser then refuses (a path may be /dev/zero)."""
    with open(path, "rb") as f:
        return f.read(MAX_BYTES + 1)


class Console:
    def __init__(self, service: Service, out: TextIO) -> None:
        self.service = service
        self.out = out
        self.commands: dict[str, Callable[[str], Awaitable[str]]] = {
            "rate": self.rate, "unrate": self.unrate, "ratings": self.ratings, "import": self.import_,
            "recommend": self.recommend, "similar": self.similar, "stats": self.stats,
        }

    async def rate(self, args: str) -> str:
        title, _, score = args.rpartition(" ")
        if not title.strip():
            raise UserError("Usage: /rate <title> <1-10|watched>")
        return render.embed_to_text(render.rate_embed(await self.service.rate(CONSOLE_USER_ID, title, score)))

    async def unrate(self, args: str) -> str:
        anime = await self.service.unrate(CONSOLE_USER_ID, args)
        return f"Removed your rating of {anime.name}."

    async def ratings(self, args: str) -> str:
        ratings = await self.service.ratings(CONSOLE_USER_ID)
        pages = range(render.ratings_pages(ratings))
        return "\n".join(render.embed_to_text(render.ratings_embed(ratings, "Your ratings", page)) for page in pages)

    async def import_(self, args: str) -> str:
        try:
            data = await asyncio.to_thread(_read_head, Path(args.strip()))
        except OSError as exc:
            raise UserError(f"Cannot read {args.strip()!r}: {exc.strerror}.") from None
        return render.embed_to_text(render.import_embed(await self.service.import_mal_xml(CONSOLE_USER_ID, data)))

    async def recommend(self, args: str) -> str:
        _, options = split_options(args)
        recs = await self.service.recommend(CONSOLE_USER_ID, genre=options.get("genre"), type=options.get("type"),
                                            count=_count(options, 10), discover=_flag(options, "discover"))
        if recs.onboarding and not recs.picks:
            return render.embed_to_text(render.onboarding_embed(recs.onboarding)) + "\nRate them with /rate <title> <score>."
        return render.embed_to_text(render.recommend_embed(recs))

    async def similar(self, args: str) -> str:
        title, options = split_options(args)
        result = await self.service.similar(title, count=_count(options, 10), genre=options.get("genre"),
                                            type=options.get("type"))
        return render.embed_to_text(render.similar_embed(result))

    async def stats(self, args: str) -> str:
        return render.embed_to_text(render.stats_embed(await self.service.stats()))

    async def run(self, lines: Callable[[], Awaitable[str]]) -> None:
        """Answer each line read until EOF or /quit."""
        while line := await lines():
            name, _, args = line.strip().partition(" ")
            name = name.lstrip("/").lower()
            if name in ("quit", "exit"):
                return
            if name == "forget":
                self.write("This deletes every rating you stored. Type yes to confirm:")
                if (await lines()).strip().lower() == "yes":
                    forgotten = await self.service.forget(CONSOLE_USER_ID)
                    self.write(f"Deleted {forgotten.ratings} rating(s) and everything else stored about you.")
                    if forgotten.in_model:
                        self.write("The model being served learnt from them; the next retrain drops them.")
                else:
                    self.write("Nothing deleted.")
            elif name in self.commands:
                self.write(await self.answer(self.commands[name], args))
            elif name:
                self.write(HELP if name == "help" else f"Unknown command /{name}. Type /help.")

    async def answer(self, command: Callable[[str], Awaitable[str]], args: str) -> str:
        try:
            return await command(args)
        except UserError as exc:
            return f"! {exc}"
        except Exception:
            log.exception("console command failed: %s", args[:100])
            return "! Something went wrong on my side (logged). Please try again."

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)


async def run_console(service: Service, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    console = Console(service, out)
    interactive = stdin.isatty()
    console.write("animerec console: you are one local member. Type /help for commands.")

    async def read_line() -> str:
        if interactive:
            print("> ", end="", file=out, flush=True)
        return await asyncio.to_thread(stdin.readline)

    await console.run(read_line)
