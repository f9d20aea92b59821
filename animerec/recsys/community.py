"""A server as a community: where a member sits on a map of the catalog, how their genres compare with
the server's, how alike two members' tastes are, and what the server as a whole thinks of titles.

Plain numpy over ratings the caller gathered (the bot scopes them to a server's members); no Discord,
no database. Scores are 1-10, WATCHED (-1) is "watched, no score", as everywhere in recsys.

* The map (CatalogMap) is a PCA projection of the /similar item embeddings (animerec.recsys.algorithms.embeddings: the
  item-kNN cosine factorization with genres appended), its axes fit on the most watched titles, whose
  embeddings are the least noisy; every title is projected on them. A member's place is the mean of
  the titles they liked (their scores at or above member_floor, and titles watched without a score),
  which, PCA being linear, is also the projection of their mean embedding.
* Affinity blends two figures by how many titles both members scored: agreement on those titles (the
  cosine of their scores centred on each member's own mean, mapped to 0-1), and the cosine of their
  folded-in taste vectors with the catalog's popularity direction taken out (everyone watches the
  blockbusters; that says nothing about two people). With few titles in common the taste vectors
  speak; with many, the scores themselves do.
* Server scores shrink each title's mean toward the server's overall mean by a pseudo-count, and list
  only titles with a minimum number of scores, so one member's 10 does not top the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from animerec.recsys.data import WATCHED
from animerec.recsys.model import RATING_MAX, FoldedUser, ModelConfig, Recommender
from animerec.recsys.serving.rules import DISLIKED, liked, member_floor

LOVED = 9.0  # a score this high: the member loved it
# A figure over several members (a count, a mean, a histogram, a "loved it" tally, a top list) takes in
# the members who keep their taste hidden only when at least this many hidden members are in it, and then
# as one group. Counted among all the members in it instead, one hidden member's score came out of the
# figure and the visible members' own scores, which anyone reads; or a member whose own rating moved the
# figure across the line read it from the change.
PRIVATE_MIN_MEMBERS = 5
FAVOURITE = 8.0  # shared favourites: both members scored it at least this, and at least what each likes
DISAGREEMENT = 3.0  # a biggest disagreement differs by at least this much
MOVES_TOGETHER_FROM = 3  # shared titles from which agreement is how the scores move together (score_agreement)
AGREEMENT_PIVOT = 5.0  # titles scored by both at which agreement and taste vectors weigh the same
MIN_SCORES = 3  # a server favourite needs this many scores
SHRINK = 5.0  # pseudo-count of the server's overall mean in a title's server mean
# "Rare elsewhere": fewer MyAnimeList members than this (Catalog.members_now, one scale for old and new titles).
# On the trained titles it agrees with the rule it replaced (at most 5% of the training sample's members gave
# it) on 97% of titles, and finds as many rare (6,831 against 6,832), but it knows the titles after the sample:
# by their share of the sample, Frieren and Jujutsu Kaisen (0%) were "rare elsewhere".
RARE_MEMBERS = 250_000
# The lift that orders them (loved here against watched elsewhere) counts this many MyAnimeList members for
# every title, so that a title with few still needs lovers here to lead.
LIFT_PRIOR_MEMBERS = 25_000
LOVED_HERE_MIN = 2  # "loved here": at least this many members of the server scored it LOVED or more
MAP_FIT_TOP = 3000  # the map's axes are fit on this many of the most watched titles
LEAN_MIN_SHARE = 0.15  # a genre the member leans to covers at least this share of what they liked
LEAN_MIN_LIFT = 1.25  # ... and at least this many times the server's share
WATCHED_LIKING = ModelConfig.watched_weight  # a title watched without a score: the model's default weight


def liked_titles(ratings: Mapping[int, float]) -> dict[int, float]:
    """The titles a member liked: scored at or above member_floor (as their picks read it) or watched; where
    they stand on the map, and what /compare's taste vectors are folded in from. From every title they gave,
    two members who scored the same three titles 10 and 1 were "62% alike"."""
    floor = member_floor(ratings)
    return {a: r for a, r in ratings.items() if liked(r, floor)}


def liking(rating: float) -> float:
    """How much a rating says the member liked a title, 0-1: scores above DISLIKED linearly, those at or
    under it nothing, watched half (the model's own confidence weight, animerec.recsys.model.confidence_weight).
    At score / 10 for every score, a member's five science-fiction mecha shows at 1 to 3 counted as a third of
    a liked title each, and /taste said they leaned to Sci-Fi more than the server."""
    if rating <= 0:
        return WATCHED_LIKING
    return rating / RATING_MAX if rating > DISLIKED else 0.0


# ------------------------------------------------------------------------------------------ the map


@dataclass(frozen=True)
class CatalogMap:
    """Every title of a model at a 2-D point: the first two principal components of its embedding."""

    item_ids: np.ndarray  # int64, the model's item order
    xy: np.ndarray  # float64 (n, 2)
    popularity: np.ndarray  # interactions per title in training
    explained: tuple[float, float]  # share of the fit titles' variance along each axis
    _index: dict[int, int] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def build(cls, vectors: np.ndarray, item_ids: np.ndarray, popularity: np.ndarray,
              fit_top: int = MAP_FIT_TOP) -> CatalogMap:
        V = np.asarray(vectors, np.float64)
        popularity = np.asarray(popularity)
        nonzero = np.flatnonzero(np.linalg.norm(V, axis=1) > 0)
        fit = nonzero[np.argsort(-popularity[nonzero], kind="stable")[:fit_top]]
        if len(fit) < 3:
            raise ValueError("a map needs at least three titles with embeddings")
        mean = V[fit].mean(axis=0)
        _, s, vt = np.linalg.svd(V[fit] - mean, full_matrices=False)
        axes = vt[:2]
        xy = (V - mean) @ axes.T
        # PCA's signs are arbitrary: put the most watched title on the positive side of both axes, so
        # a retrained model draws the same picture the same way round.
        top = fit[0]
        xy *= np.where(xy[top] < 0, -1.0, 1.0)
        xy[np.linalg.norm(V, axis=1) == 0] = np.nan  # no embedding, no place
        total = float((s**2).sum()) or 1.0
        ids = np.asarray(item_ids, np.int64)
        return cls(ids, xy, popularity, (float(s[0] ** 2 / total), float(s[1] ** 2 / total)),
                   {int(a): i for i, a in enumerate(ids.tolist())})

    @classmethod
    def of(cls, model: Recommender) -> CatalogMap:
        """Every served title, those without interactions too (Recommender.similar_space); the axes are
        fit on the most watched trained titles, as before there were any."""
        ids, vectors = model.similar_space()
        popularity = np.zeros(len(ids), model.item_popularity.dtype)
        popularity[: model.n_items] = model.item_popularity
        return cls.build(vectors, ids, popularity)

    def point(self, anime_id: int) -> tuple[float, float] | None:
        i = self._index.get(int(anime_id))
        if i is None or not np.isfinite(self.xy[i]).all():
            return None
        return float(self.xy[i, 0]), float(self.xy[i, 1])

    def place(self, ratings: Mapping[int, float]) -> tuple[float, float] | None:
        """A member's place: the liking-weighted mean of the titles they liked (scored at or above
        member_floor, as their picks read it, or watched); the plain mean of all their titles when none of
        those counts (a member who gave only dislikes); None off the map. At their mean score instead, a
        newcomer's 9 beside a 10 (A Silent Voice 10, Your Lie in April 9) counted as not liked, and they
        stood on the 10 alone."""
        liked = {a: liking(r) for a, r in liked_titles(ratings).items()}
        return self.weighted_place(liked) or self.weighted_place(dict.fromkeys(ratings, 1.0))

    def weighted_place(self, weights: Mapping[int, float]) -> tuple[float, float] | None:
        """The weighted mean of the titles' points (anime id -> weight; titles off the map or of no
        weight count for nothing); None when none counts."""
        points, w = [], []
        for a, weight in weights.items():
            p = self.point(a)
            if p is not None and weight > 0:
                points.append(p)
                w.append(weight)
        if not points:
            return None
        x, y = np.average(np.array(points), axis=0, weights=np.array(w))
        return float(x), float(y)

    def landmarks(self, n: int, *, min_distance: float = 0.12, exclude: Iterable[int] = (),
                  allowed: Iterable[int] | None = None) -> list[int]:
        """Up to n titles to label, most watched first, none within min_distance (a share of the map's
        width) of one already taken: a sparse set of signposts spread over the map."""
        finite = np.isfinite(self.xy).all(axis=1)
        span = (float(np.ptp(self.xy[finite, 0])) if finite.any() else 0.0) or 1.0
        skip = {int(a) for a in exclude}
        allowed_set = None if allowed is None else {int(a) for a in allowed}
        chosen: list[int] = []
        taken: list[np.ndarray] = []
        for i in np.argsort(-self.popularity, kind="stable").tolist():
            a = int(self.item_ids[i])
            if not finite[i] or a in skip or (allowed_set is not None and a not in allowed_set):
                continue
            if any(np.hypot(*(self.xy[i] - t)) < min_distance * span for t in taken):
                continue
            chosen.append(a)
            taken.append(self.xy[i])
            if len(chosen) == n:
                break
        return chosen


# ------------------------------------------------------------------------------------------ genres


@dataclass(frozen=True)
class GenreProfile:
    genres: tuple[str, ...]  # the genres shown, the member's biggest first
    member: tuple[float, ...]  # share of what the member liked that has each genre (0-1)
    server: tuple[float, ...]  # the same over the server's members
    leans: tuple[str, ...]  # genres the member likes clearly more than the server, strongest first


def genre_shares(weights: Mapping[int, float], genres_of: Mapping[int, Sequence[str]]) -> dict[str, float]:
    """genre -> the weighted share of titles carrying it (a title with three genres counts for each)."""
    total = 0.0
    out: dict[str, float] = {}
    for a, w in weights.items():
        genres = genres_of.get(a)
        if genres is None or w <= 0:
            continue
        total += w
        for g in genres:
            out[g] = out.get(g, 0.0) + w
    return {g: v / total for g, v in out.items()} if total else {}


def genre_profile(member: Mapping[int, float], server: Mapping[int, float], genres_of: Mapping[int, Sequence[str]],
                  n: int = 8) -> GenreProfile:
    """The member's genre shares beside the server's. member: anime id -> rating; server: anime id ->
    summed liking over the server's members (ServerTally.liking_weights)."""
    mine = genre_shares({a: liking(r) for a, r in member.items()}, genres_of)
    theirs = genre_shares(server, genres_of)
    lifts = {g: mine[g] / (theirs.get(g, 0.0) + 0.02) for g in mine
             if mine[g] >= LEAN_MIN_SHARE and mine[g] >= LEAN_MIN_LIFT * theirs.get(g, 0.0)}
    leans = tuple(sorted(lifts, key=lambda g: (-lifts[g], g))[:2])
    # The member's biggest genres, and the ones they lean to even when those are smaller.
    biggest = sorted(mine, key=lambda g: (-mine[g], g))
    extra = [g for g in leans if g not in biggest[:n]]
    shown = sorted({*biggest[: n - len(extra)], *extra}, key=lambda g: (-mine[g], g))
    return GenreProfile(tuple(shown), tuple(mine[g] for g in shown), tuple(theirs.get(g, 0.0) for g in shown), leans)


