"""Service results as embeds: the one rendering both Discord and the console (as text) show."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import discord

from animerec.bot import limits
from animerec.bot.limits import clip, plural
from animerec.bot.service.results import (
    Because,
    ImportReport,
    RateResult,
    RatingList,
    Recommendations,
    RecommendedTitle,
    SimilarTitles,
    Stats,
    WatchParty,
)
from animerec.recsys.catalog.build import is_cjk
from animerec.recsys.catalog.catalog import Anime, Catalog
from animerec.recsys.data import DATA_CREDIT, WATCHED
from animerec.recsys.serving.group import FIGURE_WORDS, ORDER_WORDS
from animerec.recsys.serving.reasons import mostly_popular, unnamed_reason

COLOUR = discord.Colour.blurple()
RATINGS_PER_PAGE = 15
PENDING_SHOWN = 20  # /ratings names at most this many imported titles the catalog does not know yet, by id
SAME_SERIES_SHOWN = 8
VOTES = "\nVotes: "  # each watch-party pick's last line
# What follows a title's name in another version's name, saying only which version it is (another_version): an empty
# rest (the same name), a parenthesis ("(2023)", "(TV)", "(Shinsaku)"), or a first season's number.
VERSION_MARK = re.compile(r"|\(.*\)|1st Season|Season 1", re.IGNORECASE)


def fit(embed: discord.Embed) -> discord.Embed:
    """Clip every part of an embed to Discord's limits, dropping trailing fields past the total (and
    shortening the description if need be)."""
    if embed.title:
        embed.title = clip(embed.title, limits.EMBED_TITLE)
    if embed.description:
        embed.description = clip(embed.description, limits.EMBED_DESCRIPTION)
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, limits.EMBED_FOOTER))
    fields = [(clip(f.name or "", limits.FIELD_NAME), clip(f.value or "", limits.FIELD_VALUE), f.inline)
              for f in embed.fields[: limits.CHOICES]]
    embed.clear_fields()
    # Title, description and footer at their own limits already exceed the total: the description gives way.
    if (over := len(embed) - limits.EMBED_TOTAL) > 0 and embed.description:
        embed.description = clip(embed.description, len(embed.description) - over)
    for name, value, inline in fields:
        if len(embed) + len(name) + len(value) > limits.EMBED_TOTAL:
            break
        embed.add_field(name=name, value=value, inline=inline)
    return embed


def embed_to_text(embed: discord.Embed) -> str:
    """An embed as plain text, for the console."""
    parts = [f"== {embed.title} ==" if embed.title else "", embed.description or ""]
    parts += [f"{f.name}\n  " + (f.value or "").replace("\n", "\n  ") for f in embed.fields]
    parts.append(f"({embed.footer.text})" if embed.footer.text else "")
    return "\n".join(p for p in parts if p).replace("**", "")


def describe_score(rating: float) -> str:
    return "watched" if rating == WATCHED else f"{rating:g}/10"


def anime_line(anime: Anime) -> str:
    """Genres, type and episodes of a title in one line."""
    bits = [", ".join(anime.genres) or "no genres listed", anime.type or "unknown type"]
    if anime.episodes:
        bits.append(f"{anime.episodes} ep" + ("s" if anime.episodes > 1 else ""))
    return " · ".join(bits)


def rate_embed(result: RateResult) -> discord.Embed:
    embed = discord.Embed(title=Catalog.label(result.anime, limits.EMBED_TITLE), description=anime_line(result.anime),
                          colour=COLOUR)
    if result.score_kept:
        embed.add_field(name="Your score", inline=False,
                        value=f"{describe_score(result.rating)}, kept: a score already says you watched it. "
                              "To have it watched without a score, /unrate it, then /rate it watched.")
    else:
        embed.add_field(name="Your score", value=describe_score(result.rating))
        predicted = f"{result.predicted:.1f}/10" if result.predicted is not None else "— (model warming up)"
        embed.add_field(name="I had predicted", value=predicted)
        if result.previous is not None:
            embed.add_field(name="Before", value=describe_score(result.previous))
    if result.alternatives:
        others = "; ".join(result.alternatives)
        embed.add_field(name="Not this one?", inline=False,
                        value=f"That name fits more than one entry. Also: {others}. Meant another? Rate it as "
                              "written here (or pick it as you type), and /unrate this one.")
    return fit(embed)


def ratings_embed(ratings: RatingList, heading: str, page: int) -> discord.Embed:
    chunk = ratings.items[page * RATINGS_PER_PAGE : (page + 1) * RATINGS_PER_PAGE]
    lines = [f"**{Catalog.label(r.anime, 120)}** — {describe_score(r.rating)}" for r in chunk]
    empty = "No ratings of titles the catalog knows yet." if ratings.pending else "No ratings yet: use /rate or /import."
    embed = discord.Embed(title=f"{heading} ({len(ratings.items)})", colour=COLOUR,
                          description="\n".join(lines) or empty)
    footer = f"Page {page + 1}/{ratings_pages(ratings)}"
    if ratings.hidden:
        footer += f" · {plural(ratings.hidden, 'age-restricted title')} not shown in this channel"
    if ratings.pending and page == 0:
        # By id, as the export gave them: /unrate mal:<id> removes one (the catalog has no name for them yet).
        shown = ratings.pending[:PENDING_SHOWN]
        more = len(ratings.pending) - len(shown)
        embed.add_field(name=kept_until_known(len(ratings.pending)).capitalize(), inline=False,
                        value=", ".join(f"mal:{a}" for a in shown) + (f" and {more} more" if more else "")
                        + ". /unrate mal:<id> removes one.")
    embed.set_footer(text=footer)
    return fit(embed)


def ratings_pages(ratings: RatingList) -> int:
    return max(1, -(-len(ratings.items) // RATINGS_PER_PAGE))


def kept_until_known(titles: int) -> str:
    """What becomes of imported titles the catalog does not know yet."""
    they = ("it counts", "it") if titles == 1 else ("they count", "them")
    return f"{plural(titles, 'imported title')} kept; {they[0]} once the catalog knows {they[1]}"


def import_embed(report: ImportReport) -> discord.Embed:
    description = f"Added **{report.added}**, updated **{report.updated}**, unchanged {report.unchanged}."
    if not (report.added or report.updated or report.unchanged or report.dropped):
        description = "Nothing was stored: no entry of that file could be imported."
    if report.unknown:
        description += f"\n{kept_until_known(report.unknown)} (it fetches new titles every week)."
    if report.dropped:
        description += (f"\n{plural(report.dropped, 'title')} you dropped without a score: kept out of your picks, "
                        "not rated.")
    if report.repeated:
        description += (f"\n{plural(report.repeated, 'title')} listed more than once: the last entry of each "
                        "counts.")
    embed = discord.Embed(title="MyAnimeList import", colour=COLOUR, description=description)
    if report.skipped:
        embed.add_field(name="Skipped", value="\n".join(f"{n} {reason}" for reason, n in report.skipped.items()),
                        inline=False)
    return fit(embed)


def you_gave(because: Because, about: Anime) -> str:
    """'you rated Steins;Gate 9/10', or 'you watched One Punch Man' for a title watched without a score, as
    the reason for ``about``. A title of another franchise is named as its heading would be (Catalog.label,
    "Ao no Hako · Blue Box": a member who rated Blue Box would not know it by its romaji alone); one of
    about's own franchise by its name, which about's heading already puts beside its English one."""
    same = because.anime.franchise_id is not None and because.anime.franchise_id == about.franchise_id
    name = clip(because.anime.name, 80) if same else Catalog.label(because.anime, 100)
    if same and another_version(about, because.anime) and because.anime.year and because.anime.year != about.year:
        name += f" ({because.anime.year})"  # "Shaman King (2021)" because of Shaman King: which one
    return f"you watched {name}" if because.rating == WATCHED else f"you rated {name} {describe_score(because.rating)}"


def another_version(anime: Anime, of: Anime) -> bool:
    """Whether a title's name is another's with only a mark of which version it is: "Shaman King (2021)",
    "Little Witch Academia (TV)", "Fruits Basket 1st Season" (a 2019 remake) beside the first one's name."""
    rest = anime.name[len(of.name):].strip() if anime.name.startswith(of.name) else None
    return rest is not None and VERSION_MARK.fullmatch(rest) is not None


