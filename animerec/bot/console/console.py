"""`python -m animerec.bot --console`: the bot's commands in a terminal, as one local member.

Same store, same service, same embeds (printed as text). Reads lines until EOF, so commands can
be piped in as well as typed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TextIO

import discord
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from animerec.bot.app import render
from animerec.bot.app.client import start_schedule
from animerec.bot.features.community import console as console_community
from animerec.bot.features.rating.malxml import MAX_BYTES
from animerec.bot.features.rating.service import FORGET_QUESTION, parse_score
from animerec.bot.features.seasonal import console as console_seasonal
from animerec.bot.limits import DISPLAY_NAME
from animerec.bot.service import SOMETHING_WENT_WRONG, Service, TitleChoice, UserError, member_message
from animerec.bot.settings import Settings
from animerec.bot.store import TrainingStatus
from animerec.recsys.catalog.catalog import id_text
from animerec.recsys.data import DATA_CREDIT

log = logging.getLogger(__name__)
# Never a Discord snowflake, so the console member's ratings cannot collide with a real member's.
CONSOLE_USER_ID = 0
HELP = """Commands (options as key=value after the title; a value may have spaces or quotes):
  /rate <title> <1-10|watched>      rate a title (re-rating replaces)
  /unrate <title>                   remove a rating
  /ratings                          list your ratings
  /import <path to MAL export>      import a MyAnimeList XML export
  /recommend [new | new=<year>] [genre=] [type=] [count=] [discover=yes]
  /similar <title> [genre=] [type=] [count=]
  /watchparty <name> <name> ... [strategy=average|least_misery|fair] [genre=] [type=] [count=]
                                    one list for you and the named local members
  /as <name>                        become another local member (created on first use; "you" is the default)
  /forget                           delete all your ratings (asks to confirm)
  /vote <pick>                      vote for a pick of the last watch party (a new vote moves yours)
  /admin retrain                    retrain now on the dataset plus every local rating
  /admin adult-content hide=yes|no  adult titles: hidden (the default), or shown here as in an
                                    age-restricted channel
  /stats [details]                  how good the picks are, in words (details: the figures)
""" + console_community.HELP + "\n" + console_seasonal.HELP + """
  /help, /quit

""" + DATA_CREDIT


RECOMMEND_OPTIONS = ("genre", "type", "count", "discover", "new")
SIMILAR_OPTIONS = ("genre", "type", "count")
WATCHPARTY_OPTIONS = ("strategy", "genre", "type", "count")
CONSOLE_USER_NAME = "you"


def local_name(text: str) -> str:
    """A local member's name as typed, spaces collapsed; UserError for one longer than Discord allows."""
    name = " ".join(text.split())
    if len(name) > DISPLAY_NAME:
        raise UserError(f"A name is at most {DISPLAY_NAME} characters; this one has {len(name)}.")
    return name


def console_member_id(name: str) -> int:
    """A local member's id: 0 for "you", else a stable negative number from the name (Discord ids are
    positive, so local members never collide with real ones, and their ratings persist across runs)."""
    key = " ".join(name.casefold().split())
    if key == CONSOLE_USER_NAME:
        return CONSOLE_USER_ID
    return -int.from_bytes(hashlib.sha256(key.encode()).digest()[:7], "big") - 1


