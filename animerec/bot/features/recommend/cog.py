"""/recommend, with "Not interested", quick rating and "More", and onboarding for new members."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from animerec.bot import limits
from animerec.bot.app import render
from animerec.bot.app.interactions import (
    SCORE_CHOICES,
    TYPE_CHOICES,
    OwnedItem,
    Reply,
    allow_adult,
    answer,
    genre_autocomplete,
    service_of,
)
from animerec.bot.limits import clip
from animerec.bot.service.results import Recommendations
from animerec.bot.service.titles import DEFAULT_COUNT, MAX_COUNT
from animerec.recsys.catalog.catalog import Anime, Catalog, id_text

if TYPE_CHECKING:
    from animerec.bot.app.client import AnimeRecBot

HAVE_NOT_SEEN = "skip"
# What a page of picks was asked for, in every custom_id that pages: count, discover, new (only when
# given, as "n" and its value: buttons sent before the option existed still match), type, genre (last, so
# that a genre's own characters need no escaping). The channel's adult-content rule is read at each click.
QUERY = r"(?P<count>\d+):(?P<discover>[01]):(?:n(?P<new>[^:]*):)?(?P<type>[^:]*):(?P<genre>.*)"
OWNER = r"(?P<owner>\d+)"
PAGE = r"(?P<page>\d+)"
ONBOARDING_SCORE = f"onboard:{OWNER}:(?P<anime>\\d+)"  # one score menu per title to rate
ONBOARDING_MENU = re.compile(ONBOARDING_SCORE)


@dataclass(frozen=True)
class Query:
    genre: str | None
    type: str | None
    count: int
    discover: bool = False
    new: str | None = None  # /recommend new (service.new_since reads it)

    @property
    def spec(self) -> str:
        new = f"n{self.new}:" if self.new is not None else ""
        return f"{self.count}:{int(self.discover)}:{new}{self.type or ''}:{self.genre or ''}"

    @classmethod
    def parse(cls, match: re.Match[str]) -> Query:
        return cls(match["genre"] or None, match["type"] or None, int(match["count"]), match["discover"] == "1",
                   match["new"])

    async def run(self, interaction: discord.Interaction[AnimeRecBot], owner_id: int, *, page: int = 0,
                  onboard: bool = True, shown: Iterable[int] = ()) -> Recommendations:
        return await service_of(interaction).picks.recommend(
            owner_id, genre=self.genre, type=self.type, count=self.count, allow_adult=await allow_adult(interaction),
            onboard=onboard, discover=self.discover, page=page, shown=shown, new=self.new,
        )


def shown_titles(message: discord.Message | None) -> set[int]:
    """The titles a message shows, read from its menus (the picks of "Not interested", one onboarding
    score menu per title): a later page leaves them out even when a rating since has moved them down the
    recomputed list. The message is all a click carries."""
    shown: set[int] = set()
    for row in message.components if message is not None else ():
        for child in getattr(row, "children", ()):
            if not isinstance(child, discord.SelectMenu):
                continue
            custom_id = child.custom_id or ""
            if custom_id.startswith("recommend:dismiss:"):
                shown.update(int(o.value) for o in child.options if o.value.isdigit())
            elif (onboarding := ONBOARDING_MENU.fullmatch(custom_id)) is not None:
                shown.add(int(onboarding["anime"]))
    return shown


def _options(titles: list[Anime]) -> list[discord.SelectOption]:
    return [discord.SelectOption(label=Catalog.label(a, limits.CHOICE_NAME), value=str(a.anime_id)) for a in titles]


def _score_options() -> list[discord.SelectOption]:
    return [discord.SelectOption(label=s, value=s) for s in SCORE_CHOICES]


def picks_view(owner_id: int, query: Query, recs: Recommendations, page: int) -> discord.ui.View:
    """A page of picks: "Not interested", "Rate one of these" (the picks, then the "seen these?" earlier
    entries and onboarding titles) and "More"."""
    view = discord.ui.View(timeout=None)  # its items are dynamic: nothing is kept per message
    if recs.picks:
        view.add_item(Dismiss(owner_id, page, query, [p.anime for p in recs.picks]))
    rateable = list({a.anime_id: a for a in [*(p.anime for p in recs.picks), *recs.seen_these, *recs.onboarding]}
                    .values())
    if rateable:
        view.add_item(RateOne(owner_id, rateable[: limits.CHOICES]))
    if recs.picks:
        view.add_item(More(owner_id, page, query))
    return view


def _heading(page: int) -> str:
    return "Picks for you" if page == 0 else "More picks for you"


class Dismiss(OwnedItem, discord.ui.DynamicItem[discord.ui.Select], template=f"recommend:dismiss:{OWNER}:{PAGE}:{QUERY}"):
    """"Not interested in…": remembered, so never shown again; the page is shown again without them."""

    def __init__(self, owner_id: int, page: int, query: Query, titles: list[Anime] | None = None) -> None:
        titles = titles or []
        super().__init__(discord.ui.Select(placeholder="Not interested in…", options=_options(titles),
                                           max_values=max(1, len(titles)), row=0,
                                           custom_id=f"recommend:dismiss:{owner_id}:{page}:{query.spec}"))
        self.owner_id, self.page, self.query = owner_id, page, query

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> Dismiss:
        return cls(int(match["owner"]), int(match["page"]), Query.parse(match))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.defer()
        await service_of(interaction).ratings.dismiss(self.owner_id, [int(v) for v in self.item.values])
        recs = await self.query.run(interaction, self.owner_id, page=self.page, onboard=False)
        await interaction.edit_original_response(embed=render.recommend_embed(recs, _heading(self.page)),
                                                 view=picks_view(self.owner_id, self.query, recs, self.page))


class More(OwnedItem, discord.ui.DynamicItem[discord.ui.Button], template=f"recommend:more:{OWNER}:{PAGE}:{QUERY}"):
    def __init__(self, owner_id: int, page: int, query: Query) -> None:
        super().__init__(discord.ui.Button(label="More", style=discord.ButtonStyle.primary, row=2,
                                           custom_id=f"recommend:more:{owner_id}:{page}:{query.spec}"))
        self.owner_id, self.page, self.query = owner_id, page, query

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> More:
        return cls(int(match["owner"]), int(match["page"]), Query.parse(match))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.defer()
        page = self.page + 1
        recs = await self.query.run(interaction, self.owner_id, page=page, onboard=False,
                                    shown=shown_titles(interaction.message))
        await interaction.edit_original_response(embed=render.recommend_embed(recs, _heading(page)),
                                                 view=picks_view(self.owner_id, self.query, recs, page))


class RateOne(OwnedItem, discord.ui.DynamicItem[discord.ui.Select], template=f"recommend:rate:{OWNER}"):
    """"Rate one of these…": a private score menu for the chosen title."""

    def __init__(self, owner_id: int, titles: list[Anime] | None = None) -> None:
        super().__init__(discord.ui.Select(placeholder="Rate one of these…", options=_options(titles or []), row=1,
                                           custom_id=f"recommend:rate:{owner_id}"))
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> RateOne:
        return cls(int(match["owner"]))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        anime = service_of(interaction).catalog.get(int(self.item.values[0]))
        view = discord.ui.View(timeout=None)
        view.add_item(QuickRate(self.owner_id, anime.anime_id, anime.name))
        await interaction.response.send_message(view=view, ephemeral=True, content=f"How would you rate **{anime.name}**?")


class QuickRate(OwnedItem, discord.ui.DynamicItem[discord.ui.Select],
                template=f"quickrate:score:{OWNER}:(?P<anime>\\d+)"):
    """A score menu for one title, sent privately from a recommendation list."""

    def __init__(self, owner_id: int, anime_id: int, name: str | None = None) -> None:
        placeholder = clip(f"Your score for {name}", limits.PLACEHOLDER) if name else "Your score"
        super().__init__(discord.ui.Select(placeholder=placeholder, options=_score_options(),
                                           custom_id=f"quickrate:score:{owner_id}:{anime_id}"))
        self.owner_id, self.anime_id = owner_id, anime_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> QuickRate:
        return cls(int(match["owner"]), int(match["anime"]))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.defer()  # the store may be slow to take a write: keep the 3 s promise
        result = await service_of(interaction).ratings.rate(self.owner_id, id_text(self.anime_id), self.item.values[0],
                                                            allow_adult=await allow_adult(interaction))
        # content=None: the answer replaces the "How would you rate …?" question above it.
        await interaction.edit_original_response(content=None, embed=render.rate_embed(result), view=None)


def onboarding_view(owner_id: int, query: Query, titles: list[Anime], page: int) -> discord.ui.View:
    """Popular, diverse titles to score with menus, then "Show my picks" or "Other titles"."""
    view = discord.ui.View(timeout=None)
    for row, anime in enumerate(titles):
        view.add_item(OnboardingScore(owner_id, anime.anime_id, anime.name, row))
    view.add_item(ShowPicks(owner_id, query))
    view.add_item(OtherTitles(owner_id, page, query))
    return view


async def onboarding_embed(interaction: discord.Interaction[AnimeRecBot], owner_id: int, titles: list[Anime]
                           ) -> discord.Embed:
    """The titles with the scores the member has given them (from the store, so a restart loses none)."""
    ratings = await service_of(interaction).store.rating_map(owner_id)
    return render.onboarding_embed(titles, {a.anime_id: ratings[a.anime_id] for a in titles if a.anime_id in ratings})


class OnboardingScore(OwnedItem, discord.ui.DynamicItem[discord.ui.Select],
                      template=ONBOARDING_SCORE):
    """One onboarding title's score menu."""

    def __init__(self, owner_id: int, anime_id: int, name: str | None = None, row: int | None = None) -> None:
        super().__init__(discord.ui.Select(
            placeholder=clip(f"{name}: your score", limits.PLACEHOLDER) if name else "Your score", row=row,
            custom_id=f"onboard:{owner_id}:{anime_id}",
            options=[*_score_options(), discord.SelectOption(label="haven't seen it", value=HAVE_NOT_SEEN)]))
        self.owner_id, self.anime_id = owner_id, anime_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> OnboardingScore:
        return cls(int(match["owner"]), int(match["anime"]))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.defer()
        service = service_of(interaction)
        if (value := self.item.values[0]) != HAVE_NOT_SEEN:
            await service.ratings.rate(self.owner_id, id_text(self.anime_id), value,
                                       allow_adult=await allow_adult(interaction))
        # The message's other menus name the titles it shows.
        assert interaction.message is not None  # a menu's choice always comes with its message
        ids = [int(m["anime"]) for c in interaction.message.components for i in getattr(c, "children", [])
               if (m := self.template.fullmatch(getattr(i, "custom_id", None) or ""))]
        titles = [service.catalog.get(a) for a in ids]
        await interaction.edit_original_response(embed=await onboarding_embed(interaction, self.owner_id, titles))


