"""/similar: the nearest titles in the model's embedding space."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot.app import render
from animerec.bot.app.interactions import TYPE_CHOICES, allow_adult, genre_autocomplete, service_of, title_autocomplete
from animerec.bot.service.titles import MAX_COUNT

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot


class Similar(commands.Cog):
    @app_commands.command(description="Anime similar to one you name")
    @app_commands.describe(anime="The title", count=f"How many (1-{MAX_COUNT})", type="Only this type",
                           genre="Only this genre")
    @app_commands.autocomplete(anime=title_autocomplete, genre=genre_autocomplete)
    @app_commands.choices(type=TYPE_CHOICES)
    async def similar(self, interaction: discord.Interaction[AnimeRecBot], anime: str,
                      count: app_commands.Range[int, 1, MAX_COUNT] = 10, type: str | None = None,
                      genre: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True)
        result = await service_of(interaction).similar.find(anime, count=count, type=type, genre=genre,
                                                       allow_adult=await allow_adult(interaction),
                                                       member_id=interaction.user.id)
        await interaction.followup.send(embed=render.similar_embed(result), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Similar())