def sentence(text: str) -> str:
    """text with a full stop, unless it already ends in one (a title such as "Kimi no Na wa.")."""
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def pick_reason(pick: RecommendedTitle) -> str:
    """Why a pick is on the list, in a sentence that is true of it."""
    if pick.because is not None and pick.continues:
        gave = "watched it" if pick.because.rating == WATCHED else f"rated it {describe_score(pick.because.rating)}"
        return f"Continues {clip(pick.because.anime.name, 80)} (you {gave})"
    # A season they are behind on (a new one for a member who stopped a season earlier): what they watch first.
    catch_up = f" · catch up with {clip(pick.catch_up.name, 80)} first" if pick.catch_up is not None else ""
    if pick.because is not None:
        return f"Because {you_gave(pick.because, pick.anime)}{catch_up}"
    reason = unnamed_reason(pick.source, pick.this_season, pick.anime.members)
    return reason[0].upper() + reason[1:] + catch_up


# Why a list of new titles to discover runs short (Recommendations.discovering_new): the rest would be there for
# being widely watched, which is no discovery.
UNTASTED_NEW = "the other new titles are ones your ratings say nothing of, or I predict below your usual score"
# What a list of new titles there mostly for popularity (reasons.mostly_popular) says under its picks.
WIDELY_WATCHED_NEW = "Ask again with discover for new titles closer to what you rate highly."


