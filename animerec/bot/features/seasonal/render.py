"""/seasonal's embed: a season's shows ranked for the member, the continue picks marked."""

from __future__ import annotations

import discord

from animerec.bot.app.render import COLOUR, anime_line, fit, pick_reason, sentence
from animerec.bot.features.seasonal.service import SeasonalList
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.serving.reasons import mostly_popular

ONBOARDING = "Rate a few titles you've seen (/rate <title> <score>) and this list is ranked for you."
SEASON_DISCOVER = "/recommend new with discover finds new titles closer to what you rate highly."


def rounded(members: int) -> int:
    """A members count to three figures: a bundled count is months old, and a fetched one is AniList's
    scaled by one ratio for every title (refresh.members_scale)."""
    return round(members, min(0, 3 - len(str(members))))


def seasonal_embed(result: SeasonalList) -> discord.Embed:
    onboarding = not result.shows and bool(result.popular)
    heading = f"{result.name}: the most watched" if onboarding else f"{result.name}, ranked for you"
    embed = discord.Embed(title=heading, colour=COLOUR)
    lines = [sentence(result.note)] if result.note else []
    counted = f"{result.total} show{'s' if result.total != 1 else ''} this season"
    if result.given:
        counted += ("; the one you rated or watched is left out" if result.given == 1 else
                    f"; the {result.given} you rated or watched are left out")
    lines.append(counted + ".")
    if onboarding:
        lines.append(ONBOARDING)
    elif not result.shows and not result.unranked:
        lines.append("You rated or watched every show of it." if result.given == result.total else
                     "Nothing left to rank.")
    embed.description = "\n".join(lines)
    ranked = [s for s in result.shows if s.starts_at is None]
    for rank, show in enumerate(ranked, 1):
        reason = pick_reason(show)
        if show.continues:
            reason = f"**{reason}**"  # the continue picks stand out in a season's list
        value = f"Match **{show.match:.0%}** · {anime_line(show.anime)}\n{reason}"
        embed.add_field(name=f"{rank}. {Catalog.label(show.anime, 200)}", value=value, inline=False)
    if ranked and mostly_popular((s.because, s.source) for s in ranked):
        # A season's shows lean to the most watched as /recommend new's do: the way to ones closer to the member.
        embed.add_field(name="Mostly ranked by how widely watched they are", value=SEASON_DISCOVER, inline=False)
    later = [s for s in result.shows if s.starts_at is not None]
    if later:
        embed.add_field(name="Later seasons of series you haven't started", inline=False, value="\n".join(
            f"{Catalog.label(s.anime, 90)}: start with {Catalog.label(s.starts_at, 90)}" for s in later if s.starts_at))
    if result.unranked:
        embed.add_field(name="New in the catalog, ranked for you after the next retrain", inline=False,
                        value="\n".join(Catalog.label(a, 120) for a in result.unranked))
    for rank, anime in enumerate(result.popular, 1):
        counted = f" · about {rounded(anime.members):,} MyAnimeList members" if anime.members else ""
        embed.add_field(name=f"{rank}. {Catalog.label(anime, 200)}", value=anime_line(anime) + counted, inline=False)
    if result.shows:
        embed.set_footer(text="Match: how likely members with your taste go on to watch it. The list is in that order.")
    return fit(embed)