class ShowPicks(OwnedItem, discord.ui.DynamicItem[discord.ui.Button], template=f"onboard:show:{OWNER}:{QUERY}"):
    def __init__(self, owner_id: int, query: Query) -> None:
        super().__init__(discord.ui.Button(label="Show my picks", style=discord.ButtonStyle.primary, row=4,
                                           custom_id=f"onboard:show:{owner_id}:{query.spec}"))
        self.owner_id, self.query = owner_id, query

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> ShowPicks:
        return cls(int(match["owner"]), Query.parse(match))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.defer()
        recs = await self.query.run(interaction, self.owner_id, onboard=False)
        await interaction.edit_original_response(embed=render.recommend_embed(recs),
                                                 view=picks_view(self.owner_id, self.query, recs, 0))


class OtherTitles(OwnedItem, discord.ui.DynamicItem[discord.ui.Button],
                  template=f"onboard:other:{OWNER}:{PAGE}:{QUERY}"):
    def __init__(self, owner_id: int, page: int, query: Query) -> None:
        super().__init__(discord.ui.Button(label="Other titles", style=discord.ButtonStyle.secondary, row=4,
                                           custom_id=f"onboard:other:{owner_id}:{page}:{query.spec}"))
        self.owner_id, self.page, self.query = owner_id, page, query

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str]
                             ) -> OtherTitles:
        return cls(int(match["owner"]), int(match["page"]), Query.parse(match))

    async def act(self, interaction: discord.Interaction[AnimeRecBot]) -> None:
        await interaction.response.defer()
        page = self.page + 1
        titles = await service_of(interaction).picks.onboarding_titles(
            self.owner_id, allow_adult=await allow_adult(interaction), page=page, shown=shown_titles(interaction.message))
        await interaction.edit_original_response(embed=await onboarding_embed(interaction, self.owner_id, titles),
                                                 view=onboarding_view(self.owner_id, self.query, titles, page))