def rating_offset(member: Mapping[int, float], tally: ServerTally, min_titles: int = 3, *,
                  hidden: bool = False) -> tuple[float, int] | None:
    """How far above (+) or below (-) the rest of the server the member scores the same titles: the mean
    of (their score - the others' mean score) over titles some other member scored, with the count;
    None with fewer than min_titles such titles. ``hidden``: the member keeps their taste hidden, so a
    title's counts hold their score only where they take in hidden members (ServerTally.with_hidden)."""
    diffs = []
    for a, r in member.items():
        i = tally.index_of(a)
        if r <= 0 or i is None:
            continue
        own = not hidden or bool(tally.with_hidden[i])  # the tally counts the member too
        others = tally.scored[i] - own
        if others >= 1:
            diffs.append(r - (tally.score_sum[i] - r * own) / others)
    if len(diffs) < min_titles:
        return None
    return float(np.mean(diffs)), len(diffs)


# ------------------------------------------------------------------------------------------ affinity


@dataclass(frozen=True)
class Affinity:
    score: float  # 0-1, what is shown as a percentage
    agreement: float | None  # 0-1 on the titles both scored (None: no title in common)
    taste: float  # 0-1, similarity of the folded-in taste vectors
    both_scored: int  # titles both members scored
    weight: float  # agreement's share in score: both_scored / (both_scored + AGREEMENT_PIVOT)
    favourites: tuple[int, ...]  # titles both scored FAVOURITE or more, the most loved first
    disagreement: tuple[int, float, float] | None  # (title, a's score, b's score) furthest apart


