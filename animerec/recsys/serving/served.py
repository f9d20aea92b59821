"""What a member sees: the model's ranking after the fan rules (animerec.recsys.serving.rules), for
/recommend, /similar and the CLI; groups (/watchparty) are animerec.recsys.serving.group.

"because" names the rated title that added most to the pick's score, only when it shares a genre with
the pick (or they are one franchise); otherwise the pick is "popular with members who like what you like".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from animerec.recsys.algorithms.embeddings import CANDIDATES, genre_matrix, rerank
from animerec.recsys.catalog.catalog import NO_FILTERS, Catalog, Filters
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.model import FoldedUser, Recommender, UnknownTitle, standardized, top_n
from animerec.recsys.serving.rules import CANDIDATE_DEPTH, CONTINUE, FanRules, member_floor, pick_floor

# Most lists fill from this many of the best candidates; the rest of CANDIDATE_DEPTH is a second round.
CANDIDATE_FIRST = 60
# The list follows the ranking score, not the 1-10 prediction: re-ordering the picks by prediction cut
# fresh NDCG@10 from 0.34 to 0.24 (p80, seed 1). What the list shows in order is the match figure: the
# chance that a member goes on to watch the pick, a logistic in the ranking score fit on held-out
# members of seed 1 (p80 and cold5 lists).
MATCH_SLOPE, MATCH_OFFSET = 0.0359, -1.138
# /recommend discover: the most watched titles are left out, and popularity is held against the rest.
# "Watched" is the catalog's MyAnimeList members count (Anime.members), not the training sample's counts:
# by those, Your Lie in April and Re:Zero (44th to 94th by members) passed for discoveries.
DISCOVER_SKIP_TOP = 100
DISCOVER_WEIGHT = 0.5
# A member with few titles: a coverage term, so each title they liked gets picks. Each candidate belongs
# to the liked title that adds most to its score relative to what that title adds at best (a popular
# title's co-watch sums dwarf a film's: "your name" 9 and "attack on titan" 8 gave ten Attack on Titan-like
# picks); choosing the list, a candidate's score loses COVERAGE_WEIGHT sd of the first candidates' scores
# for each pick its title already has. Only below COVERAGE_BELOW titles: longer lists cover several loves.
COVERAGE_BELOW = 6
COVERAGE_WEIGHT = 0.5
# /similar with a filter this narrow searches the filtered titles exactly (~0.1 ms for 2,000).
EXACT_FILTERED = 2_000

# "Because X" needs genres in common: three, or at least this share of the two titles' genres together
# (Code Geass R2 is no reason for Naruto: Action and Super Power of nine genres between them).
RELATED_GENRE_SHARE = 0.25


@dataclass(frozen=True)
class Pick:
    anime_id: int
    score: float  # ranking score, higher first: the list is in this order
    predicted: float  # calibrated 1-10 prediction for this member
    match: float  # 0-1, follows the ranking: the estimated chance the member goes on to watch it
    kind: str  # CONTINUE (goes on from a title the member gave) or NEW (a work they have not started)
    because: int | None  # the member's title behind the pick (for CONTINUE: the one it continues)
    more_in_series: int  # other entries of its franchise the member has not given


@dataclass(frozen=True)
class PickList:
    picks: list[Pick]
    seen_these: list[int]  # earlier entries of the member's franchises, to rate rather than to watch
    requested: int
    floor: float  # no pick is predicted below this

    @property
    def short(self) -> bool:
        """Fewer good matches than asked for (the floor or the filters ran out)."""
        return len(self.picks) < self.requested


@dataclass(frozen=True)
class SimilarList:
    neighbours: list[tuple[int, float]]  # (anime_id, similarity), best first, one per other work
    same_series: list[int]  # the title's own franchise, oldest first (grouped, never in neighbours)


class ServedModel:
    """A served model with the catalog and franchise graph it is shown through.

    Built once per model (a hot swap builds a new one); every method is read-only, so requests may run
    in threads side by side.
    """

    def __init__(self, model: Recommender, catalog: Catalog, franchises: Franchises | None = None) -> None:
        self.model = model
        self.catalog = catalog
        self.franchises = franchises or franchises_for(catalog)
        self.rules = FanRules(model, catalog, self.franchises)
        self._genre_matrix = genre_matrix(model.item_ids, catalog)[0]  # items x genres, 0/1
        self._popularity_of = model.item_popularity.tolist()  # a list: rerank indexes it per candidate
        V = model.similar_vectors
        self._unit_vectors = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
        n = model.n_items
        members = np.array([catalog.get(a).members if a in catalog else 0 for a in model.item_ids.tolist()],
                           np.float64)
        self._popular_rank = np.empty(n, np.int64)
        self._popular_rank[np.argsort(-members, kind="stable")] = np.arange(n)
        self._log_popularity = standardized(np.log1p(members))

    def allowed(self, filters: Filters = NO_FILTERS, *, allow_adult: bool = True) -> np.ndarray | None:
        """The filter mask aligned to model.item_ids, the one every ``allowed`` below takes (None: no filter)."""
        if filters == NO_FILTERS and allow_adult:
            return None
        return self.catalog.filter_mask(self.model.item_ids, filters, allow_adult=allow_adult)

    # ------------------------------------------------------------------------------ /recommend
    def recommend(
        self,
        ratings: Mapping[int, float],
        n: int = 10,
        *,
        exclude: Iterable[int] = (),
        allowed: np.ndarray | None = None,
        discover: bool = False,
        user: FoldedUser | None = None,
    ) -> PickList:
        """A member's picks after the fan rules. ``allowed``: bool mask aligned to model.item_ids;
        ``discover``: favour less-watched titles (the most watched DISCOVER_SKIP_TOP never appear)."""
        model = self.model
        user = user or model.fold_in(ratings)
        scores, terms = model.ranking(user)
        scores = scores.astype(np.float64)
        # What the member may never be shown here, and apart from it what this request leaves out (dismissed
        # titles, earlier pages): the coverage order below is made without the latter.
        never = model.blocked(user.seen, (), allowed)
        earlier = self.rules.earlier(ratings, user)
        if discover:
            scores -= DISCOVER_WEIGHT * self._log_popularity
            never |= self._popular_rank < DISCOVER_SKIP_TOP
        blocked = never | model.blocked(np.empty(0, np.int64), exclude)
        floor = member_floor(ratings)
        seen_these = self.rules.seen_these(scores, earlier, blocked)
        never[earlier] = blocked[earlier] = True
        loves = [a for a, r in ratings.items() if (r < 0 or r >= floor) and model.index_of(a) is not None]
        covering = len(loves) >= 2 and len(ratings) < COVERAGE_BELOW
        # The coverage order is made on the member's own scores, before this request's exclusions, and the
        # excluded titles are then passed over: a later page, or the page after a dismissal, is the same
        # list without what it leaves out.
        own = np.where(never, -np.inf, scores) if covering else scores
        scores[blocked] = -np.inf

        predicted: dict[int, float] = {}

        def prediction(i: int) -> tuple[float]:
            if i not in predicted:
                predicted[i] = float(model.predicted_ratings(user, np.array([i]))[0])
            return (predicted[i],)

        given = ratings.keys()
        if covering:
            step = COVERAGE_WEIGHT * float(np.std(own[top_n(own, CANDIDATE_FIRST)]) or 1.0)
            candidates: Iterable[int] = self._passing(self._covering(own, ratings, loves, user, predicted, step),
                                                      own, scores)
        else:
            candidates = self._candidates(scores, user, predicted)
        lowest = pick_floor(ratings)  # the list's floor, a point under what the member likes
        slots = self.rules.slots(candidates, scores, blocked, [given], prediction, [lowest], n)
        fixed: list[int | None] = [None] * len(slots)  # a continue pick names the title it goes on from
        for j, slot in enumerate(slots):
            if slot.kind == CONTINUE and (before := self.rules.before(slot.shown) & given):
                fixed[j] = max(before, key=lambda a: ratings[a])
        idx = np.array([slot.shown for slot in slots], np.int64)
        reasons = self._because(user, ratings, idx, fixed, terms, floor)
        picks = []
        for slot, reason in zip(slots, reasons):
            anime_id, score = int(model.item_ids[slot.shown]), float(scores[slot.ranked])
            picks.append(Pick(anime_id, score, predicted[slot.shown], match_chance(score), slot.kind, reason,
                              self.rules.more_in_series(anime_id, ratings)))
        return PickList(picks, seen_these, n, lowest)

    def _candidates(self, scores: np.ndarray, user: FoldedUser, predicted: dict[int, float]) -> Iterator[int]:
        """Item indices best first, CANDIDATE_DEPTH deep, in two rounds (most lists fill from the first
        CANDIDATE_FIRST); ``predicted`` gets each round's predictions in one product."""
        done = 0
        for depth in (CANDIDATE_FIRST, CANDIDATE_DEPTH):
            order = top_n(scores, depth)[done:]
            predicted.update(zip(order.tolist(), self.model.predicted_ratings(user, order).tolist()))
            yield from order.tolist()
            done = depth

    @staticmethod
    def _passing(order: Iterator[int], adjusted: np.ndarray, scores: np.ndarray) -> Iterator[int]:
        """The titles of ``order`` this request may show, each with its adjusted score copied into scores."""
        for i in order:
            if np.isfinite(scores[i]):
                scores[i] = adjusted[i]
                yield i

    def _covering(self, scores: np.ndarray, ratings: Mapping[int, float], loves: Sequence[int],
                  user: FoldedUser, predicted: dict[int, float], weight: float) -> Iterator[int]:
        """Item indices by the score less COVERAGE_WEIGHT sd per pick the candidate's liked title
        already has (COVERAGE_BELOW). A candidate belongs to the liked title (anime ids ``loves``) whose
        ranking alone places it highest (standardized, so a film's and a long series' compare); the
        candidates are the best CANDIDATE_DEPTH by the score and each title's own best CANDIDATE_FIRST.
        Each item's adjusted score is set in ``scores`` as it is yielded; those never rise down the
        list, so the list and its match figure still run in one order."""
        model = self.model
        alone = np.vstack([standardized(model.ranking_scores(model.fold_in({a: ratings[a]})).astype(np.float64))
                           for a in loves])
        alone[:, ~np.isfinite(scores)] = -np.inf
        pool = np.union1d(top_n(scores, CANDIDATE_DEPTH), np.concatenate([top_n(row, CANDIDATE_FIRST) for row in alone]))
        order = pool[np.argsort(-scores[pool], kind="stable")]
        order = order[np.isfinite(scores[order])]
        predicted.update(zip(order.tolist(), model.predicted_ratings(user, order).tolist()))
        # By rank in each title's own ranking: two loves' shared neighbours go to the one nearer to them.
        ranks = np.argsort(np.argsort(-alone[:, order], axis=1, kind="stable"), axis=1, kind="stable")
        owner = np.argmin(ranks, axis=0)
        # One queue per liked title, each best first: the next candidate is the best head, less its title's picks.
        queues = [order[owner == k].tolist() for k in range(len(loves))]
        heads = [0] * len(loves)
        while True:
            live = [k for k in range(len(loves)) if heads[k] < len(queues[k])]
            if not live:
                return
            k = max(live, key=lambda k: scores[queues[k][heads[k]]] - weight * heads[k])
            i = queues[k][heads[k]]
            scores[i] -= weight * heads[k]
            heads[k] += 1
            yield i

    def _because(self, user: FoldedUser, ratings: Mapping[int, float], idx: np.ndarray,
                 fixed: Sequence[int | None], terms: list, floor: float) -> list[int | None]:
        """For each pick, the given title that added most to its score among those that relate to it
        (a shared genre, or one franchise) and that the member liked (a score at or above their floor,
        or watched); None when no such title helped: the caller then says it is popular with members
        of similar taste."""
        out = list(fixed)
        todo = [j for j, b in enumerate(fixed) if b is None]
        if not todo or len(user.seen) == 0:
            return out
        picks = idx[todo]
        contrib = self.model.contributions(user, picks, terms)
        given_ids = self.model.item_ids[user.seen]
        liked = (user.ratings < 0) | (user.ratings >= floor)
        ok = self._relates(user.seen, picks) & liked[:, None] & (contrib > 0)
        best = np.argmax(np.where(ok, contrib, 0.0), axis=0)
        for col, j in enumerate(todo):
            if ok[best[col], col]:
                out[j] = int(given_ids[best[col]])
        return out

    def _relates(self, given: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """(given x picks): whether a given title can honestly be named as the reason for a pick: one
        franchise, or genres in common beyond broad tags (three shared, or RELATED_GENRE_SHARE of
        their genres together)."""
        G = self._genre_matrix
        shared = G[given] @ G[picks].T
        union = G[given].sum(axis=1)[:, None] + G[picks].sum(axis=1)[None, :] - shared
        by_genre = (shared >= 3) | ((shared >= 1) & (shared >= RELATED_GENRE_SHARE * union))
        franchise = self.rules.item_franchise
        return by_genre | (franchise[given][:, None] == franchise[picks][None, :])

    # ------------------------------------------------------------------------------ /score
    def explain(self, ratings: Mapping[int, float], anime_id: int, *, user: FoldedUser | None = None
                ) -> tuple[float, int | None]:
        """A member's predicted 1-10 score of one title, and the title they gave that the "because" of
        /recommend would name for it (None: nothing they gave relates to it closely enough)."""
        model = self.model
        user = user or model.fold_in(ratings)
        i = model.index_of(anime_id)
        if i is None or len(user.seen) == 0:
            return float(model.predict(user, [anime_id])[0]), None
        _, terms = model.ranking(user)
        idx = np.array([i], np.int64)
        [because] = self._because(user, ratings, idx, [None], terms, member_floor(ratings))
        return float(model.predicted_ratings(user, idx)[0]), because

    # ------------------------------------------------------------------------------ /similar
    def similar(self, anime_id: int, n: int = 10, *, allowed: np.ndarray | None = None,
                given: Collection[int] = ()) -> SimilarList:
        """Titles of other works nearest to one title, one per franchise, and its own series apart.

        For the member who asks (``given``: the anime ids they rated or watched, left out of the list), a
        neighbour from a franchise they have not started is shown as its entry point (FanRules.entry_point,
        as /recommend does), when the filter allows it: nobody new to Code Geass is sent to R2.

        Neighbours come from the Annoy index over the /similar embeddings, re-ranked with a support
        prior (animerec.recsys.algorithms.embeddings.rerank). A filter that leaves at most EXACT_FILTERED titles is
        searched exactly over that subset, so a rare genre still fills its list; a wider one widens
        the Annoy search until the list is full. UnknownTitle for a title the model lacks.
        """
        model = self.model
        i = model.index_of(anime_id)
        if i is None:
            raise UnknownTitle(anime_id)
        allowed = None if allowed is None else np.asarray(allowed, bool)
        gave = self.rules.indices(given)
        if len(gave):
            allowed = np.ones(model.n_items, bool) if allowed is None else allowed.copy()
            allowed[gave] = False
        if allowed is not None and allowed.sum() <= EXACT_FILTERED:
            hits = self._rerank(i, self._exact_candidates(i, np.flatnonzero(allowed)), n, allowed)
        else:
            ann = model.ensure_ann()
            want = CANDIDATES
            while True:
                hits = self._rerank(i, ann.neighbours(i, want), n, allowed)
                if len(hits) >= n or want >= model.n_items - 1:
                    break
                want = min(want * 4, model.n_items - 1)
        started = {self.franchises.franchise_of(a) or a for a in given}  # as item_franchise names them
        shown = []
        for j, s in hits:
            if self.rules.item_franchise_list[j] not in started:
                entry = self.rules.entry_point(j)
                j = entry if entry >= 0 and (allowed is None or allowed[entry]) else j
            shown.append((int(model.item_ids[j]), s))
        f = self.franchises.franchise_of(anime_id)
        series = [a for a in self.franchises.entries(f) if a != anime_id] if f is not None else []
        return SimilarList(shown, series)

    def _rerank(self, i: int, candidates: list[tuple[int, float]], n: int,
                allowed: np.ndarray | None) -> list[tuple[int, float]]:
        return rerank(i, candidates, self._popularity_of, self.rules.item_franchise_list, n,
                      one_per_franchise=True, allowed=allowed)

    def _exact_candidates(self, i: int, subset: np.ndarray) -> list[tuple[int, float]]:
        """(item index, cosine) of the subset's titles nearest to item i, exactly."""
        V = self._unit_vectors
        sims = V[subset] @ V[i]
        best = subset[np.argsort(-sims, kind="stable")[: 4 * CANDIDATES]]
        return [(int(j), float(V[j] @ V[i])) for j in best]


def match_chance(score: float) -> float:
    return float(1.0 / (1.0 + np.exp(-(MATCH_SLOPE * score + MATCH_OFFSET))))


def franchises_for(catalog: Catalog) -> Franchises:
    """The bundled franchise graph over a catalog's titles."""
    return Franchises.load(TitleInfo(a.anime_id, a.type, a.members) for a in catalog)
