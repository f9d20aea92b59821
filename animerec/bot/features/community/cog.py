"""/taste, /compare, /score, /server top and /privacy: the server as a community.

Every interaction in a server records its member there (the store's guild_members), so a server's
views count the members who use the bot in it. Names shown are checked against the server itself.
Replies are private unless `share` is set; pictures render off the event loop after a defer.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot.app.interactions import (
    allow_adult,
    checked_then_deferred,
    defer_for,
    guild_member,
    service_of,
    title_autocomplete,
)
from animerec.bot.features.community import render as rc
from animerec.bot.features.community.pictures import taste_png
from animerec.bot.service import UserError

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot
    from animerec.recsys.catalog.catalog import Anime

log = logging.getLogger(__name__)
NAMES_CHECKED = 20  # /score names at most this many members who loved a title


def _member_option(interaction: discord.Interaction[AnimeRecBot], member: discord.Member | discord.User | None
                   ) -> discord.Member | discord.User:
    who = member or interaction.user
    if who.bot:
        raise UserError("Bots have no taste to show (yet).")
    return who


def _guild(interaction: discord.Interaction[AnimeRecBot]) -> discord.Guild:
    guild = interaction.guild
    assert guild is not None  # the commands that ask are guild_only
    return guild


async def _names_here(interaction: discord.Interaction[AnimeRecBot], member_ids: tuple[int, ...]) -> dict[int, str]:
    """Display names of those ids that are members of this server now; the others leave its views."""
    guild = _guild(interaction)
    community = service_of(interaction).community
    names: dict[int, str] = {}

    async def look(member_id: int) -> None:
        member = await guild_member(guild, member_id)
        if member is None:
            await community.left(guild.id, member_id)
        else:
            names[member_id] = member.display_name

    await asyncio.gather(*(look(m) for m in member_ids[:NAMES_CHECKED]))
    return names


class Community(commands.Cog):
    server = app_commands.Group(name="server", description="What this server thinks", guild_only=True)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        """A member who uses the bot in a server counts in that server's views."""
        if interaction.guild_id is not None and not interaction.user.bot:
            try:
                await service_of(interaction).community.seen(interaction.guild_id, interaction.user.id)
            except Exception:  # the command itself still answers
                log.warning("could not record a member of server %s", interaction.guild_id, exc_info=True)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Needs the members intent (off by default): names are checked when shown regardless."""
        await self.bot.service.community.left(payload.guild_id, payload.user.id)

    def __init__(self, bot: AnimeRecBot) -> None:
        self.bot = bot

    @app_commands.command(description="Your taste on a map of the catalog, beside the server's genres")
    @app_commands.describe(member="Whose taste (default: yours)", share="Post it for the channel to see")
    @app_commands.guild_only()
    async def taste(self, interaction: discord.Interaction[AnimeRecBot], member: discord.Member | None = None,
                    share: bool = False) -> None:
        who = _member_option(interaction, member)
        own = who.id == interaction.user.id
        await defer_for(interaction, share)
        service = service_of(interaction)
        result = await service.community.taste(_guild(interaction).id, who.id, viewer_id=interaction.user.id,
                                               name="you" if own else who.display_name,
                                               allow_adult=await allow_adult(interaction))
        png = await asyncio.to_thread(taste_png, result.picture)
        await interaction.followup.send(embed=rc.taste_embed(result, who.display_name, own), ephemeral=not share,
                                        file=discord.File(io.BytesIO(png), filename=rc.TASTE_FILE))

    @app_commands.command(description="How alike your taste is to another member's")
    @app_commands.describe(member="Who to compare with", share="Post it for the channel to see")
    @app_commands.guild_only()
    async def compare(self, interaction: discord.Interaction[AnimeRecBot], member: discord.Member,
                      share: bool = False) -> None:
        if member.bot:
            raise UserError("Bots have no taste to compare (yet).")
        await defer_for(interaction, share)
        result = await service_of(interaction).community.compare(
            _guild(interaction).id, interaction.user.id, member.id, other_name=member.display_name,
            allow_adult=await allow_adult(interaction))
        await interaction.followup.send(embed=rc.compare_embed(result, member.display_name), ephemeral=not share)

    @app_commands.command(description="What this server thinks of a title, and what I predict for you")
    @app_commands.describe(anime="The title", share="Post it for the channel to see")
    @app_commands.autocomplete(anime=title_autocomplete)
    @app_commands.guild_only()
    async def score(self, interaction: discord.Interaction[AnimeRecBot], anime: str, share: bool = False) -> None:
        service = service_of(interaction)

        async def resolved() -> Anime:  # a typo: answered privately, at once
            return service.titles.resolve(anime, allow_adult=await allow_adult(interaction))

        title = await checked_then_deferred(interaction, resolved(), share=share)
        result = await service.community.score(_guild(interaction).id, interaction.user.id, title)
        names = await _names_here(interaction, result.tally.loved_by)
        await interaction.followup.send(embed=rc.score_embed(result, names), ephemeral=not share)

    @server.command(name="top", description="This server's favourites, most watched, and hidden gems")
    @app_commands.describe(share="Post it for the channel to see")
    async def server_top(self, interaction: discord.Interaction[AnimeRecBot], share: bool = False) -> None:
        await defer_for(interaction, share)
        result = await service_of(interaction).community.server_top(
            _guild(interaction).id, interaction.user.id, allow_adult=await allow_adult(interaction))
        await interaction.followup.send(embed=rc.server_top_embed(result), ephemeral=not share)

    @app_commands.command(description="Whether others in your servers can see your taste")
    @app_commands.describe(setting="visible (the default) or hidden")
    @app_commands.choices(setting=[app_commands.Choice(name="visible: others can see and compare", value="visible"),
                                   app_commands.Choice(name="hidden: only anonymous totals", value="hidden")])
    async def privacy(self, interaction: discord.Interaction[AnimeRecBot], setting: str) -> None:
        await interaction.response.defer(ephemeral=True)
        hidden = setting == "hidden"
        await service_of(interaction).community.set_privacy(interaction.user.id, hidden)
        await interaction.followup.send(rc.PRIVACY_TEXT[hidden], ephemeral=True)


async def setup(bot: AnimeRecBot) -> None:
    await bot.add_cog(Community(bot))