def popularity_direction(model: Recommender) -> np.ndarray:
    """The unit direction of the item factors weighted by popularity: what every taste vector shares."""
    d = model.item_popularity.astype(np.float64) @ model.item_factors.astype(np.float64)
    return d / max(float(np.linalg.norm(d)), 1e-12)


def taste_similarity(a: FoldedUser, b: FoldedUser, direction: np.ndarray | None = None) -> float:
    """0-1: the cosine of two folded-in preference vectors, less their component along ``direction``
    (popularity_direction), mapped from [-1, 1]; 0.5 when either is empty."""
    x, y = a.pref.astype(np.float64), b.pref.astype(np.float64)
    if direction is not None:
        x = x - (x @ direction) * direction
        y = y - (y @ direction) * direction
    nx, ny = np.linalg.norm(x), np.linalg.norm(y)
    if nx < 1e-12 or ny < 1e-12:
        return 0.5
    return float((1.0 + np.clip(x @ y / (nx * ny), -1.0, 1.0)) / 2.0)


def score_agreement(a: Mapping[int, float], b: Mapping[int, float]) -> tuple[float | None, int]:
    """0-1 agreement on the titles both scored: the cosine of the two members' scores there, each centred
    on the member's own mean score, mapped from [-1, 1] (two members who score every shared title the
    same distance from their own means agree fully); with the number of such titles. Fewer than
    MOVES_TOGETHER_FROM shared titles, or no spread around either mean, say how close the two scores are,
    not how they move together, so the pair agrees by closeness: 1 - mean |difference| / 9 (on one title
    the cosine is only the sign of the two deviations: 8 and 9 of Attack on Titan from members whose means
    are 9.0 and 8.5 read as 0% agreement)."""
    shared = [t for t, r in a.items() if r > 0 and b.get(t, WATCHED) > 0]
    if not shared:
        return None, 0
    mean_a = float(np.mean([r for r in a.values() if r > 0]))
    mean_b = float(np.mean([r for r in b.values() if r > 0]))
    ra = np.array([a[t] for t in shared], np.float64)
    rb = np.array([b[t] for t in shared], np.float64)
    ca, cb = ra - mean_a, rb - mean_b
    na, nb = np.linalg.norm(ca), np.linalg.norm(cb)
    if len(shared) < MOVES_TOGETHER_FROM or na < 1e-9 or nb < 1e-9:
        return float(1.0 - np.abs(ra - rb).mean() / 9.0), len(shared)
    return float((1.0 + np.clip(ca @ cb / (na * nb), -1.0, 1.0)) / 2.0), len(shared)