def empty_picks(recs: Recommendations) -> str:
    """What a list with no picks says: why, as far as the request tells."""
    if recs.discovering_new and not recs.later:
        return f"No discoveries with these options: {UNTASTED_NEW}. Rate a few more titles and ask again."
    if recs.later:
        return "No more good matches" + (" with these options." if recs.filtered else
                                         ". Rate a few more titles and ask again.")
    if recs.filtered:
        return ("No good matches with these options: what fits them you have rated, or I predict it below your "
                "usual score. Try wider ones.")
    return ("No good matches: I predict every title you haven't rated below your usual score. Rate a few more "
            "titles and ask again.")


def recommend_embed(recs: Recommendations, heading: str = "Picks for you") -> discord.Embed:
    if recs.discover:  # says the mode changed: less-watched titles, of series the member has not started
        heading = heading.replace("Picks", "Discoveries").replace("picks", "discoveries")
    embed = discord.Embed(title=heading, colour=COLOUR)
    if recs.new_since is not None:
        heading += f" · first aired since {recs.new_since:%B %Y}"
        embed.title = heading
    if not recs.picks:
        embed.description = empty_picks(recs)
    elif recs.short:
        rest = UNTASTED_NEW if recs.discovering_new else "the rest would be predicted below your usual score"
        embed.description = (f"Only {len(recs.picks)} good match{'es' if len(recs.picks) > 1 else ''}"
                             f"{' with these options' if recs.filtered else ''}: {rest}.")
    for rank, pick in enumerate(recs.picks, 1):
        # The series count on the pick's own line: after "Because you rated X" it read as X's series.
        more = f" · +{pick.more_in_series} more in this series" if pick.more_in_series else ""
        value = f"Match **{pick.match:.0%}** · {anime_line(pick.anime)}{more}\n{pick_reason(pick)}"
        embed.add_field(name=f"{rank}. {Catalog.label(pick.anime, 200)}", value=value, inline=False)
    if recs.seen_these:
        embed.add_field(name="Seen these? Rate them to sharpen your picks",
                        value="\n".join(f"{Catalog.label(a, 90)} ({a.type or '?'})" for a in recs.seen_these),
                        inline=False)
    # A list of new titles there mostly for popularity points to discover, but for a member asked to rate a few
    # more first: with two ratings, discover finds next to nothing.
    if recs.new_since is not None and not recs.discover and not recs.onboarding \
            and mostly_popular((p.because, p.source) for p in recs.picks):
        embed.add_field(name="Mostly picked for being widely watched", value=WIDELY_WATCHED_NEW, inline=False)
    if recs.onboarding:
        embed.add_field(name="Rate a few of these too (3 or more ratings give better picks)",
                        value="\n".join(Catalog.label(a, limits.CHOICE_NAME) for a in recs.onboarding), inline=False)
    embed.set_footer(text="Match: how likely members with your taste go on to watch it. The list is in that order.")
    return fit(embed)


