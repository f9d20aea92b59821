"""The community commands' replies as embeds (Discord) and text (the console, via render.embed_to_text)."""

from __future__ import annotations

from collections.abc import Mapping

import discord

from animerec.bot.app.render import COLOUR, anime_line, describe_score, fit, sentence, you_gave
from animerec.bot.features.community.service import Comparison, ServerFavourites, Taste, TitleScore
from animerec.bot.limits import clip
from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.community import (
    DISLIKED,
    LOVED,
    LOVED_HERE_MIN,
    MIN_SCORES,
    PRIVATE_MIN_MEMBERS,
    RARE_MEMBERS,
    SHRINK,
)
from animerec.recsys.data import WATCHED
from animerec.recsys.serving.reasons import prediction_basis

TASTE_FILE = "taste.png"
BAR = "█"
BAR_WIDTH = 16


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def taste_summary(taste: Taste, name: str, own: bool) -> str:
    """'You lean to Psychological and Thriller; you rate 1.2 above the server ...' in two or three lines."""
    who, verb = ("You", "lean") if own else (name, "leans")
    them = "you" if own else "they"
    lines = []
    leans = [g for g in taste.profile.leans if g in taste.profile.genres]  # only what the chart shows
    if taste.liked_without_genres:
        lines.append(f"The titles {them} liked have no genres listed in my catalog yet, so there are none to show")
    elif not taste.profile.genres:  # every title given was disliked (liking: nothing at DISLIKED or under)
        lines.append(f"{'You have' if own else name + ' has'} scored no title above {DISLIKED:g} yet, so there are no "
                     f"genres {them} like to show")
    elif taste.alone:
        lines.append(f"{who} {'are' if own else 'is'} the only member here with ratings so far: the server's genres "
                     f"come beside {'yours' if own else 'theirs'} once others rate")
    elif leans:
        lines.append(f"{who} {verb} to {_and(leans)} more than the server does")
    else:
        lines.append(f"{who}{'r' if own else '’s'} genres follow the server's")
    if taste.offset is not None:
        diff, n = taste.offset
        if abs(diff) < 0.05:
            lines[-1] += f"; {them} score like the server on the {n} titles others here scored too."
        else:
            side = "above" if diff > 0 else "below"
            lines[-1] += f"; {them} rate {abs(diff):.1f} {side} the server on the {n} titles others here scored too."
    else:
        lines[-1] += "."
    if taste.picks:
        lines.append(f"{'Your' if own else 'Their'} top picks: {'; '.join(Catalog.label(a, 80) for a in taste.picks)}.")
    return "\n".join(lines)


def taste_embed(taste: Taste, name: str, own: bool) -> discord.Embed:
    embed = discord.Embed(title=f"{'Your' if own else clip(name, 80) + '’s'} taste", colour=COLOUR,
                          description=taste_summary(taste, name, own))
    embed.set_image(url=f"attachment://{TASTE_FILE}")
    embed.set_footer(text="Map: each dot a title, near = watched by the same people. Diamond: where the titles "
                          f"{'you' if own else 'they'} liked sit" + ("." if taste.alone else "; ring: the server's."))
    return fit(embed)


def compare_embed(result: Comparison, other: str) -> discord.Embed:
    a = result.affinity
    embed = discord.Embed(title=f"You and {clip(other, 80)}: {a.score:.0%} alike", colour=COLOUR)
    if a.agreement is None:
        embed.description = (f"No title scored by both of you, so this is how alike your taste vectors are "
                             f"({a.taste:.0%}: folded in from what each of you liked).")
    else:
        # The more titles both scored, the more their agreement counts: as much as the taste vectors at
        # AGREEMENT_PIVOT titles.
        embed.description = (f"Agreement on the {a.both_scored} title{'s' if a.both_scored != 1 else ''} you both "
                             f"scored ({a.agreement:.0%}) counts for {a.weight:.0%} of this, more as you score more "
                             f"of the same titles; the rest is how alike your taste vectors are ({a.taste:.0%}: "
                             "folded in from what each of you liked).")
    if result.favourites:
        embed.add_field(name="Shared favourites", inline=False,
                        value="\n".join(Catalog.label(x, 90) for x in result.favourites))
    if result.disagreement is not None:
        anime, mine, theirs = result.disagreement
        embed.add_field(name="Biggest disagreement", inline=False,
                        value=f"{Catalog.label(anime, 90)}: you {describe_score(mine)}, {clip(other, 40)} "
                              f"{describe_score(theirs)}")
    if result.together:
        embed.add_field(name="You would both love (neither has seen them)", inline=False, value="\n".join(
            f"{Catalog.label(x, 90)}: you {p:.1f}, {clip(other, 40)} {q:.1f}" for x, p, q in result.together))
    return fit(embed)


