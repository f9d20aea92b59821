"""What a member sees: the model's ranking after the fan rules, for /recommend, /watchparty and the CLI.

The raw ranking (Recommender.recommend) is measured well on held-out interactions, yet a fan would
reject it: it lists the prequel of a show the member loved, four films of one series, or a title its own
prediction says they would not enjoy. The rules here, in order:

* never an earlier entry of a franchise the member is into (franchise.seen_earlier): those become
  "seen these?" questions instead, which also feed the model;
* one slot per franchise: for a franchise the member has started, the best entry they can go on with
  (a sequel only when a title before it was seen: a "continue" pick naming it); for one they have not,
  its entry point, never a film, special or recap of it;
* a quality floor: nothing predicted below the member's typical score (FEW_SCORES_FLOOR for members
  with few scores); a list that runs out says so instead of padding;
* "because" names the rated title that added most to the pick's score, only when it shares a genre with
  the pick (or they are one franchise); otherwise the pick is "popular with members who like what you like".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from animerec.recsys.algorithms.embeddings import CANDIDATES, genre_matrix, rerank
from animerec.recsys.algorithms.itemitem import row_sum
from animerec.recsys.catalog.catalog import NO_FILTERS, Catalog, Filters
from animerec.recsys.catalog.franchise import Franchises, TitleInfo
from animerec.recsys.model import FoldedUser, Recommender, UnknownTitle, standardized, top_n

# The quality floor: a member with fewer explicit scores than FEW_SCORES gets FEW_SCORES_FLOOR; with
# more, their mean score less FLOOR_SLACK. The full mean cut fresh NDCG@10 by 0.07 (p80, seed 1): the
# prediction and the ranking disagree by that much on titles members go on to watch.
FEW_SCORES = 5
FEW_SCORES_FLOOR = 6.5
FLOOR_SLACK = 0.5
# How deep into the ranking the rules look for picks (the list is at most 25 long; one slot per
# franchise and the floor skip many): past this the titles are not worth showing anyway.
CANDIDATE_DEPTH = 400
CANDIDATE_FIRST = 60
SEEN_THESE = 5
# The list follows the ranking score, not the 1-10 prediction: re-ordering the picks by prediction cut
# fresh NDCG@10 from 0.34 to 0.24 (p80, seed 1). What the list shows in order is the match figure: the
# chance that a member goes on to watch the pick, a logistic in the ranking score fit on held-out
# members of seed 1 (p80 and cold5 lists).
MATCH_SLOPE, MATCH_OFFSET = 0.0359, -1.138  # "seen these?" questions offered beside the picks
# What can be a pick: a new work starts at a series, film or OVA/ONA; going on in a franchise may
# also be a special. Music videos and recaps only ever count as "+N more".
NEW_TYPES = frozenset({"TV", "Movie", "OVA", "ONA"})
CONTINUE_TYPES = NEW_TYPES | {"Special"}
# /recommend discover: the most watched titles are left out, and popularity is held against the rest.
DISCOVER_SKIP_TOP = 100
# /similar with a filter this narrow searches the filtered titles exactly (~0.1 ms for 2,000).
EXACT_FILTERED = 2_000
DISCOVER_WEIGHT = 0.5

# "Because X" needs genres in common: three, or at least this share of the two titles' genres together
# (Code Geass R2 is no reason for Naruto: Action and Super Power of nine genres between them).
RELATED_GENRE_SHARE = 0.25

CONTINUE, NEW = "continue", "new"


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


@dataclass(frozen=True)
class GroupPick:
    anime_id: int
    group_score: float
    predictions: tuple[float, ...]  # one calibrated 1-10 prediction per member, in the order given
    more_in_series: int


class ServedModel:
    """A served model with the catalog and franchise graph it is shown through.

    Built once per model (a hot swap builds a new one); every method is read-only, so requests may run
    in threads side by side.
    """

    def __init__(self, model: Recommender, catalog: Catalog, franchises: Franchises | None = None) -> None:
        self.model = model
        self.catalog = catalog
        self.franchises = franchises or franchises_for(catalog)
        ids = model.item_ids
        n = len(ids)
        known = np.array([int(a) in catalog for a in ids], bool)
        self._franchise = self.franchises.franchise_array(ids)
        index = model.index_of
        entry = np.array([
            -1 if (f := self.franchises.franchise_of(a)) is None or (e := index(self.franchises.entry_point(f))) is None
            else e for a in ids.tolist()], np.int64)
        types = [catalog.get(int(a)).type if k else None for a, k in zip(ids.tolist(), known)]
        recap = np.array([self.franchises.is_recap(int(a)) for a in ids.tolist()], bool)
        self._pickable = np.array([t in NEW_TYPES for t in types], bool) & ~recap
        self._continuable = np.array([t in CONTINUE_TYPES for t in types], bool) & ~recap
        self._genre_matrix = genre_matrix(ids, catalog)[0]  # items x genres, 0/1
        # Where a member new to an item's franchise starts: its entry point (the item itself when the
        # entry point is not in the model), -1 when that is no series, film or OVA (a lone special).
        start = np.where(entry >= 0, entry, np.arange(n))
        new_target = np.where(self._pickable[start], start, -1)
        # Python lists of per-item facts for the per-candidate loops: indexing a list costs a fraction
        # of a numpy scalar access, which adds up on the /recommend and /similar paths.
        self._franchise_of = self._franchise.tolist()
        self._pickable_of = self._pickable.tolist()
        self._continuable_of = self._continuable.tolist()
        self._new_target_of = new_target.tolist()
        self._popularity_of = model.item_popularity.tolist()
        V = model.similar_vectors
        self._unit_vectors = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
        # item index -> titles before it (through specials), for items that have any
        self._before = {i: b for i, a in enumerate(ids.tolist()) if (b := self._before_through_specials(a))}
        # Row i marks the ancestors of item i: a member's earlier entries are one sparse row sum.
        pairs = [(i, j) for i, a in enumerate(ids.tolist()) for j in self._idx(self.franchises.ancestors(a)).tolist()]
        rows, cols = zip(*pairs) if pairs else ((), ())
        self._ancestors = sp.csr_matrix((np.ones(len(pairs), np.float32), (rows, cols)), shape=(n, n))
        self._popular_rank = np.empty(n, np.int64)
        self._popular_rank[np.argsort(-model.item_popularity, kind="stable")] = np.arange(n)
        self._log_popularity = standardized(np.log1p(model.item_popularity.astype(np.float64)))

    def allowed(self, filters: Filters = NO_FILTERS, *, allow_adult: bool = True) -> np.ndarray | None:
        """The filter mask aligned to model.item_ids, the one every ``allowed`` below takes (None: no filter)."""
        if filters == NO_FILTERS and allow_adult:
            return None
        return self.catalog.filter_mask(self.model.item_ids, filters, allow_adult=allow_adult)

    # ------------------------------------------------------------------------------ helpers
    def _idx(self, anime_ids: Iterable[int]) -> np.ndarray:
        return np.array([i for a in anime_ids if (i := self.model.index_of(a)) is not None], np.int64)

    def _more_in_series(self, anime_id: int, given: set[int] | Mapping[int, float]) -> int:
        f = self.franchises.franchise_of(anime_id)
        if f is None:
            return 0
        return sum(1 for a in self.franchises.entries(f) if a != anime_id and a not in given)

    @staticmethod
    def floor(ratings: Mapping[int, float]) -> float:
        scores = [r for r in ratings.values() if r > 0]
        return float(np.mean(scores)) - FLOOR_SLACK if len(scores) >= FEW_SCORES else FEW_SCORES_FLOOR

    def _blocked(self, seen: np.ndarray, exclude: Iterable[int], allowed: np.ndarray | None) -> np.ndarray:
        blocked = np.zeros(self.model.n_items, bool)
        blocked[seen] = True
        blocked[self._idx(exclude)] = True
        if allowed is not None:
            blocked |= ~np.asarray(allowed, bool)
        return blocked

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
        blocked = self._blocked(user.seen, exclude, allowed)
        earlier = self._earlier(ratings, user)
        if discover:
            scores -= DISCOVER_WEIGHT * self._log_popularity
            blocked |= self._popular_rank < DISCOVER_SKIP_TOP
        floor = self.floor(ratings)
        seen_these = self._seen_these(scores, earlier, blocked)
        blocked[earlier] = True
        scores[blocked] = -np.inf

        given = ratings.keys()
        started = self._started(ratings, user)
        predicted: dict[int, float] = {}
        used: set[int] = set()
        chosen: list[tuple[int, float, str, int | None]] = []  # (item index, score, kind, because id)
        for i in self._candidates(scores, user, predicted):
            f = self._franchise_of[i]
            if f in used:
                continue
            if f in started:
                if not self._can_continue(i, given):
                    continue
                target, kind = i, CONTINUE
                if not self._pickable_of[i]:  # a special: the series' next film or season goes first
                    main = [j for a in self.franchises.entries(f) if (j := model.index_of(a)) is not None
                            and self._pickable[j] and not blocked[j] and self._can_continue(j, given)]
                    target = max(main, key=lambda j: scores[j], default=i)
                before = self._before.get(target, frozenset()) & given
                because = max(before, key=lambda a: ratings[a]) if before else None
            else:
                target, kind, because = self._new_target_of[i], NEW, None
                if target < 0 or blocked[target]:
                    used.add(f)
                    continue
            if target not in predicted:
                predicted[target] = float(model.predicted_ratings(user, np.array([target]))[0])
            used.add(f)
            if predicted[target] < floor:
                continue
            chosen.append((target, float(scores[i]), kind, because))
            if len(chosen) == n:
                break

        idx = np.array([c[0] for c in chosen], np.int64)
        reasons = self._because(user, ratings, idx, [c[3] for c in chosen], terms, floor)
        picks = [
            Pick(int(model.item_ids[t]), s, predicted[t], match_chance(s), kind, reason,
                 self._more_in_series(int(model.item_ids[t]), ratings))
            for (t, s, kind, _), reason in zip(chosen, reasons)
        ]
        return PickList(picks, seen_these, n, floor)

    def _candidates(self, scores: np.ndarray, user: FoldedUser, predicted: dict[int, float]) -> Iterator[int]:
        """Item indices best first, CANDIDATE_DEPTH deep, in two rounds (most lists fill from the first
        CANDIDATE_FIRST); ``predicted`` gets each round's predictions in one product."""
        done = 0
        for depth in (CANDIDATE_FIRST, CANDIDATE_DEPTH):
            order = top_n(scores, depth)[done:]
            predicted.update(zip(order.tolist(), self.model.predicted_ratings(user, order).tolist()))
            yield from order.tolist()
            done = depth

    def _earlier(self, ratings: Mapping[int, float], user: FoldedUser) -> np.ndarray:
        """Item indices of the titles the member has almost surely seen (franchise.seen_earlier)."""
        if len(user.seen) < len(ratings):  # some given titles are not in the model: the slow way
            return self._idx(self.franchises.seen_earlier(ratings))
        return np.flatnonzero(row_sum(self._ancestors, user.seen))

    def _started(self, ratings: Mapping[int, float], user: FoldedUser) -> set[int]:
        """The franchises of the titles a member gave."""
        if len(user.seen) < len(ratings):  # some given titles are not in the model: the slow way
            return {f for a in ratings if (f := self.franchises.franchise_of(a)) is not None}
        franchise_of = self._franchise_of
        return {franchise_of[i] for i in user.seen.tolist()}

    def _can_continue(self, i: int, given: AbstractSet[int]) -> bool:
        """Whether item i can go on from what a member gave: a kind of title worth a pick, and, if
        anything comes before it (a prequel, a parent story), the member gave one of those."""
        if not self._continuable_of[i]:
            return False
        before = self._before.get(i)
        return before is None or bool(before & given)

    def _before_through_specials(self, anime_id: int) -> frozenset[int]:
        """The titles directly before one, looking through specials and recaps: a film whose MAL
        prequel is a one-episode special follows the series before that special too."""
        out: set[int] = set()
        stack = list(self.franchises.before(anime_id))
        while stack:
            b = stack.pop()
            if b in out:
                continue
            out.add(b)
            if b not in self.catalog or self.catalog.get(b).type not in NEW_TYPES or self.franchises.is_recap(b):
                stack.extend(self.franchises.before(b))
        return frozenset(out)

    def _seen_these(self, scores: np.ndarray, earlier: np.ndarray, blocked: np.ndarray) -> list[int]:
        """The earlier entries the member most likely saw, best first (only filterable ones)."""
        if len(earlier) == 0:
            return []
        earlier = earlier[~blocked[earlier] & self._pickable[earlier]]  # no recaps or specials to rate
        best = earlier[np.argsort(-scores[earlier], kind="stable")[:SEEN_THESE]]
        return [int(self.model.item_ids[i]) for i in best]

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
        return by_genre | (self._franchise[given][:, None] == self._franchise[picks][None, :])

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
        [because] = self._because(user, ratings, idx, [None], terms, self.floor(ratings))
        return float(model.predicted_ratings(user, idx)[0]), because

    # ------------------------------------------------------------------------------ /watchparty
    def group(
        self,
        members: Sequence[Mapping[int, float]],
        n: int = 10,
        *,
        strategy: str = "average",
        exclude: Iterable[int] = (),
        allowed: np.ndarray | None = None,
    ) -> list[GroupPick]:
        """One list for a group: titles none of them gave, after the fan rules for everyone at once
        (no member's earlier entries, entry points of franchises nobody started, continue picks only
        when every member saw a title before it), ranked by the strategy, each member's prediction at
        least FEW_SCORES_FLOOR."""
        from animerec.recsys.serving.group import STRATEGIES, combine

        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
        if not members:
            return []
        model = self.model
        users = [model.fold_in(r) for r in members]
        gave = [set(map(int, r)) for r in members]
        given = set().union(*gave)
        blocked = self._blocked(np.concatenate([u.seen for u in users]), exclude, allowed)
        for r, u in zip(members, users):
            blocked[self._earlier(r, u)] = True
        started = set().union(*(self._started(r, u) for r, u in zip(members, users)))
        utility = np.vstack([standardized(model.ranking_scores(u).astype(np.float64)) for u in users])
        utility[:, blocked] = -np.inf
        group_score = combine(utility, strategy)
        used: set[int] = set()
        chosen: list[tuple[int, float, tuple[float, ...]]] = []
        for i in top_n(group_score, CANDIDATE_DEPTH).tolist():
            f = self._franchise_of[i]
            if f in used:
                continue
            target = i
            if f in started:
                if not all(self._can_continue(i, g) for g in gave):
                    continue
            else:
                target = self._new_target_of[i]
                if target < 0 or blocked[target]:
                    used.add(f)
                    continue
            used.add(f)
            preds = tuple(float(model.predicted_ratings(u, np.array([target]))[0]) for u in users)
            if min(preds) < FEW_SCORES_FLOOR:
                continue
            chosen.append((target, float(group_score[i]), preds))
            if len(chosen) == n:
                break
        return [GroupPick(int(model.item_ids[t]), s, preds, self._more_in_series(int(model.item_ids[t]), given))
                for t, s, preds in chosen]

    # ------------------------------------------------------------------------------ /similar
    def similar(self, anime_id: int, n: int = 10, *, allowed: np.ndarray | None = None) -> SimilarList:
        """Titles of other works nearest to one title, one per franchise, and its own series apart.

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
        f = self.franchises.franchise_of(anime_id)
        series = [a for a in self.franchises.entries(f) if a != anime_id] if f is not None else []
        return SimilarList([(int(model.item_ids[j]), s) for j, s in hits], series)

    def _rerank(self, i: int, candidates: list[tuple[int, float]], n: int,
                allowed: np.ndarray | None) -> list[tuple[int, float]]:
        return rerank(i, candidates, self._popularity_of, self._franchise_of, n,
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
