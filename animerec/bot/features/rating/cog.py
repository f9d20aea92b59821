"""/rate, /unrate, /ratings, /import, /forget."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot.app import render
from animerec.bot.app.client import AnimeRecTree
from animerec.bot.app.interactions import (
    OwnedItem,
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

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot


# A /forget confirmation holds for this long: "Delete everything" is no button to find in an old message.
FORGET_CONFIRM_SECONDS = 120


async def _ratings_page(interaction: discord.Interaction[AnimeRecBot], who_id: int, page: int,
                        who: discord.abc.User | None = None) -> Reply:
    """A page of /ratings for the member ``who_id`` (``who``, when the command names them) as the caller may
    see it now, with the buttons that turn it: made afresh on every turn, from the ids a button carries, so a
    page turns after a restart and after any time."""
    viewer = interaction.user.id
    member = None if who_id == viewer or interaction.guild is None else await guild_member(interaction.guild, who_id)
    shown = who or member or (interaction.user if who_id == viewer else None)
    name = shown.display_name if shown is not None else str(who_id)  # one who left the server: by id
    ratings = await service_of(interaction).ratings.of_member(
        who_id, viewer_id=viewer, name=name, member_here=who_id == viewer or member is not None,
        allow_adult=await allow_adult(interaction))
    heading = "Your ratings" if who_id == viewer else f"{name}'s ratings"
    pages = render.ratings_pages(ratings)
    page = max(0, min(page, pages - 1))
    view = discord.ui.View(timeout=None)
    view.add_item(TurnPage(viewer, who_id, page - 1, "Previous", disabled=page == 0))
    view.add_item(TurnPage(viewer, who_id, page + 1, "Next", disabled=page >= pages - 1))
    return {"embed": render.ratings_embed(ratings, heading, page), "view": view}


class TurnPage(OwnedItem, discord.ui.DynamicItem[discord.ui.Button],
               template=r"ratings:(?P<owner>\d+):(?P<who>\d+):(?P<page>-?\d+):(?P<label>Previous|Next)"):
    """/ratings' Previous and Next: the page to show, and whose ratings, in the custom_id."""

    def __init__(self, owner_id: int, who_id: int, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
                                           custom_id=f"ratings:{owner_id}:{who_id}:{page}:{label}"))
        self.owner_id, self.who_id, self.page = owner_id, who_id, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> TurnPage:
        return cls(int(match["owner"]), int(match["who"]), int(match["page"]), match["label"])

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(**await _ratings_page(interaction, self.who_id, self.page))


class ForgetAnswer(OwnedItem, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"forget:(?P<owner>\d+):(?P<asked>\d+):(?P<answer>confirm|cancel)"):
    """/forget's "Delete everything" and "Cancel": when it was asked in the custom_id, so an answer after a
    restart is taken, and one after FORGET_CONFIRM_SECONDS deletes nothing and says so."""

    def __init__(self, owner_id: int, asked: int, answer: str) -> None:
        label, style = (("Delete everything", discord.ButtonStyle.danger) if answer == "confirm"
                        else ("Cancel", discord.ButtonStyle.secondary))
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"forget:{owner_id}:{asked}:{answer}"))
        self.owner_id, self.asked, self.answer = owner_id, asked, answer

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> ForgetAnswer:
        return cls(int(match["owner"]), int(match["asked"]), match["answer"])

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        if self.answer == "cancel":
            await interaction.response.edit_message(content="Nothing deleted.", view=None)
            return
        if time.time() - self.asked > FORGET_CONFIRM_SECONDS:
            await interaction.response.edit_message(
                content="This confirmation has expired, so nothing was deleted. Run /forget again to delete "
                        "everything.", view=None)
            return
        await interaction.response.defer()  # the store may be slow to take a write: keep the 3 s promise
        ratings = service_of(interaction).ratings
        forgotten = await ratings.forget(interaction.user.id)
        await interaction.edit_original_response(content=ratings.forgotten_text(forgotten), view=None)


def forget_view(owner_id: int) -> discord.ui.View:
    """/forget's two answers, stamped with the time it was asked."""
    view = discord.ui.View(timeout=None)
    asked = int(time.time())
    for choice in ("confirm", "cancel"):
        view.add_item(ForgetAnswer(owner_id, asked, choice))
    return view


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
            return await _ratings_page(interaction, who.id, 0, who)

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
        await interaction.response.send_message(FORGET_QUESTION, view=forget_view(interaction.user.id),
                                                ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Rating())
    # "Did you mean" menus serve every command that takes a title (/rate, /unrate, /similar, /score), so they
    # are registered once, here, with the title commands loaded first.
    bot.add_dynamic_items(PickTitle, TurnPage, ForgetAnswer)
    if isinstance(bot.tree, AnimeRecTree):
        bot.tree.error_views.append(title_choices)