def onboarding_embed(titles: list[Anime], given: Mapping[int, float] | None = None) -> discord.Embed:
    embed = discord.Embed(
        title="Let's get to know your taste",
        description="Rate a few titles you've seen (3 or more give good picks), then ask for recommendations.",
        colour=COLOUR,
    )
    for anime in titles:
        rated = (given or {}).get(anime.anime_id)
        mark = f"\nYou: {describe_score(rated)}" if rated is not None else ""
        embed.add_field(name=Catalog.label(anime, limits.FIELD_NAME), value=anime_line(anime) + mark, inline=False)
    return fit(embed)


def similar_embed(result: SimilarTitles) -> discord.Embed:
    embed = discord.Embed(title=f"Similar to {Catalog.label(result.source, 200)}", colour=COLOUR)
    if not result.neighbours:
        embed.description = "Nothing similar with these filters."
    for rank, n in enumerate(result.neighbours, 1):
        # A sequel film shown under type=Movie to someone who has not started its series: where to begin.
        start = f"\nComes later in its series: start with {Catalog.label(n.starts_at, 120)}" if n.starts_at else ""
        embed.add_field(name=f"{rank}. {Catalog.label(n.anime, 200)}",
                        value=f"Similarity {n.similarity:.2f} · {anime_line(n.anime)}{start}", inline=False)
    if result.same_series:
        names = [series_entry(a) for a in result.same_series[:SAME_SERIES_SHOWN]]
        more = len(result.same_series) - len(names)
        embed.add_field(name="Same series", value="; ".join(names) + (f" and {more} more" if more > 0 else ""),
                        inline=False)
    return fit(embed)


def series_entry(anime: Anime) -> str:
    """A title as /similar's "Same series" names it: by its name, and where that is in Japanese script alone
    (a film or a recap known from bangumi-data, none of which has an English title) with its type and year:
    劇場総集編ぼっち・ざ・ろっく！ Re: (Movie, 2024), which tell a fan who does not read it what it is."""
    name = clip(anime.name, 80)
    if not is_cjk(anime.name):
        return name
    detail = ", ".join(str(x) for x in (anime.type, anime.year) if x)
    return name + (f" ({detail})" if detail else "")


