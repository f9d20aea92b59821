"""/rate, /unrate, /ratings, /import, /forget."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot.app import render
from animerec.bot.app.client import AnimeRecTree
from animerec.bot.app.interactions import (
    OwnedView,
    PickTitle,
    Reply,
    allow_adult,
    answer,
    guild_member,
    score_autocomplete,
    service_of,
    title_autocomplete,
    title_choices,
)
from animerec.bot.features.rating.malxml import LIST_SIZE, MAX_BYTES
from animerec.bot.features.rating.service import FORGET_QUESTION
from animerec.bot.service import UserError
from animerec.bot.service.results import RatingList

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot


class RatingsPager(OwnedView):
    def __init__(self, owner_id: int, ratings: RatingList, heading: str) -> None:
        super().__init__(owner_id)
        self.ratings, self.heading, self.page = ratings, heading, 0
        self._sync()

    def embed(self) -> discord.Embed:
        return render.ratings_embed(self.ratings, self.heading, self.page)

    def _sync(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= render.ratings_pages(self.ratings) - 1

    async def _turn(self, interaction: discord.Interaction[AnimeRecBot], step: int) -> None:
        self.page += step
        self._sync()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[AnimeRecBot], button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[AnimeRecBot], button: discord.ui.Button) -> None:
        await self._turn(interaction, +1)


class ForgetConfirm(OwnedView):
    def __init__(self, owner_id: int) -> None:
        super().__init__(owner_id, timeout=120)

    @discord.ui.button(label="Delete everything", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[AnimeRecBot], button: discord.ui.Button) -> None:
        await interaction.response.defer()  # the store may be slow to take a write: keep the 3 s promise
        forgotten = await service_of(interaction).ratings.forget(interaction.user.id)
        self.stop()
        await interaction.edit_original_response(content=service_of(interaction).ratings.forgotten_text(forgotten),
                                                 view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[AnimeRecBot], button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing deleted.", view=None)


class Rating(commands.Cog):
    @app_commands.command(description="Rate an anime 1-10, or mark it watched (re-rating replaces)")
    @app_commands.describe(anime="The title (pick a suggestion or type it)", score="1-10, or watched")
    @app_commands.autocomplete(anime=title_autocomplete, score=score_autocomplete)
    async def rate(self, interaction: discord.Interaction[AnimeRecBot], anime: str, score: str) -> None:
        async def reply() -> Reply:
            result = await service_of(interaction).ratings.rate(interaction.user.id, anime, score,
                                                                allow_adult=await allow_adult(interaction))
            return {"embed": render.rate_embed(result)}

        await answer(interaction, reply())

    @app_commands.command(description="Remove one of your ratings")
    @app_commands.autocomplete(anime=title_autocomplete)
    async def unrate(self, interaction: discord.Interaction[AnimeRecBot], anime: str) -> None:
        async def reply() -> Reply:
            removed = await service_of(interaction).ratings.unrate(interaction.user.id, anime,
                                                                   allow_adult=await allow_adult(interaction))
            return {"content": f"Removed your rating of {removed.name}."}

        await answer(interaction, reply())

    @app_commands.command(description="List your ratings, or another member's")
    async def ratings(self, interaction: discord.Interaction[AnimeRecBot], member: discord.User | None = None) -> None:
        who = member or interaction.user

        async def reply() -> Reply:
            here = who.id == interaction.user.id or (
                interaction.guild is not None and await guild_member(interaction.guild, who.id) is not None)
            ratings = await service_of(interaction).ratings.of_member(
                who.id, viewer_id=interaction.user.id, name=who.display_name, member_here=here,
                allow_adult=await allow_adult(interaction))
            heading = "Your ratings" if who.id == interaction.user.id else f"{who.display_name}'s ratings"
            view = RatingsPager(interaction.user.id, ratings, heading)
            return {"embed": view.embed(), "view": view}

        await answer(interaction, reply())

    @app_commands.command(name="import", description="Import your MyAnimeList export (XML, or the .xml.gz MAL gives you)")
    async def import_(self, interaction: discord.Interaction[AnimeRecBot], file: discord.Attachment) -> None:
        service_of(interaction).ratings.check_import(interaction.user.id)
        if file.size > MAX_BYTES:
            raise UserError(f"That file is {file.size / 1e6:.1f} MB; exports up to {MAX_BYTES // 1024 // 1024} MB "
                            f"({LIST_SIZE}) work. Nothing was stored.")
        await interaction.response.defer(ephemeral=True)
        report = await service_of(interaction).ratings.import_mal_xml(interaction.user.id, await file.read())
        await interaction.followup.send(embed=render.import_embed(report), ephemeral=True)

    @app_commands.command(description="Delete everything I store about you (asks to confirm)")
    async def forget(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.send_message(FORGET_QUESTION, view=ForgetConfirm(interaction.user.id), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Rating())
    # "Did you mean" menus serve every command that takes a title (/rate, /unrate, /similar, /score), so they
    # are registered once, here, with the title commands loaded first.
    bot.add_dynamic_items(PickTitle)
    if isinstance(bot.tree, AnimeRecTree):
        bot.tree.error_views.append(title_choices)
