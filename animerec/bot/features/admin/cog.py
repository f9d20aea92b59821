"""/stats for everyone; /admin retrain and /admin adult-content for server managers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot.app import render
from animerec.bot.app.interactions import service_of
from animerec.bot.service import UserError

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot


class Admin(commands.Cog):
    admin = app_commands.Group(name="admin", description="Bot settings for server managers", guild_only=True,
                               default_permissions=discord.Permissions(manage_guild=True))

    @app_commands.command(description="How good my recommendations are, and what they learned from")
    @app_commands.describe(details="The evaluation figures and retrain history (server managers)")
    async def stats(self, interaction: discord.Interaction[AnimeRecBot], details: bool = False) -> None:
        perms = interaction.permissions
        if details and not (perms.manage_guild or interaction.guild_id is None):
            raise UserError("The figures page is for server managers; /stats without details is for everyone.")
        await interaction.response.defer(ephemeral=True)
        stats = await service_of(interaction).stats()
        embeds = [render.stats_embed(stats)] + ([render.stats_figures_embed(stats)] if details else [])
        await interaction.followup.send(embeds=embeds, ephemeral=True)

    @admin.command(description="Retrain the model now on the dataset plus every community rating")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def retrain(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await service_of(interaction).models.admin_retrain()  # its end is logged by the model holder
        await interaction.response.send_message(
            "Retrain queued. I keep answering with the current model meanwhile; /stats shows the new one when it is in.",
            ephemeral=True,
        )

    @admin.command(name="adult-content", description="Hide adult titles everywhere in this server, even in NSFW channels")
    @app_commands.describe(hide="True: never show adult titles here; False: only in age-restricted channels")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def adult_content(self, interaction: discord.Interaction[AnimeRecBot], hide: bool) -> None:
        assert interaction.guild_id is not None  # the admin group is guild_only
        await service_of(interaction).titles.set_hide_adult(interaction.guild_id, hide)
        where = "nowhere in this server" if hide else "only in age-restricted channels"
        await interaction.response.send_message(f"Adult titles now appear {where}.", ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Admin())
