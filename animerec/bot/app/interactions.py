"""What every extension shares: the service behind an interaction, the adult-content audience, title
autocomplete, and views that only their owner can use (their errors go through errors.report_error)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

import discord
from discord import app_commands

from animerec.bot import limits
from animerec.bot.app.errors import PUBLIC_DEFER, report_error
from animerec.bot.service import Service, TitleChoice, UserError
from animerec.recsys.catalog.catalog import ADULT_GENRE, TYPES, id_text

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot

VIEW_TIMEOUT = 15 * 60
# Discord drops an interaction whose first answer has not reached it INTERACTION_LIFETIME seconds after
# the member sent it. A reply ready ANSWER_AT_ONCE seconds after that is sent as the first answer itself:
# one HTTP round trip. A slower one sends a "thinking…" placeholder first (a defer), with time to spare,
# and then follows it up.
INTERACTION_LIFETIME = 3.0
ANSWER_AT_ONCE = 1.0
SCORE_CHOICES = [*(str(n) for n in range(10, 0, -1)), "watched"]
Awaited = TypeVar("Awaited")


def service_of(interaction: discord.Interaction[AnimeRecBot]) -> Service:
    return interaction.client.service  # AnimeRecBot is the only client these extensions are loaded into


async def guild_member(guild: discord.Guild, member_id: int) -> discord.Member | None:
    """A member of this server now, or None: the cache alone is not enough without the members intent."""
    member = guild.get_member(member_id)
    if member is None:
        try:
            member = await guild.fetch_member(member_id)
        except discord.NotFound:
            return None
    return member


async def defer_publicly(interaction: discord.Interaction[AnimeRecBot]) -> None:
    """A public "thinking…" placeholder; an error after it still reaches only the caller (report_error)."""
    interaction.extras[PUBLIC_DEFER] = True
    await interaction.response.defer()


async def defer_for(interaction: discord.Interaction[AnimeRecBot], share: bool) -> None:
    """The placeholder of a command with a ``share`` option: public when shared (defer_publicly, so that an
    error still reaches only the caller), else private."""
    if share:
        await defer_publicly(interaction)
    else:
        await interaction.response.defer(ephemeral=True)


class Reply(TypedDict, total=False):
    """What a command answers with: the keyword arguments of a message."""

    content: str
    embed: discord.Embed
    view: discord.ui.View


def seconds_to_answer_at_once(interaction: discord.Interaction) -> float:
    """How much longer a reply may take and still go out as the first answer: until ANSWER_AT_ONCE after
    the member sent the interaction (its snowflake's time), so that time spent queued in this process
    counts. A creation time in the future or older than Discord keeps an interaction means the clocks
    disagree: then ANSWER_AT_ONCE from now."""
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    if not 0 <= age < INTERACTION_LIFETIME:
        age = 0.0
    return max(0.0, ANSWER_AT_ONCE - age)


async def within_window(interaction: discord.Interaction[AnimeRecBot], awaited: Awaitable[Awaited],
                        placeholder: Callable[[], Awaitable[object]]) -> Awaited:
    """What ``awaited`` returns, with ``placeholder()`` (a defer) sent first when it is not done by
    seconds_to_answer_at_once, inside Discord's window; at once for an interaction from a component, whose
    first answer belongs to the message that carried it."""
    work = asyncio.ensure_future(awaited)
    try:
        if interaction.type is discord.InteractionType.application_command and (
                left := seconds_to_answer_at_once(interaction)):
            await asyncio.wait([work], timeout=left)
        if not work.done():
            await placeholder()
        return await work
    finally:
        work.cancel()  # done already, unless the interaction's own task was cancelled: then the work stops too


async def answer(interaction: discord.Interaction[AnimeRecBot], reply: Awaitable[Reply]) -> None:
    """Send a slash command's private reply: as the first answer when it is ready in time (within_window),
    else after a "thinking…" placeholder. Any error from ``reply`` goes to report_error, which answers in
    whichever state this left the interaction. A command run from a component (PickTitle) always defers: the
    caller edits the message that carried the component afterwards."""
    message = await within_window(interaction, reply, lambda: interaction.response.defer(ephemeral=True))
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **message)
    else:
        await interaction.response.send_message(ephemeral=True, **message)


async def checked_then_deferred(interaction: discord.Interaction[AnimeRecBot], checks: Awaitable[Awaited], *,
                                share: bool) -> Awaited:
    """What ``checks`` return, the interaction deferred after them (defer_for ``share``): a mistake they find is
    the first answer, private, with no placeholder before it. Checks still running at seconds_to_answer_at_once
    (a member looked up over the API, a slow store) get the placeholder first (within_window); a mistake found
    after it still reaches only the caller (report_error)."""
    checked = await within_window(interaction, checks, lambda: defer_for(interaction, share))
    if not interaction.response.is_done():
        await defer_for(interaction, share)
    return checked


async def allow_adult(interaction: discord.Interaction[AnimeRecBot]) -> bool:
    channel = interaction.channel
    is_nsfw = getattr(channel, "is_nsfw", None)  # DMs and group chats have none
    nsfw = bool(is_nsfw is not None and is_nsfw())
    return await service_of(interaction).titles.allow_adult(interaction.guild_id, nsfw)


async def title_autocomplete(interaction: discord.Interaction[AnimeRecBot], current: str) -> list[app_commands.Choice[str]]:
    """Catalog matches as the member types; the value names the title by its MAL id (id_text)."""
    service = service_of(interaction)
    titles = service.titles.search(current, allow_adult=await allow_adult(interaction))
    labels = service.catalog.labels(titles, limits.CHOICE_NAME)
    return [app_commands.Choice(name=label, value=id_text(a.anime_id)) for a, label in zip(titles, labels)]


async def score_autocomplete(interaction: discord.Interaction[AnimeRecBot], current: str) -> list[app_commands.Choice[str]]:
    typed = current.strip().lower()
    return [app_commands.Choice(name=s, value=s) for s in SCORE_CHOICES if s.startswith(typed)] or [
        app_commands.Choice(name=s, value=s) for s in SCORE_CHOICES
    ]


async def genre_autocomplete(interaction: discord.Interaction[AnimeRecBot], current: str) -> list[app_commands.Choice[str]]:
    adult = await allow_adult(interaction)
    typed = current.strip().lower()
    genres = [g for g in service_of(interaction).catalog.genres if typed in g.lower() and (adult or g != ADULT_GENRE)]
    return [app_commands.Choice(name=g, value=g) for g in genres[: limits.CHOICES]]


TYPE_CHOICES = [app_commands.Choice(name=t, value=t) for t in TYPES]


async def is_owner(interaction: discord.Interaction, owner_id: int) -> bool:
    """Whether the clicker is the member the component was made for; anyone else is told so, privately."""
    if interaction.user.id == owner_id:
        return True
    await interaction.response.send_message("These buttons belong to someone else's command.", ephemeral=True)
    return False


class OwnedItem:
    """Mixed into a discord.ui.DynamicItem whose custom_id names the member it was made for: only they
    can use it, and its errors go through report_error (discord.py only logs a dynamic item's).

    A dynamic item is rebuilt from its custom_id on every click (registered with bot.add_dynamic_items),
    so it answers on a message sent before a restart: the custom_id carries all the click needs."""

    owner_id: int

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await is_owner(interaction, self.owner_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            # discord.py types an item's callback for any client; these are only registered by AnimeRecBot's cogs.
            await self.act(cast("discord.Interaction[AnimeRecBot]", interaction))
        except Exception as error:  # noqa: BLE001 - every failure gets the member's reply and its log line
            await report_error(interaction, error)

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        raise NotImplementedError


class PickTitle(OwnedItem, discord.ui.DynamicItem[discord.ui.Select],
                template=r"pick:(?P<owner>\d+):(?P<command>[\w-]+):(?P<option>[\w-]+):(?P<options>\{.*\})"):
    """"Did you mean": the titles a slash command was not sure of, in a menu that runs the command again, for
    the member who asked, with the picked title's MAL id in place of the text and every other option as given.
    The custom_id carries the command, the title's option and the others (JSON), so a pick works after a restart."""

    def __init__(self, owner_id: int, command: str, option: str, options: dict[str, Any],
                 choices: list[tuple[str, int]] | None = None) -> None:
        super().__init__(discord.ui.Select(
            placeholder="Pick the title you meant…",
            options=[discord.SelectOption(label=label, value=str(anime_id)) for label, anime_id in choices or []],
            custom_id=self.custom_id_for(owner_id, command, option, options)))
        self.owner_id, self.command, self.option, self.options = owner_id, command, option, options

    @staticmethod
    def custom_id_for(owner_id: int, command: str, option: str, options: dict[str, Any]) -> str:
        return f"pick:{owner_id}:{command}:{option}:{json.dumps(options, separators=(',', ':'))}"

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> PickTitle:
        return cls(int(match["owner"]), match["command"], match["option"], json.loads(match["options"]))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        command = interaction.client.tree.get_command(self.command)
        if not isinstance(command, app_commands.Command):
            raise UserError(f"/{self.command} is no longer a command of mine.")
        anime_id = self.item.values[0]
        callback: Any = command.callback  # a cog's command is called with its cog first
        bound = () if command.binding is None else (command.binding,)
        await callback(*bound, interaction, **{**self.options, self.option: id_text(int(anime_id))})
        # The command answered in a message of its own; the menu goes, so that it is not picked twice.
        name = service_of(interaction).catalog.get(int(anime_id)).name
        await interaction.edit_original_response(content=f"You picked **{limits.clip(name, 200)}**.", view=None)


def title_choices(interaction: discord.Interaction, error: BaseException) -> discord.ui.View | None:
    """The "did you mean" menu for a slash command that met a title it was not sure of (TitleChoice), or None:
    for any other error, or when the command's other options do not fit a custom_id."""
    choice = getattr(error, "original", error)
    command = interaction.command
    if not isinstance(choice, TitleChoice) or not isinstance(command, app_commands.Command) or command.parent:
        return None
    given = dict(iter(interaction.namespace))
    option = next((k for k, v in given.items() if v == choice.text), None)
    options = {k: v for k, v in given.items() if k != option}
    if option is None or not all(v is None or isinstance(v, str | int | float | bool) for v in options.values()):
        return None
    if len(PickTitle.custom_id_for(interaction.user.id, command.name, option, options)) > limits.CUSTOM_ID:
        return None
    labels = service_of(cast("discord.Interaction[AnimeRecBot]", interaction)).catalog.labels(
        choice.candidates, limits.CHOICE_NAME)
    view = discord.ui.View(timeout=None)
    view.add_item(PickTitle(interaction.user.id, command.name, option, options,
                            [(label, a.anime_id) for label, a in zip(labels, choice.candidates)]))
    return view