def histogram(counts: tuple[int, ...]) -> str:
    """Scores 10 down to the lowest anyone gave, a bar each, in a code block (monospaced in Discord)."""
    top = max(counts) or 1
    low = min((s for s, n in enumerate(counts, 1) if n), default=10)
    rows = []
    for score in range(10, low - 1, -1):
        n = counts[score - 1]
        bar = BAR * max(1, round(BAR_WIDTH * n / top)) if n else ""
        rows.append(f"{score:>2} {bar:<{BAR_WIDTH}} {n}")
    return "```\n" + "\n".join(rows) + "\n```"


def score_embed(result: TitleScore, names: Mapping[int, str]) -> discord.Embed:
    """names: display names of the members who loved it and are visible here, in result's order."""
    t = result.tally
    embed = discord.Embed(title=Catalog.label(result.anime, 200), colour=COLOUR)
    if not t.given:
        embed.description = f"{anime_line(result.anime)}\nNobody here has rated or watched it yet."
    else:
        mean = f", mean **{t.mean:.1f}**" if t.mean is not None else ""
        embed.description = (f"{anime_line(result.anime)}\n**{t.given}** member{'s' if t.given != 1 else ''} here "
                             f"rated or watched it; **{t.scored}** scored it{mean}.")
        if t.scored:
            embed.add_field(name="Scores here", value=histogram(t.histogram), inline=False)
    shown = [names[m] for m in t.loved_by if m in names]
    if shown or result.hidden_lovers:
        text = ", ".join(clip(n, 40) for n in shown[:15])
        more = max(0, len(shown) - 15) + result.hidden_lovers
        if more and shown:
            text += f" and {more} more"
        elif more:
            text = f"{more} member{'s' if more != 1 else ''} who keep{'s' if more == 1 else ''} their taste private"
        embed.add_field(name=f"Loved it ({LOVED:g}+)", value=text, inline=False)
    if result.own is not None:
        gave = "You watched it." if result.own == WATCHED else f"You gave it {describe_score(result.own)}."
        embed.add_field(name="You", value=gave, inline=False)
    elif result.predicted is not None:
        why = (f"because {you_gave(result.because, result.anime)}" if result.because is not None
               else prediction_basis(result.source, result.scored, bool(result.anime.genres)))
        embed.add_field(name="For you", value=sentence(f"Predicted **{result.predicted:.1f}/10**, {why}"), inline=False)
    return fit(embed)


def server_top_embed(result: ServerFavourites) -> discord.Embed:
    top = result.top
    embed = discord.Embed(title="This server's favourites", colour=COLOUR)
    if not result.members:
        embed.description = (f"Your taste is hidden, and a server's figures take in hidden members only once "
                             f"{PRIVATE_MIN_MEMBERS} of them are in them; no member whose taste is visible has rated "
                             "anything here yet."
                             if result.caller_hidden else
                             "Nobody here has rated anything yet: /rate a few titles and ask again.")
        return fit(embed)
    embed.description = f"From the ratings of {result.members} member{'s' if result.members != 1 else ''} here."
    name = {a: Catalog.label(x, 80) for a, x in result.titles.items()}
    embed.add_field(name="Favourites", inline=False, value="\n".join(
        f"{i}. {name[a]} · **{m:.1f}** ({n} scores)" for i, (a, m, n) in enumerate(top.favourites, 1))
        or f"No title has {MIN_SCORES} scores here yet.")
    embed.add_field(name="Most watched", inline=False, value="\n".join(
        f"{i}. {name[a]} · {n} member{'s' if n != 1 else ''}" for i, (a, n) in enumerate(top.most_watched, 1)) or "—")
    embed.add_field(name="Loved here, rare elsewhere", inline=False, value="\n".join(
        f"{i}. {name[a]} · loved by {n} here" for i, (a, n, _) in enumerate(top.loved_here, 1))
        or "Nothing yet: titles few MyAnimeList members watch but several here loved.")
    embed.set_footer(text=f"Favourites: mean score pulled toward the server's overall mean by {SHRINK:g} scores, "
                          f"at least {MIN_SCORES} scores. Loved here: {LOVED_HERE_MIN}+ members scored it "
                          f"{LOVED:g}+, watched by fewer than {RARE_MEMBERS:,} MyAnimeList members.")
    return fit(embed)


PRIVACY_TEXT = {
    False: "Your taste is **visible** in the servers you share with others: they can see your /taste, compare "
           "with you, and find your name among the members who loved a title.",
    True: "Your taste is **hidden**: nobody else can see your /taste or compare with you, and your name never "
          "appears under a title. Your ratings count, without your name, in a server's figures (a title's "
          f"score, its most watched) only once at least {PRIVATE_MIN_MEMBERS} hidden members are in them, as one "
          "group: with fewer, a figure could give yours away.",
}
