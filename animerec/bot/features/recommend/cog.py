"""/recommend, with "Not interested", quick rating and "More", and onboarding for new members."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot import limits
from animerec.bot.app import render
from animerec.bot.app.interactions import SCORE_CHOICES, TYPE_CHOICES, OwnedView, allow_adult, genre_autocomplete, service_of
from animerec.bot.limits import clip
from animerec.bot.service.results import Recommendations
from animerec.bot.service.titles import MAX_COUNT
from animerec.recsys.catalog.catalog import Anime

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot

HAVE_NOT_SEEN = "skip"


@dataclass
class Query:
    genre: str | None
    type: str | None
    count: int
    allow_adult: bool
    discover: bool = False

    async def run(self, interaction: discord.Interaction[AnimeRecBot], exclude: Iterable[int] = (), onboard: bool = True
                  ) -> Recommendations:
        return await service_of(interaction).picks.recommend(
            interaction.user.id, genre=self.genre, type=self.type, count=self.count,
            allow_adult=self.allow_adult, exclude=exclude, onboard=onboard, discover=self.discover,
        )


def _options(titles: list[Anime]) -> list[discord.SelectOption]:
    return [discord.SelectOption(label=clip(a.name, limits.CHOICE_NAME), value=str(a.anime_id)) for a in titles]


def _score_options() -> list[discord.SelectOption]:
    return [discord.SelectOption(label=s, value=s) for s in SCORE_CHOICES]


class QuickRate(OwnedView):
    """A score menu for one title, sent privately from a recommendation list."""

    def __init__(self, owner_id: int, anime: Anime, allow_adult: bool) -> None:
        super().__init__(owner_id)
        self.anime, self.allow_adult = anime, allow_adult
        self.score.placeholder = clip(f"Your score for {anime.name}", limits.PLACEHOLDER)
        self.score.options = _score_options()

    # cls is the default, given so that mypy types self.score as the Select it is (Never otherwise).
    @discord.ui.select(cls=discord.ui.Select, placeholder="Your score", custom_id="quickrate:score")
    async def score(self, interaction: discord.Interaction[AnimeRecBot], select: discord.ui.Select[QuickRate]) -> None:
        await interaction.response.defer()  # the store may be slow to take a write: keep the 3 s promise
        result = await service_of(interaction).ratings.rate(interaction.user.id, str(self.anime.anime_id), select.values[0],
                                                    allow_adult=self.allow_adult)
        self.stop()
        # content=None: the answer replaces the "How would you rate …?" question above it.
        await interaction.edit_original_response(content=None, embed=render.rate_embed(result), view=None)


class RecommendView(OwnedView):
    def __init__(self, owner_id: int, query: Query, recs: Recommendations, shown: set[int] | None = None) -> None:
        super().__init__(owner_id)
        self.query = query
        self.shown = (shown or set()) | {p.anime.anime_id for p in recs.picks}
        self.picks = {p.anime.anime_id: p.anime for p in recs.picks}
        # Quick ratings: the picks, then the "seen these?" earlier entries and onboarding titles.
        self.rateable = {**self.picks, **{a.anime_id: a for a in [*recs.seen_these, *recs.onboarding]}}
        if recs.picks:
            self.dismiss.options = _options(list(self.picks.values()))
            self.dismiss.max_values = len(self.picks)
        else:
            self.remove_item(self.dismiss)
            self.remove_item(self.more)
        if self.rateable:
            self.rate.options = _options(list(self.rateable.values())[: limits.CHOICES])
        else:
            self.remove_item(self.rate)

    @discord.ui.select(cls=discord.ui.Select, placeholder="Not interested in…", custom_id="recommend:dismiss")
    async def dismiss(self, interaction: discord.Interaction[AnimeRecBot], select: discord.ui.Select[RecommendView]) -> None:
        await interaction.response.defer()
        dropped = [int(v) for v in select.values]
        await service_of(interaction).ratings.dismiss(interaction.user.id, dropped)
        # Same page without the dismissed titles (they are remembered, so never shown again).
        recs = await self.query.run(interaction, self.shown - set(self.picks), onboard=False)
        view = RecommendView(self.owner_id, self.query, recs, self.shown)
        await interaction.edit_original_response(embed=render.recommend_embed(recs), view=view)

    @discord.ui.select(cls=discord.ui.Select, placeholder="Rate one of these…", custom_id="recommend:rate")
    async def rate(self, interaction: discord.Interaction[AnimeRecBot], select: discord.ui.Select[RecommendView]) -> None:
        anime = self.rateable[int(select.values[0])]
        await interaction.response.send_message(
            view=QuickRate(self.owner_id, anime, self.query.allow_adult), ephemeral=True,
            content=f"How would you rate **{anime.name}**?",
        )

    @discord.ui.button(label="More", style=discord.ButtonStyle.primary, custom_id="recommend:more")
    async def more(self, interaction: discord.Interaction[AnimeRecBot], button: discord.ui.Button) -> None:
        await interaction.response.defer()
        recs = await self.query.run(interaction, self.shown, onboard=False)
        view = RecommendView(self.owner_id, self.query, recs, self.shown)
        await interaction.edit_original_response(embed=render.recommend_embed(recs, "More picks for you"), view=view)


class OnboardingScore(discord.ui.Select["Onboarding"]):
    """One onboarding title's score menu."""

    def __init__(self, anime: Anime, row: int) -> None:
        super().__init__(placeholder=clip(f"{anime.name}: your score", limits.PLACEHOLDER), row=row,
                         custom_id=f"onboard:{anime.anime_id}",
                         options=[*_score_options(), discord.SelectOption(label="haven't seen it", value=HAVE_NOT_SEEN)])
        self.anime = anime

    # discord.py types an item's callback for any client; ours are only ever in AnimeRecBot's views.
    async def callback(self, interaction: discord.Interaction[AnimeRecBot]) -> None:  # type: ignore[override]
        view = self.view
        assert view is not None  # added to its Onboarding view
        await interaction.response.defer()
        value = self.values[0]
        if value == HAVE_NOT_SEEN:
            view.given.pop(self.anime.anime_id, None)
        else:
            result = await service_of(interaction).ratings.rate(interaction.user.id, str(self.anime.anime_id), value,
                                                                allow_adult=view.query.allow_adult)
            view.given[self.anime.anime_id] = result.rating
        await interaction.edit_original_response(embed=view.embed(), view=view)