DYNAMIC_ITEMS = (Dismiss, More, RateOne, QuickRate, OnboardingScore, ShowPicks, OtherTitles)


class Recommend(commands.Cog):
    @app_commands.command(description="Anime picked for you from your ratings")
    @app_commands.describe(genre="Only this genre", type="Only this type", count=f"How many (1-{MAX_COUNT})",
                           discover="Less-watched titles you're predicted to love, of series you haven't started",
                           new="Only new titles: 'yes' (first aired in the last 12 months) or a year (since then)")
    @app_commands.autocomplete(genre=genre_autocomplete)
    @app_commands.choices(type=TYPE_CHOICES)
    async def recommend(self, interaction: discord.Interaction[AnimeRecBot], genre: str | None = None,
                        type: str | None = None, count: app_commands.Range[int, 1, MAX_COUNT] = DEFAULT_COUNT,
                        discover: bool = False, new: app_commands.Range[str, 1, 4] | None = None) -> None:
        member = interaction.user.id
        # The catalog's spelling goes into the buttons' custom_ids, within Discord's 100 characters: as typed,
        # "comedy" with 90 "!" after it matched Comedy and made a custom_id of 141.
        catalog = service_of(interaction).catalog
        query = Query(catalog.normalize_genre(genre) or genre, catalog.normalize_type(type) or type, count, discover,
                      new)

        async def reply() -> Reply:
            recs = await query.run(interaction, member)
            if recs.onboarding and not recs.picks and not recs.filtered:
                return {"embed": render.onboarding_embed(recs.onboarding),
                        "view": onboarding_view(member, query, recs.onboarding, 0)}
            return {"embed": render.recommend_embed(recs), "view": picks_view(member, query, recs, 0)}

        await answer(interaction, reply())


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Recommend())
    # Registered at start, these answer clicks on any /recommend message, one sent before a restart too.
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