def split_options(text: str, keys: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Free text and its options, as people type them: "Steins;Gate count=5" -> ("Steins;Gate",
    {"count": "5"}). A value runs to the next known key ("genre=Slice of Life count=5"), quotes around
    a value or the text are dropped, and only the given keys are options, so a title such as
    "Loups=Garous" stays whole."""
    pattern = re.compile(r"(?:^|\s)(" + "|".join(map(re.escape, keys)) + r")=", re.IGNORECASE)
    marks = list(pattern.finditer(text))
    head = text[: marks[0].start()] if marks else text
    options: dict[str, str] = {}
    for mark, following in zip(marks, [*marks[1:], None]):
        key = mark.group(1).lower()
        if key in options:
            raise UserError(f"{key}= is given twice.")
        options[key] = _unquote(text[mark.end() : following.start() if following else len(text)])
        if not options[key]:
            raise UserError(f"{key}= needs a value, e.g. {key}={_EXAMPLES.get(key, '...')}.")
    return _unquote(head), options


_EXAMPLES = {"genre": '"Slice of Life"', "type": "Movie", "count": "5", "discover": "yes"}


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


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


class LocalNames(dict[int, str]):
    """Local members' names by id, kept in the data directory. A local id is a hash of the name, so
    without this a member named in an earlier run (or not yet this run) would show as nobody in
    particular, where Discord shows every visible member's name."""

    FILE = "console-members.json"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / self.FILE
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        super().__init__({int(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {})
        self[CONSOLE_USER_ID] = CONSOLE_USER_NAME

    def __setitem__(self, member_id: int, name: str) -> None:
        if self.get(member_id) == name:
            return
        super().__setitem__(member_id, name)
        try:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({str(k): v for k, v in self.items()}), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:  # a read-only data directory: the names hold for this run
            pass


class Console:
    def __init__(self, service: Service, out: TextIO) -> None:
        self.service = service
        self.out = out
        self.member_name, self.member_id = CONSOLE_USER_NAME, CONSOLE_USER_ID
        self.commands: dict[str, Callable[[str], Awaitable[str]]] = {
            "rate": self.rate, "unrate": self.unrate, "ratings": self.ratings, "import": self.import_,
            "recommend": self.recommend, "similar": self.similar, "watchparty": self.watchparty,
            "as": self.as_, "stats": self.stats, "admin": self.admin, "vote": self.vote,
        }
        self.party: tuple[int, discord.Embed] | None = None  # the last watch party's (vote id, embed)
        self._allow_adult: bool | None = None  # the local server's /admin adult-content, read once
        self.names: dict[int, str] = LocalNames(service.data_dir)
        self.commands.update(console_community.commands(self))
        self.commands.update(console_seasonal.commands(service, lambda: self.member_id))
        # The command that met a title it was not sure of, its arguments and the titles offered: a number on
        # the next line redoes it on that title; any other line drops it.
        self.choice: tuple[Callable[[str], Awaitable[str]], str, TitleChoice] | None = None

    def member_id_of(self, name: str) -> int:
        """The id of the local member called name (the community commands' LocalMembers)."""
        return console_member_id(name)

    async def allow_adult(self) -> bool:
        """The console is a channel of the local server (CONSOLE_GUILD_ID) that hides adult titles until
        /admin adult-content hide=no makes it count as age-restricted (the store keeps the choice)."""
        if self._allow_adult is None:
            self._allow_adult = not await self.service.store.hide_adult(console_community.CONSOLE_GUILD_ID,
                                                                        default=True)
        return self._allow_adult

    async def admin(self, args: str) -> str:
        command, options = split_options(args, ("hide",))
        command = command.lower()
        if command == "adult-content" and options.get("hide", "").lower() in ("yes", "no"):
            hide = _flag(options, "hide")
            await self.service.titles.set_hide_adult(console_community.CONSOLE_GUILD_ID, hide)
            self._allow_adult = not hide
            return ("Adult titles now appear nowhere in this console." if hide else
                    "Adult titles now appear in this console (it counts as an age-restricted channel).")
        if command != "retrain" or options:
            raise UserError("Usage: /admin retrain | /admin adult-content hide=yes|no")
        task = await self.service.models.admin_retrain()  # refused before saying anything is under way
        self.write(f"Retraining on the dataset and every local rating ({FIRST_TRAINING_ESTIMATE}); "
                   "the current model answers until the new one is in.")
        record = await task
        if record.status != TrainingStatus.READY:
            raise UserError(f"The retrain failed ({record.error}); still serving {self.service.models.model_version}.")
        return f"Now serving model {record.version}."

    async def as_(self, args: str) -> str:
        name = local_name(args)
        if not name:
            raise UserError(f"Usage: /as <name>. You are {self.member_name}.")
        self.member_name, self.member_id = name, console_member_id(name)
        self.names[self.member_id] = name
        count = len(await self.service.store.rating_map(self.member_id))
        return f"You are now {name} ({count} rating{'' if count == 1 else 's'} stored)."

    async def watchparty(self, args: str) -> str:
        names_text, options = split_options(args, WATCHPARTY_OPTIONS)
        named = [local_name(n) for n in names_text.replace(",", " ").split() if n]
        if not named:
            raise UserError("Usage: /watchparty <name> <name> ... [strategy=average|least_misery|fair] "
                            "[genre=] [type=] [count=]. You take part too.")
        # Members /as made or a command has seen: a typo names nobody, not a new member with no ratings.
        names = {self.member_id: self.member_name,
                 **dict([await console_community.named_member(self, n) for n in named])}
        request = self.service.parties.request(list(names), strategy=options.get("strategy", "average"),
                                               genre=options.get("genre"), type=options.get("type"),
                                               count=_count(options, 5), allow_adult=await self.allow_adult(),
                                               asker=self.member_id)
        party = await self.service.parties.plan(request)
        embed = render.watchparty_embed(party, names)
        if party.picks:  # as Discord keys a party's votes by its message, the console by a stamp of its own
            vote_id = -time.time_ns()  # negative: never a Discord message id
            await self.service.parties.open_vote(vote_id, party.voters, [p.anime.anime_id for p in party.picks])
            self.party = (vote_id, embed)
        return render.embed_to_text(embed)

    async def vote(self, args: str) -> str:
        if self.party is None:
            raise UserError("Plan a watch party first (/watchparty <name> ...), then /vote <pick>.")
        vote_id, embed = self.party
        picks = len(embed.fields)
        rank = args.strip()
        if not (rank.isascii() and rank.isdigit() and 1 <= int(rank) <= picks):
            raise UserError(f"Vote for a pick from 1 to {picks}.")
        tally = await self.service.parties.vote(vote_id, self.member_id, int(rank))
        return render.embed_to_text(render.with_votes(embed, tally))

    async def rate(self, args: str) -> str:
        title, _, score = args.strip().rpartition(" ")
        if not args.strip():
            raise UserError("Usage: /rate <title> <1-10|watched>")
        adult = await self.allow_adult()
        # What all the words name, and what those before the last one do: read with the last as a score or not.
        catalog = self.service.catalog
        whole = catalog.resolve_choice(args, allow_adult=adult)
        part = catalog.resolve_choice(title, allow_adult=adult) if title.strip() else None
        try:
            parse_score(score)
        except UserError as bad_score:  # no score: the whole text may be the title ("/rate Death Note", "Mob Psycho 100")
            if whole is not None and (part is None or part.anime.anime_id == whole.anime.anime_id):
                raise UserError(f"What score do you give {whole.anime.name}? /rate {whole.anime.name} <1-10|watched>"
                                ) from None
            if part is not None:
                # "Steins;Gate ten": a score typed wrong after a title, whatever other title all the words name.
                meant = f" If you meant {whole.anime.name}: /rate {args.strip()} <1-10|watched>." if whole else ""
                raise UserError(f"{bad_score}{meant}") from None
            if not title.strip():
                self.service.titles.resolve(args, allow_adult=adult)  # one word, no title: what the search says
            raise
        else:
            # "One Punch Man 3" names a title as well as One Punch Man at 3, "Attack on Titan 2" a season as well
            # as Attack on Titan at 2: which one, the member says (on Discord the score is an option of its own).
            # Not when the words before the score are a title's own name and all the words only another
            # franchise's synonym: "Monster 8" is Monster at 8 ("Monster #8" is a synonym of Kaiju No. 8).
            own_name = part is not None and whole is not None and catalog.is_official_name(title, part.anime) \
                and not catalog.is_official_name(args, whole.anime) \
                and self.service.titles.franchises.franchise_of(part.anime.anime_id) \
                != self.service.titles.franchises.franchise_of(whole.anime.anime_id)
            if whole is not None and not own_name and (part is None or whole.anime.anime_id != part.anime.anime_id):
                raise UserError(f"“{args.strip()}” names {whole.anime.name}. To score it: /rate {args.strip()} "
                                f"<1-10|watched>; to give {title.strip()} {score}/10: /rate {title.strip()} {score}/10.")
        result = await self.service.ratings.rate(self.member_id, title, score, allow_adult=adult)
        return render.embed_to_text(render.rate_embed(result))

    async def unrate(self, args: str) -> str:
        anime = await self.service.ratings.unrate(self.member_id, args, allow_adult=await self.allow_adult())
        return f"Removed your rating of {anime.name}."

    async def ratings(self, args: str) -> str:
        ratings = await self.service.ratings.of(self.member_id, allow_adult=await self.allow_adult())
        pages = range(render.ratings_pages(ratings))
        return "\n".join(render.embed_to_text(render.ratings_embed(ratings, "Your ratings", page)) for page in pages)

    async def import_(self, args: str) -> str:
        path = Path(_unquote(args)).expanduser()
        if not args.strip():
            raise UserError("Usage: /import <path to your MyAnimeList export (.xml)>")
        if path.is_dir():
            raise UserError(f"{path} is a folder: give the export file inside it.")
        try:
            data = await asyncio.to_thread(_read_head, path)
        except OSError as exc:
            raise UserError(f"Cannot read {str(path)!r}: {exc.strerror}.") from None
        return render.embed_to_text(render.import_embed(await self.service.ratings.import_mal_xml(self.member_id, data)))

    async def recommend(self, args: str) -> str:
        extra, options = split_options(args, RECOMMEND_OPTIONS)
        if extra.strip().casefold() == "new":  # "/recommend new": the last 12 months
            extra, options["new"] = "", "yes"
        if extra:
            raise UserError(f"I don't understand “{extra[:40]}”. Options: "
                            + " ".join(f"{k}=" for k in RECOMMEND_OPTIONS) + ' (e.g. genre="Slice of Life" count=5).')
        recs = await self.service.picks.recommend(self.member_id, genre=options.get("genre"), type=options.get("type"),
                                                  count=_count(options, 10), discover=_flag(options, "discover"),
                                                  new=options.get("new"), allow_adult=await self.allow_adult())
        if recs.onboarding and not recs.picks and not recs.filtered:
            return render.embed_to_text(render.onboarding_embed(recs.onboarding)) + "\nRate them with /rate <title> <score>."
        return render.embed_to_text(render.recommend_embed(recs))

    async def similar(self, args: str) -> str:
        title, options = split_options(args, SIMILAR_OPTIONS)
        result = await self.service.similar.find(title, count=_count(options, 10), genre=options.get("genre"),
                                                 type=options.get("type"), member_id=self.member_id,
                                                 allow_adult=await self.allow_adult())
        return render.embed_to_text(render.similar_embed(result))

    async def stats(self, args: str) -> str:
        stats = await self.service.stats()
        if args.strip().lower() not in ("", "details"):
            raise UserError("Usage: /stats [details]")
        text = render.embed_to_text(render.stats_embed(stats))
        return text + ("\n" + render.embed_to_text(render.stats_figures_embed(stats)) if args.strip() else "")

    async def run(self, lines: Callable[[], Awaitable[str]]) -> None:
        """Answer each line read until EOF or /quit."""
        while line := await lines():
            choice, self.choice = self.choice, None
            if choice is not None and (picked := self.picked(choice, line)) is not None:
                self.write(await self.answer(choice[0], picked))
                continue
            name, _, args = line.strip().partition(" ")
            name = name.lstrip("/").lower()
            if name in ("quit", "exit"):
                return
            if name == "forget":
                self.write(FORGET_QUESTION.replace("Sure?", "Type yes to confirm:"))
                if (await lines()).strip().lower() == "yes":
                    forgotten = await self.service.ratings.forget(self.member_id)
                    self.write(self.service.ratings.forgotten_text(forgotten))
                else:
                    self.write("Nothing deleted.")
            elif name in self.commands:
                self.write(await self.answer(self.commands[name], args))
            elif name:
                self.write(HELP if name == "help" else f"Unknown command /{name}. Type /help.")

    async def answer(self, command: Callable[[str], Awaitable[str]], args: str) -> str:
        try:
            await self.service.community.seen(console_community.CONSOLE_GUILD_ID, self.member_id)
            return await command(args)
        except TitleChoice as exc:
            self.choice = command, args, exc
            labels = self.service.catalog.labels(exc.candidates)
            pick = "Type 1 to pick it" if len(labels) == 1 else f"Type 1-{len(labels)} to pick one"
            return "\n".join([f"! {exc.heading} Did you mean:", *(f"  {i}. {label}" for i, label in enumerate(labels, 1)),
                              f"{pick} (nothing is done until you do)."])
        except Exception as exc:
            message = member_message(exc)
            if message is None:
                log.exception("console command failed: %s", args[:100])
            return f"! {message or SOMETHING_WENT_WRONG}"

    @staticmethod
    def picked(choice: tuple[Callable[[str], Awaitable[str]], str, TitleChoice], line: str) -> str | None:
        """The command's arguments with the title given replaced by the one picked (id_text), or None
        when the line picks none."""
        _, args, offer = choice
        typed = line.strip()
        if not (typed.isascii() and typed.isdigit() and 1 <= int(typed) <= len(offer.candidates)):
            return None
        at = args.find(offer.text)
        if at < 0:
            return None
        anime_id = offer.candidates[int(typed) - 1].anime_id
        return args[:at] + id_text(anime_id) + args[at + len(offer.text) :]

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)


# What a training took on 2 cores (README, first start): said up front, as a range, since a busy machine
# takes several times as long as a quiet one.
FIRST_TRAINING_ESTIMATE = "13 s on a quiet machine, a few minutes on a busy one"
PROMPT = "> "
HISTORY_FILE = "console_history"  # in the data directory: the terminal console's line history
TITLE_COMMANDS = {"rate", "unrate", "similar"}
COMPLETIONS = 10


async def run_console(service: Service, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout,
                      settings: Settings | None = None) -> None:
    """settings: run the retrain and catalog schedules meanwhile, as the Discord bot does."""
    scheduler = start_schedule(service, settings) if settings is not None else None
    try:
        await _run_console(service, stdin, out)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


async def _run_console(service: Service, stdin: TextIO, out: TextIO) -> None:
    console = Console(service, out)
    interactive = stdin.isatty()
    console.write("animerec console: you are one local member. Type /help for commands.")
    if service.models.model_version is None:
        console.write(f"No model yet: training the first one now ({FIRST_TRAINING_ESTIMATE}); "
                      + ("/rate and /import work meanwhile." if interactive else "your commands run when it is ready."))
        if not interactive:  # piped commands would all meet "warming up": wait for the model first
            await _announce_model(console, service)
    if not interactive:
        await console.run(lambda: asyncio.to_thread(stdin.readline))
        return
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.patch_stdout import patch_stdout

    session: PromptSession[str] = PromptSession(history=FileHistory(str(service.data_dir / HISTORY_FILE)),
                            completer=TitleCompleter(service, list(console.commands) + ["help", "forget", "quit"]),
                            complete_while_typing=True)

    async def read_line() -> str:
        try:
            return await session.prompt_async(PROMPT) + "\n"
        except KeyboardInterrupt:  # Ctrl-C drops the line, as in a shell
            return "\n"
        except EOFError:  # Ctrl-D
            return ""

    with patch_stdout(raw=True):  # lines printed meanwhile (the model is ready) go above the prompt
        console.out = sys.stdout  # patched: the announcement and the answers draw above the prompt
        if service.models.model_version is None:
            asyncio.create_task(_announce_model(console, service))
        await console.run(read_line)


async def _announce_model(console: Console, service: Service) -> None:
    started = asyncio.get_running_loop().time()
    if await service.models.wait_for_model():
        console.write(f"Model ready after {asyncio.get_running_loop().time() - started:.0f} s.")
    else:
        console.write("! The first training failed; /stats says why and when I try again.")


class TitleCompleter(Completer):
    """Tab completion in a terminal: command names, then titles after /rate, /unrate and /similar
    (the catalog's own search, so English names and abbreviations complete too)."""

    def __init__(self, service: Service, commands: list[str]) -> None:
        self.service = service
        self.commands = sorted(set(commands))

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        command, space, typed = text.partition(" ")
        if not space:
            for name in self.commands:
                if ("/" + name).startswith(command if command.startswith("/") else "/" + command):
                    yield Completion("/" + name + " ", start_position=-len(command))
            return
        if command.lstrip("/").lower() not in TITLE_COMMANDS or not typed.strip() or "=" in typed:
            return
        found = self.service.titles.search(typed, allow_adult=False, limit=COMPLETIONS)
        for anime, label in zip(found, self.service.catalog.labels(found)):
            yield Completion(anime.name, start_position=-len(typed), display=label)
