"""/seasonal: a season's shows ranked for the member, privately unless they share it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot import limits
from animerec.bot.app.interactions import allow_adult, defer_for, service_of
from animerec.bot.features.seasonal.render import seasonal_embed
from animerec.bot.service.titles import MAX_COUNT
from animerec.recsys.catalog.catalog import SEASONS

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot


async def season_autocomplete(interaction: discord.Interaction[AnimeRecBot], current: str
                              ) -> list[app_commands.Choice[str]]:
    """The four seasons, with the shows each has in the year already typed (any year when none)."""
    year = getattr(interaction.namespace, "year", None)
    counts = service_of(interaction).seasonal.season_counts(year if isinstance(year, int) else None)
    typed = current.strip().casefold()
    return [app_commands.Choice(name=f"{s.capitalize()} ({counts[s]} shows)" if isinstance(year, int) else s.capitalize(),
                                value=s) for s in SEASONS if s.startswith(typed)]


async def year_autocomplete(interaction: discord.Interaction[AnimeRecBot], current: str
                            ) -> list[app_commands.Choice[int]]:
    """Years the catalog has a season of, newest first, those starting with what is typed."""
    typed = current.strip()
    years = [y for y in service_of(interaction).seasonal.years() if str(y).startswith(typed)]
    return [app_commands.Choice(name=str(y), value=y) for y in years[: limits.CHOICES]]


class Seasonal(commands.Cog):
    @app_commands.command(description="This season's shows (or another's), ranked for you")
    @app_commands.describe(season="Winter, spring, summer or fall (default: the one airing now)",
                           year="The season's year", share="Post it in the channel for everyone",
                           count=f"How many (1-{MAX_COUNT})")
    @app_commands.autocomplete(season=season_autocomplete)
    @app_commands.autocomplete(year=year_autocomplete)
    async def seasonal(self, interaction: discord.Interaction[AnimeRecBot], season: str | None = None,
                       year: app_commands.Range[int, 1917, 2100] | None = None, share: bool = False,
                       count: app_commands.Range[int, 1, MAX_COUNT] = 10) -> None:
        # A season's ranking is a few milliseconds; defer anyway: the store may be slow to read.
        await defer_for(interaction, share)
        result = await service_of(interaction).seasonal.season(interaction.user.id, season, year, count=count,
                                                               allow_adult=await allow_adult(interaction))
        await interaction.followup.send(embed=seasonal_embed(result), ephemeral=not share)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Seasonal())