def affinity(a: Mapping[int, float], b: Mapping[int, float], user_a: FoldedUser, user_b: FoldedUser,
             direction: np.ndarray | None = None) -> Affinity:
    agreement, n = score_agreement(a, b)
    taste = taste_similarity(user_a, user_b, direction)
    weight = n / (n + AGREEMENT_PIVOT)
    score = taste if agreement is None else weight * agreement + (1.0 - weight) * taste
    both = [t for t, r in a.items() if r > 0 and b.get(t, WATCHED) > 0]
    # Loved by each as they score: an 8 from a member whose scores average 9 is under what they like.
    bar_a, bar_b = max(FAVOURITE, member_floor(a)), max(FAVOURITE, member_floor(b))
    favourites = sorted((t for t in both if a[t] >= bar_a and b[t] >= bar_b),
                        key=lambda t: (-min(a[t], b[t]), -(a[t] + b[t]), t))
    apart = max(both, key=lambda t: (abs(a[t] - b[t]), t), default=None)
    disagreement = (apart, a[apart], b[apart]) if apart is not None and abs(a[apart] - b[apart]) >= DISAGREEMENT \
        else None
    return Affinity(float(score), agreement, taste, n, weight, tuple(favourites), disagreement)


# ------------------------------------------------------------------------------------------ the server