def watchparty_embed(party: WatchParty, names: Mapping[int, str], skipped: Sequence[int] = ()) -> discord.Embed:
    """A new party, no votes yet; skipped: mentioned ids that are not members of the server."""
    description = f"Strategy: {party.strategy_description}."
    if party.picks:
        description += f" In order of {ORDER_WORDS[party.strategy]}."
    # Beside the named members' predictions, a group figure tells a hidden member's (with two, 2 x average
    # less the other): a party with one keeps its order and shows no figure.
    if party.picks and party.private:
        hidden = [names.get(m, str(m)) for m in sorted(party.private)]
        who = hidden[0] if len(hidden) == 1 else f"{', '.join(hidden[:-1])} and {hidden[-1]}"
        description += f"\nNo group figures: {who} {'keeps' if len(hidden) == 1 else 'keep'} their taste private."
    if skipped:  # a mention in an embed pings nobody
        description += f"\nSkipped, not members of this server: {', '.join(f'<@{m}>' for m in skipped)}."
    if party.withheld:
        who = ", ".join(names.get(m, str(m)) for m in party.withheld)
        one = len(party.withheld) == 1
        description += (f"\n{who}: {'keeps' if one else 'keep'} their taste private, so left out. A party "
                        f"{'they start' if one else 'one of them starts'} takes {'them' if one else 'that one'} in.")
    if party.unrated:
        who = ", ".join(names.get(m, str(m)) for m in party.unrated)
        description += f"\n{who}: no ratings yet, so left out. Rate a few with /rate and ask again!"
    if not party.members:
        description += "\nNobody in this group has rated anything yet."
    elif len(party.members) == 1:
        description += (f"\nThat leaves only {names.get(party.members[0], str(party.members[0]))}: there is no one "
                        "else to party with. /recommend has picks for one.")
    elif not party.picks:
        description += ("\nNo good matches for this group: I predict what is left, after the options and the titles "
                        "you rated, below what you usually score. Try wider options or another strategy.")
    if party.watched_before:
        seen = "; ".join(f"{clip(a.name, 60)} ({n} watched)" for a, n in party.watched_before)
        description += f"\nThis group watched together before: {seen}. Not offered again."
    embed = discord.Embed(title=f"Watch party: {party.strategy.replace('_', ' ')}", colour=COLOUR,
                          description=description)
    for rank, pick in enumerate(party.picks, 1):
        scores = ", ".join(f"{names.get(m, str(m))} {'(private)' if m in party.private else f'{p:.1f}'}"
                           for m, p in zip(party.members, pick.predictions))
        more = f" · +{pick.more_in_series} more in this series" if pick.more_in_series else ""
        figure = f"{FIGURE_WORDS[party.strategy].capitalize()} **{pick.figure:.1f}** · " \
            if pick.figure is not None and not party.private else ""
        embed.add_field(name=f"{rank}. {Catalog.label(pick.anime, 200)}",
                        value=f"{figure}{anime_line(pick.anime)}{more}\nPredicted: {scores}{VOTES}0", inline=False)
    return fit(embed)


def with_watched(embed: discord.Embed, anime: Anime, confirmed: int) -> discord.Embed:
    """A posted watch-party embed saying which pick the group watched, and how many confirmed."""
    embed.set_footer(text=f"We watched it: {clip(anime.name, 100)} · {confirmed} member"
                          f"{'s' if confirmed != 1 else ''} confirmed")
    return embed


def with_votes(embed: discord.Embed, votes: Mapping[int, int]) -> discord.Embed:
    """A posted watch-party embed with its tallies set (votes: rank -> number). Rebuilt from the message
    itself, so nothing of the party but the votes needs storing."""
    for index, f in enumerate(embed.fields):
        value = f.value or ""
        head, found, _ = value.rpartition(VOTES)
        head = head if found else value  # clipped by fit(): add the line back
        embed.set_field_at(index, name=f.name, value=f"{head}{VOTES}{votes.get(index + 1, 0)}", inline=f.inline)
    return embed


