"""/watchparty: picks for a group, with every member's predicted score and a vote per pick."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot import limits
from animerec.bot.app import render
from animerec.bot.app.errors import report_error
from animerec.bot.app.interactions import (
    TYPE_CHOICES,
    VIEW_TIMEOUT,
    allow_adult,
    checked_then_deferred,
    genre_autocomplete,
    guild_member,
    service_of,
)
from animerec.bot.features.watchparty.service import PartyRequest, check_size
from animerec.bot.service import UserError
from animerec.recsys.serving.group import STRATEGIES

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@!?(\d{15,20})>")
MAX_PICKS = 10  # two rows of vote buttons


class VoteView(discord.ui.View):
    """A vote button per pick; a member's new click moves their vote.

    Holds no state: the votes live in the database and the tally in the message's embed, and the custom_ids
    are the same on every party. So the copy registered at start (bot.add_view) answers clicks on any
    party, after a restart too; the copy sent with a party times out, so none piles up in memory.
    """

    def __init__(self, picks: int = MAX_PICKS, *, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        for rank in range(1, picks + 1):
            self.add_item(VoteButton(rank))
        if picks:
            self.add_item(WatchedButton())

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await report_error(interaction, error)


class VoteButton(discord.ui.Button[VoteView]):
    def __init__(self, rank: int) -> None:
        super().__init__(label=f"Vote {rank}", custom_id=f"watchparty:vote:{rank}", style=discord.ButtonStyle.secondary,
                         row=(rank - 1) // 5)
        self.rank = rank

    # discord.py types an item's callback for any client; ours are only ever in AnimeRecBot's views.
    async def callback(self, interaction: discord.Interaction[AnimeRecBot]) -> None:  # type: ignore[override]
        message = interaction.message
        assert message is not None  # a button's click always comes with its message
        await interaction.response.defer()  # the store may be slow to take a write: keep the 3 s promise
        tally = await service_of(interaction).parties.vote(message.id, interaction.user.id, self.rank)
        await interaction.edit_original_response(embed=render.with_votes(message.embeds[0], tally))


class WatchedButton(discord.ui.Button[VoteView]):
    """After the vote: a party member watched the winning pick. Marked watched for them, counted on
    the message; the party and its votes are in the store, so this works after a restart too."""

    def __init__(self) -> None:
        super().__init__(label="We watched it", custom_id="watchparty:watched", style=discord.ButtonStyle.success,
                         row=2)

    # discord.py types an item's callback for any client; ours are only ever in AnimeRecBot's views.
    async def callback(self, interaction: discord.Interaction[AnimeRecBot]) -> None:  # type: ignore[override]
        message = interaction.message
        assert message is not None  # a button's click always comes with its message
        await interaction.response.defer()
        anime, added, confirmed = await service_of(interaction).parties.watched(message.id, interaction.user.id)
        await interaction.edit_original_response(embed=render.with_watched(message.embeds[0], anime, confirmed))
        note = "marked as watched for you" if added else "already marked as watched for you"
        await interaction.followup.send(f"{anime.name}: {note}. Rate it with /rate when you can; the next "
                                        "/watchparty of this group will not offer it again.", ephemeral=True)


async def _group(interaction: discord.Interaction[AnimeRecBot], channel: discord.VoiceChannel | None, members: str | None
                 ) -> tuple[dict[int, str], list[int]]:
    """Member id -> display name (the caller plus the mentioned members, or the voice channel's), and
    the mentioned ids that are not members of this server: skipped, so nobody else's tastes are shown."""
    group = {interaction.user.id: interaction.user.display_name}
    if members:
        ids = list(dict.fromkeys(int(m) for m in MENTION.findall(members[:4000])))
        if not ids:
            raise UserError("`members` takes mentions, like @alice @bob.")
        check_size(len(group.keys() | ids))  # before looking anyone up
        skipped = []
        guild = interaction.guild
        assert guild is not None  # /watchparty is guild_only
        for member_id, member in zip(ids, await asyncio.gather(*(guild_member(guild, i) for i in ids))):
            if member is None:
                skipped.append(member_id)
            elif not member.bot:
                group[member_id] = member.display_name
        return group, skipped
    state = getattr(interaction.user, "voice", None)  # a Member's; None out of voice
    voice = channel or (state.channel if state is not None else None)
    if voice is None:
        raise UserError("Join a voice channel, pick one with `channel`, or mention people with `members`.")
    group.update({m.id: m.display_name for m in voice.members if not m.bot})
    return group, []


class Watchparty(commands.Cog):
    @app_commands.command(description="Anime for a group to watch together")
    @app_commands.describe(
        channel="Everyone in this voice channel (default: yours)", members="Or these members (mentions)",
        genre="Only this genre", type="Only this type", count=f"How many picks (1-{MAX_PICKS})",
        strategy="; ".join(f"{name}: {text}" for name, text in STRATEGIES.items())[: limits.CHOICE_NAME],
    )
    @app_commands.autocomplete(genre=genre_autocomplete)
    @app_commands.choices(type=TYPE_CHOICES,
                          strategy=[app_commands.Choice(name=f"{n.replace('_', ' ')}: {d}"[: limits.CHOICE_NAME], value=n)
                                    for n, d in STRATEGIES.items()])
    @app_commands.guild_only()
    async def watchparty(self, interaction: discord.Interaction[AnimeRecBot], channel: discord.VoiceChannel | None = None,
                         members: str | None = None, genre: str | None = None, type: str | None = None,
                         strategy: str = "average", count: app_commands.Range[int, 1, MAX_PICKS] = 5) -> None:
        service = service_of(interaction)

        async def checks() -> tuple[dict[int, str], list[int], PartyRequest]:
            group, skipped = await _group(interaction, channel, members)
            return group, skipped, service.parties.request(list(group), strategy=strategy, genre=genre, type=type,
                                                           count=count, allow_adult=await allow_adult(interaction),
                                                           asker=interaction.user.id)

        group, skipped, request = await checked_then_deferred(interaction, checks(), share=True)
        party = await service.parties.plan(request)
        message = await interaction.followup.send(embed=render.watchparty_embed(party, group, skipped),
                                                  view=VoteView(len(party.picks), timeout=VIEW_TIMEOUT), wait=True)
        if party.picks:
            # Its members vote and confirm: not a hidden member it left out (WatchParty.withheld). The vote opens
            # once the party is posted (it is keyed by the message); if it cannot (the bot stopping, a busy
            # database), the posted list stays, and only the caller hears that voting is off: the error handler
            # would replace the public answer with an error and delete it.
            try:
                await service.parties.open_vote(message.id, party.voters, [p.anime.anime_id for p in party.picks])
            except Exception:
                log.exception("a posted watch party's vote could not be opened")
                await interaction.followup.send("I could not open the vote on this list: its Vote buttons will not "
                                                "count. Plan the party again to vote.", ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Watchparty())
    bot.add_view(VoteView())