@dataclass(frozen=True)
class ServerTally:
    """Per-title counts over a server's members (each member counted once per title)."""

    anime_ids: np.ndarray  # int64
    given: np.ndarray  # members who scored or watched it
    scored: np.ndarray  # members who scored it
    score_sum: np.ndarray  # the sum of those scores
    liked_sum: np.ndarray  # the sum of those above DISLIKED (what liking() counts of them)
    loved: np.ndarray  # members who scored it LOVED or more
    members: int  # members with at least one title
    with_hidden: np.ndarray  # bool per title: its counts take in the hidden members who gave it
    members_with_hidden: bool  # the member count takes in the hidden members
    _index: dict[int, int] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_counts(cls, rows: Iterable[tuple[int, int, int, float, float, int]], members: int,
                    with_hidden: Iterable[bool] | None = None, members_with_hidden: bool = True) -> ServerTally:
        """From (anime_id, given, scored, score_sum, liked_sum, loved) rows, as a GROUP BY returns them;
        ``with_hidden`` per row (default: every row counts everyone)."""
        rows = list(rows)
        cols = list(zip(*rows)) if rows else [()] * 6
        ids = np.array(cols[0], np.int64)
        hidden_in = np.ones(len(ids), bool) if with_hidden is None else np.fromiter(with_hidden, bool, len(ids))
        return cls(ids, np.array(cols[1], np.int64), np.array(cols[2], np.int64), np.array(cols[3], np.float64),
                   np.array(cols[4], np.float64), np.array(cols[5], np.int64), members, hidden_in,
                   members_with_hidden, {int(a): i for i, a in enumerate(ids.tolist())})

    @classmethod
    def from_split_rows(cls, rows: Iterable[tuple[int, bool, int, int, float, float, int]], members: Mapping[bool, int],
                min_members: int = PRIVATE_MIN_MEMBERS) -> ServerTally:
        """From (anime_id, hidden, given, scored, score_sum, liked_sum, loved) rows, split by whether the members keep
        their taste hidden, and member counts by the same split (hidden -> members with a rating): a
        title's counts, and the member count, take in hidden members only when at least min_members hidden
        members are in them (PRIVATE_MIN_MEMBERS)."""
        split: dict[int, dict[bool, tuple[int, int, float, float, int]]] = {}
        for anime_id, hidden, *counts in rows:
            split.setdefault(int(anime_id), {})[bool(hidden)] = tuple(counts)  # type: ignore[assignment]
        out, with_hidden = [], []
        for anime_id, parts in sorted(split.items()):
            kept = [p for hidden, p in parts.items() if not hidden or p[0] >= min_members]
            if kept:
                out.append((anime_id, *(sum(col) for col in zip(*kept))))
                with_hidden.append(parts.get(True, (0,))[0] >= min_members)
        hidden_members = members.get(True, 0)
        counted = hidden_members >= min_members
        return cls.from_counts(out, members.get(False, 0) + hidden_members * counted, with_hidden, counted)

    @classmethod
    def from_ratings(cls, ratings: Mapping[int, Mapping[int, float]]) -> ServerTally:
        """From member id -> (anime id -> rating)."""
        acc: dict[int, list] = {}
        for given in ratings.values():
            for a, r in given.items():
                row = acc.setdefault(int(a), [0, 0, 0.0, 0.0, 0])
                row[0] += 1
                if r > 0:
                    row[1] += 1
                    row[2] += r
                    row[3] += r if r > DISLIKED else 0.0
                    row[4] += r >= LOVED
        return cls.from_counts(((a, *row) for a, row in sorted(acc.items())),
                               sum(1 for g in ratings.values() if g))

    def index_of(self, anime_id: int) -> int | None:
        return self._index.get(int(anime_id))

    @property
    def mean_score(self) -> float:
        """The mean of every score given in the server (7.5 with none)."""
        n = int(self.scored.sum())
        return float(self.score_sum.sum() / n) if n else 7.5

    def liking_weights(self) -> dict[int, float]:
        """anime id -> summed liking over the members (liking(): score / 10 above DISLIKED, watched 0.5)."""
        watched = self.given - self.scored
        w = self.liked_sum / RATING_MAX + WATCHED_LIKING * watched
        return dict(zip(self.anime_ids.tolist(), w.tolist()))

    def shrunk_means(self, shrink: float = SHRINK) -> np.ndarray:
        """Each title's mean score pulled toward the server's mean by ``shrink`` pseudo-scores."""
        return (self.score_sum + shrink * self.mean_score) / (self.scored + shrink)