class Onboarding(OwnedView):
    """Popular, diverse titles to score with menus, then recommendations."""

    def __init__(self, owner_id: int, query: Query, titles: list[Anime], seen: set[int] | None = None) -> None:
        super().__init__(owner_id)
        self.query, self.titles = query, titles
        self.given: dict[int, float] = {}
        self.seen = (seen or set()) | {a.anime_id for a in titles}
        for row, anime in enumerate(titles):
            self.add_item(OnboardingScore(anime, row))

    def embed(self) -> discord.Embed:
        return render.onboarding_embed(self.titles, self.given)

    @discord.ui.button(label="Show my picks", style=discord.ButtonStyle.primary, row=4)
    async def show(self, interaction: discord.Interaction[AnimeRecBot], button: discord.ui.Button) -> None:
        await interaction.response.defer()
        recs = await self.query.run(interaction, onboard=False)
        self.stop()
        view = RecommendView(self.owner_id, self.query, recs)
        await interaction.edit_original_response(embed=render.recommend_embed(recs), view=view)

    @discord.ui.button(label="Other titles", style=discord.ButtonStyle.secondary, row=4)
    async def other(self, interaction: discord.Interaction[AnimeRecBot], button: discord.ui.Button) -> None:
        await interaction.response.defer()
        titles = await service_of(interaction).picks.onboarding_titles(
            interaction.user.id, allow_adult=self.query.allow_adult, skip=self.seen)
        self.stop()
        view = Onboarding(self.owner_id, self.query, titles, self.seen)
        await interaction.edit_original_response(embed=view.embed(), view=view)


class Recommend(commands.Cog):
    @app_commands.command(description="Anime picked for you from your ratings")
    @app_commands.describe(genre="Only this genre", type="Only this type", count=f"How many (1-{MAX_COUNT})",
                           discover="Favour less-watched titles you're predicted to love")
    @app_commands.autocomplete(genre=genre_autocomplete)
    @app_commands.choices(type=TYPE_CHOICES)
    async def recommend(self, interaction: discord.Interaction[AnimeRecBot], genre: str | None = None,
                        type: str | None = None, count: app_commands.Range[int, 1, MAX_COUNT] = 10,
                        discover: bool = False) -> None:
        await interaction.response.defer(ephemeral=True)
        query = Query(genre, type, count, await allow_adult(interaction), discover)
        recs = await query.run(interaction)
        if recs.onboarding and not recs.picks:
            onboarding = Onboarding(interaction.user.id, query, recs.onboarding)
            await interaction.followup.send(embed=onboarding.embed(), view=onboarding, ephemeral=True)
        else:
            view = RecommendView(interaction.user.id, query, recs)
            await interaction.followup.send(embed=render.recommend_embed(recs), view=view, ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Recommend())
