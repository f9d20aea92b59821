"""Why a pick with no title of the member's to name is on a list, and what a /score prediction that names none is
made from, in words true of where its score comes from.

A trained title's vector is learnt from members' watching, so "popular with members who like what you like"
holds. A title without interactions holds a vector from one of coldstart.SOURCES, and only some of them say
anything of members: the community's raters do, a franchise's earlier entries do (their fans), while a content
estimate (genres, themes, studios, source) and the popularity prior do not, so those never speak of members.
"""

from __future__ import annotations

from collections.abc import Iterable

LIKE_YOU = "popular with members who like what you like"

_BY_SOURCE = {
    None: LIKE_YOU,
    "community": "rated highly by members here who like what you like",
    "franchise": "its series is popular with members who like what you like",
    # Not "new": /recommend new means the last 12 months, and a content guess can be a 2017 title.
    "content": "close in genre, themes and studio to what you like",
    "prior": "widely watched on MyAnimeList",
}
# A title popularity put on a list that few have watched (MyAnimeList members under WIDELY_WATCHED; no count
# at all for a film known from bangumi-data alone): "widely watched" would be untrue. "One of this season's
# most watched" compares it with the season's other shows, and holds while it has a count at all.
WIDELY_WATCHED = 10_000
_LITTLE_KNOWN = "little known on MyAnimeList so far"
_UNCOUNTED_THIS_SEASON = "new this season; little is known of it yet"

_THIS_SEASON = {
    "community": "popular this season with members of similar taste",
    "franchise": "new this season in a series members like you enjoy",
    "content": "new this season, and close in genre, themes and studio to what you like",
    "prior": "one of this season's most watched",
}


# What a 1-10 prediction that names no title of the member's is made from, by the same sources: /score. A new
# season's vector is half its predecessor's, half a content guess (ColdConfig.franchise_weight).
_PREDICTED_FROM = {
    None: "from members whose taste is like yours",
    "community": "from the members who rated it, beside your taste",
    # "Other", not "earlier": One Piece, which the 2016 sample lacks, has its vector from its films.
    "franchise": "from the other entries of its series and titles like it, beside how you rate",
    "content": "from its genres, themes and studio, beside how you rate",
    "prior": "your usual score: nothing more is known of it yet",
}
# A content guess whose bias comes from its score (ColdVectors.scored): MyAnimeList's for a bundled title,
# AniList's mean over 10 for one a catalog refresh fetched.
_SCORED_CONTENT = "from its genres, themes, studio and average score, beside how you rate"
_NO_GENRES = "from little more than its type and year, beside how you rate"


def prediction_basis(source: str | None, scored: bool = False, genres: bool = True) -> str:
    """What a prediction that names no title is made from, in words true of ``source`` (as unnamed_reason):
    ``scored``, whether its bias comes from its score (ColdVectors.scored); ``genres``, whether the catalog
    lists any for it (a film known from bangumi-data alone has none: its content guess is its type and years).
    A title the model does not serve yet (added to the catalog since the last retrain) is predicted as "prior"."""
    if source == "content" and not genres:
        return _NO_GENRES
    return _SCORED_CONTENT if source == "content" and scored else _PREDICTED_FROM[source]


def unnamed_reason(source: str | None, this_season: bool = False, members: int | None = None) -> str:
    """The reason for a pick that names no title of the member's: ``source`` is where a title without
    interactions has its vector from (None for a trained title), ``this_season`` whether it first aired
    within the current season's window, ``members`` its MyAnimeList members (None: not known here)."""
    if source == "prior" and members is not None:
        if this_season and members == 0:
            return _UNCOUNTED_THIS_SEASON
        if not this_season and members < WIDELY_WATCHED:
            return _LITTLE_KNOWN
    if this_season and source in _THIS_SEASON:
        return _THIS_SEASON[source]
    return _BY_SOURCE[source]


def mostly_popular(picks: Iterable[tuple[object | None, str | None]]) -> bool:
    """Whether half or more of a list's picks, each given as (the member's title it names, its source), name none
    and are there for popularity (source "prior": "widely watched on MyAnimeList"). A list of new titles leans
    that way (docs/evaluation.md, how personal the lists are), and then says /recommend discover is the way to
    ones closer to the member's taste."""
    pairs = list(picks)
    return 2 * sum(because is None and source == "prior" for because, source in pairs) >= max(len(pairs), 1)