def stats_embed(stats: Stats, now: datetime | None = None) -> discord.Embed:
    """/stats for members: the model in words (its age, what it learned from, how good it is)."""
    embed = discord.Embed(title="About my recommendations", colour=COLOUR)
    meta = stats.meta
    if meta is not None:
        lines = [f"My model is {_age(meta.trained_at, now)} old. It learned from "
                 f"{meta.counts.dataset_interactions:,} ratings and watches of MyAnimeList members and "
                 f"{meta.counts.community_interactions:,} from this bot's members."]
        served = meta.evaluation.get("p80")
        if isinstance(served, Mapping) and "recall20" in served:
            lines.append(f"Tested on members it had never seen, {served['recall20']:.0%} of the titles they went on "
                         f"to watch were among its 20 picks, and it guessed their scores within "
                         f"{served['mae']:.1f} points on average.")
        else:
            lines.append("This model was not evaluated (a quick test model), so I can't say how good it is.")
    elif stats.next_training_at:
        lines = [f"I have no model yet: my first training failed; the next try is at {stats.next_training_at}."]
    else:
        lines = ["I have no model yet: the first one is training."]
    lines.append(f"Members here have given {plural(stats.community_ratings, 'rating')} "
                 f"({plural(stats.community_members, 'member')}); each retrain learns from all of them.")
    if stats.training_since:
        ago = _seconds_ago(stats.training_since, now)
        since = "started a while ago" if ago is None else f"started {_duration(ago)} ago"
        lines.append(f"A retrain is running ({since}); I keep answering meanwhile.")
    if stats.catalog:
        lines.append(f"Catalog: {stats.catalog}.")
    embed.description = "\n\n".join(lines)
    embed.set_footer(text=DATA_CREDIT)
    return fit(embed)


def stats_figures_embed(stats: Stats) -> discord.Embed:
    """/stats details, for server managers: the served model's figures and the retrain history."""
    embed = discord.Embed(title="animerec figures", colour=COLOUR)
    meta = stats.meta
    evaluation = meta.evaluation if meta is not None else {}
    if meta is not None:
        c = meta.counts
        embed.add_field(name="Model", value=f"{meta.version}\ntrained {meta.trained_at}")
        embed.add_field(name="Trained on", value=(
            f"{c.dataset_interactions:,} dataset + {c.community_interactions:,} community "
            f"interactions\n{c.users:,} users · {c.items:,} titles"))
    for protocol, figures in evaluation.items():
        if isinstance(figures, Mapping):
            shown = ", ".join(f"{FIGURE_NAMES.get(k, k)} {v:.3f}" for k, v in figures.items()
                              if isinstance(v, float) and k in FIGURE_NAMES)
            embed.add_field(name=f"Evaluation, protocol {protocol} (docs/evaluation.md)", value=shown or "—",
                            inline=False)
    if not evaluation:
        embed.add_field(name="Evaluation", value="none recorded for this model", inline=False)
    if stats.last_training:
        last = stats.last_training
        embed.add_field(name="Last retrain", value=f"{last.status} at {last.finished_at}", inline=False)
    if stats.last_failure:
        fail = stats.last_failure
        embed.add_field(name="Last failed retrain", value=f"{fail.finished_at}: {fail.error}", inline=False)
    return fit(embed)


FIGURE_NAMES = {"ndcg10": "NDCG@10", "recall20": "Recall@20", "fresh_ndcg10": "fresh NDCG@10", "rmse": "RMSE",
                "mae": "MAE", "earlier10": "earlier entries/10", "extra10": "extra same-series/10",
                "outside_top100": "outside top 100"}


def _seconds_ago(iso: str | None, now: datetime | None = None) -> float | None:
    """How long ago an ISO time was, in seconds; None when it is no time."""
    try:
        then = datetime.fromisoformat(iso or "")
    except ValueError:
        return None
    return max(0.0, ((now or datetime.now(UTC)) - then).total_seconds())


def _age(iso: str | None, now: datetime | None = None) -> str:
    """'3 hours', '2 days': how long ago an ISO time was."""
    seconds = _seconds_ago(iso, now)
    return "of unknown age, so some hours" if seconds is None else _duration(seconds)


def _duration(seconds: float) -> str:
    """'3 hours', '2 days', 'less than a minute'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return "less than a minute"