@dataclass(frozen=True)
class ServerTop:
    favourites: list[tuple[int, float, int]]  # (anime id, shrunk mean, scores), best first
    most_watched: list[tuple[int, int]]  # (anime id, members who gave it)
    loved_here: list[tuple[int, int, float]]  # (anime id, members who loved it, share here / share elsewhere)


def server_top(tally: ServerTally, members_elsewhere: np.ndarray, n: int = 5, *, min_scores: int = MIN_SCORES,
               shrink: float = SHRINK, keep: np.ndarray | None = None) -> ServerTop:
    """The server's favourites (shrunk mean, at least min_scores scores), its most watched titles, and
    titles loved here but rare elsewhere: LOVED_HERE_MIN or more members loved them, fewer than RARE_MEMBERS
    MyAnimeList members watched them, ranked by how much more often they are loved here than watched
    elsewhere. ``members_elsewhere``: per title of the tally, its MyAnimeList members (Catalog.members_now);
    ``keep``: a bool mask per title (e.g. no adult titles in this channel)."""
    keep = np.ones(len(tally.anime_ids), bool) if keep is None else np.asarray(keep, bool)
    ids = tally.anime_ids.tolist()
    means = tally.shrunk_means(shrink)
    ok = keep & (tally.scored >= min_scores)
    order = np.lexsort((tally.anime_ids, -tally.scored, -means))  # ties: more scores, then the id
    favourites = [(ids[i], float(means[i]), int(tally.scored[i])) for i in order if ok[i]][:n]
    order = np.lexsort((tally.anime_ids, -tally.scored, -tally.given))
    most_watched = [(ids[i], int(tally.given[i])) for i in order if keep[i]][:n]
    elsewhere = np.asarray(members_elsewhere, np.float64)
    lift = (tally.loved / max(tally.members, 1)) / (elsewhere + LIFT_PRIOR_MEMBERS)
    rare = keep & (tally.loved >= LOVED_HERE_MIN) & (elsewhere < RARE_MEMBERS)
    order = np.lexsort((tally.anime_ids, -tally.loved, -lift))
    loved_here = [(ids[i], int(tally.loved[i]), float(lift[i])) for i in order if rare[i]][:n]
    return ServerTop(favourites, most_watched, loved_here)


@dataclass(frozen=True)
class TitleTally:
    """What a server's members gave one title."""

    given: int  # members who scored or watched it
    scored: int
    mean: float | None  # of the scores
    histogram: tuple[int, ...]  # members per score 1..10
    loved_by: tuple[int, ...]  # member ids who scored it LOVED or more, highest first


def private_rows(rows: Iterable[tuple[int, float, bool]], min_members: int = PRIVATE_MIN_MEMBERS
                 ) -> list[tuple[int, float]]:
    """(member id, rating) of one figure's (member id, rating, hidden) rows: the hidden members' only
    when at least min_members hidden members are in it (PRIVATE_MIN_MEMBERS)."""
    rows = list(rows)
    counted = sum(hidden for _, _, hidden in rows) >= min_members
    return [(m, r) for m, r, hidden in rows if not hidden or counted]


def title_tally(rows: Iterable[tuple[int, float]]) -> TitleTally:
    """From (member id, rating) rows of one title."""
    rows = list(rows)
    scores = [r for _, r in rows if r > 0]
    histogram = [0] * 10
    for r in scores:
        histogram[min(max(int(round(r)), 1), 10) - 1] += 1
    loved = sorted(((m, r) for m, r in rows if r >= LOVED), key=lambda p: (-p[1], p[0]))
    return TitleTally(len(rows), len(scores), float(np.mean(scores)) if scores else None, tuple(histogram),
                      tuple(m for m, _ in loved))
