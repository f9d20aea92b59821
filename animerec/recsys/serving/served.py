"""What a member sees: the model's ranking after the fan rules (animerec.recsys.serving.rules), for
/recommend, /similar and the CLI; groups (/watchparty) are animerec.recsys.serving.group.

"because" names the rated title that added most to the pick's score, only when it shares a genre with
the pick (or they are one franchise); otherwise the pick is "popular with members who like what you like".

Every catalog title is served, the trained ones and those without interactions (the cold titles,
animerec.recsys.algorithms.coldstart): item index i < n_trained is the model's, the rest follow in
ColdVectors order, and the fan rules, filters and lists all run over that one index. A cold title's
ranking score is placed among the trained titles' by rank (cold_placed), its prediction is the
calibrated ColdVectors.predicted, and a new work is said to be because of a title only when that title
drives its vector's score and the vector comes from the title's franchise or its raters.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import cast, overload

import numpy as np

from animerec.recsys.algorithms.ann import AnnIndex
from animerec.recsys.algorithms.coldstart import COMMUNITY, CONTENT, SOURCES
from animerec.recsys.algorithms.embeddings import (
    CANDIDATES,
    SPARSE_CANDIDATES,
    SPARSE_SUPPORT,
    SPARSE_SUPPORT_K,
    SUPPORT_K,
    genre_matrix,
    rerank,
)
from animerec.recsys.catalog.catalog import NO_FILTERS, Catalog, Filters
from animerec.recsys.catalog.franchise import Franchises
from animerec.recsys.ids import IdPositions, RowGroups
from animerec.recsys.model import FoldedUser, Products, Recommender, UnknownTitle, calibrated, standardized, top_n
from animerec.recsys.serving.rules import (
    CANDIDATE_DEPTH,
    CONTINUE,
    DISLIKED_FLOOR,
    NEW,
    FanRules,
    dropped_floor,
    liked,
    member_floor,
    pick_floor,
)

# Most lists fill from this many of the best candidates; the rest of CANDIDATE_DEPTH is a second round.
CANDIDATE_FIRST = 60
# The list follows the ranking score, not the 1-10 prediction: re-ordering the picks by prediction cut
# fresh NDCG@10 from 0.34 to 0.24 (p80, seed 1). What the list shows in order is the match figure: the
# chance that a member goes on to watch the pick, a logistic in the ranking score fit on held-out
# members of seed 1 (p80 and cold5 lists).
MATCH_SLOPE, MATCH_OFFSET = 0.0359, -1.138
# /recommend discover: the most watched titles and the member's franchises are left out, and popularity is held
# against the rest.
# "Watched" is the catalog's MyAnimeList members count on one scale (Catalog.members_now), not the training
# sample's counts: by those, Your Lie in April and Re:Zero (44th to 94th by members) passed for discoveries.
DISCOVER_SKIP_TOP = 100
DISCOVER_WEIGHT = 0.5
# A list of new titles to discover leaves out the window's most watched (a season's hits, what the whole server
# talks of: Frieren's 2nd season, Sentenced to Be a Hero): about a season's ten most watched shows.
DISCOVER_SKIP_NEW = 10
# A member with few titles: a coverage term, so each title they liked gets picks. Each candidate belongs
# to the liked title that adds most to its score relative to what that title adds at best (a popular
# title's co-watch sums dwarf a film's: "your name" 9 and "attack on titan" 8 gave ten Attack on Titan-like
# picks); choosing the list, a candidate's score loses COVERAGE_WEIGHT sd of the first candidates' scores
# for each pick its title already has. Only below COVERAGE_BELOW titles: longer lists cover several loves.
COVERAGE_BELOW = 6
COVERAGE_WEIGHT = 0.5
# A liked title's ranking alone is the same for every member who gave it the same rating, so each is kept
# (ServedModel._kept_alone) within this many bytes: about 500 rows as first made, or 2,000 asked again.
ALONE_KEPT_BYTES = 64 << 20
# ServedModel.alone_warm_up: the most-watched titles at the ratings newcomers give what they like.
ALONE_WARM_UP_TITLES = 300
ALONE_WARM_UP_RATINGS = (10.0, 9.0, 8.0, -1.0)
# /similar with a filter this narrow searches the filtered titles exactly (~0.1 ms for 2,000).
EXACT_FILTERED = 2_000
# similar_warm_up asks Annoy for this many titles' candidates a step (~0.3 ms each).
WARM_UP_STEP = 500

# "Because X" needs genres in common: three, or at least this share of the two titles' genres together
# (Code Geass R2 is no reason for Naruto: Action and Super Power of nine genres between them).
RELATED_GENRE_SHARE = 0.25
# A cold title's "because Y": Y adds at least this share of what the member's given titles add to the
# title's vector score (x_u . y), and that score is at least DRIVES_ABOVE sd above the cold titles' mean
# (the member's taste, not the popularity prior, put it on the list). A new title that names no title
# says what it was picked for by the same test: its content or raters, or else popularity.
DRIVES_SHARE = 0.3
DRIVES_ABOVE = 1.0
# A list holds a new season of a work the member loved at every this many ranks of the trained order.
LOVED_WORK_EVERY = 2
NEW_MONTHS = 12  # /recommend new: titles first aired in the last this many months
# ServedModel.allowed keeps the filter masks it made (genre, type, adult gate: a few kinds a server asks for), each
# 0.3 ms to make over the 15,532 served titles (a search of the catalog per id): every /recommend in a channel
# that is not age-restricted asks for one. Past this many kinds, the kept ones are let go.
FILTER_MASKS_KEPT = 256


@dataclass(frozen=True)
class Pick:
    anime_id: int
    score: float  # ranking score, higher first: the list is in this order
    predicted: float  # calibrated 1-10 prediction for this member
    match: float  # 0-1, follows the ranking: the estimated chance the member goes on to watch it
    kind: str  # CONTINUE (goes on from `because`, a title the member gave) or NEW (anything else)
    because: int | None  # the member's title behind the pick (for CONTINUE: the one it continues)
    more_in_series: int  # other entries of its franchise the member has not given
    source: str | None = None  # a title without interactions: where its vector comes from (coldstart.SOURCES)
    starts_at: int | None = None  # rank_titles: a later entry of a series the member has not started: its start
    # A later entry of a work the member started but has not caught up with: the entry before it they catch up
    # with first (FanRules.catch_up_to; /recommend names one only where its window leaves out what comes next)
    catch_up: int | None = None


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
class TitleSpace:
    """Every served title as one item index (the trained titles, then the cold ones): what the fan rules
    read of a model (item_ids, index_of), so they hold for cold titles as for trained ones."""

    item_ids: np.ndarray
    positions: Mapping[int, int]

    def index_of(self, anime_id: int) -> int | None:
        return self.positions.get(int(anime_id))

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


@dataclass(frozen=True)
class _Scored:
    """One member's scoring of every served title, for one request."""

    scores: np.ndarray  # ServedModel.scores
    terms: list  # the item-item terms behind the trained titles' scores (Recommender.ranking)
    z: np.ndarray  # x_u . y standardized over its kind, trained or cold (Products.warm_z, Products.cold_z)
    # Per cold title, the member's best score of an earlier title of its work they rated at least the cold path's
    # liked_rating, else 0 (ServedModel._loved_works); None without cold titles.
    loved: np.ndarray | None = None


@dataclass(frozen=True)
class SimilarList:
    neighbours: list[tuple[int, float]]  # (anime_id, similarity), best first, one per other work
    same_series: list[int]  # the title's own franchise, oldest first (grouped, never in neighbours)
    # A neighbour that comes later in a work the member has not started, shown itself because the filter
    # leaves its start out (a sequel film under type=Movie): its anime id -> where the work starts.
    starts_at: dict[int, int] = field(default_factory=dict)


class PlacedByNothing(LookupError):
    """A title /similar has nothing to place by: no member's ratings, no franchise, no genres (a film or web
    series known from bangumi-data alone). Its vector is the mean of its type and year: its 'neighbours'
    would be chance."""


class _KeptRows:
    """Rows of ServedModel._alone by (anime id, rating), least recently used out first past ``limit``
    bytes. A row asked once is kept as made (float64, higher first); asked again, as its dense ranks (0
    the title's best, tied values one rank) in the smallest unsigned dtype that holds ``n_items``: a
    quarter of the bytes, and every comparison _covering makes of the row comes out the same (the sort
    that ranks a row, about as costly as making it (0.7 and 0.8 ms, median per row over bench_serve.py's
    members under 6 titles), is left to its second ask: a row asked once never pays for it). Requests
    share it from their threads: each look-up and store holds a lock, the work between them does not
    (two requests making one row both store the same values)."""

    def __init__(self, n_items: int, limit: int = ALONE_KEPT_BYTES) -> None:
        self.masked = n_items  # a rank past every title's: a title the request may not show
        self.dtype = np.min_scalar_type(n_items)
        self.limit = limit
        self._rows: OrderedDict[tuple[int, float], np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: tuple[int, float]) -> bool:
        """Whether the row is kept, without marking it used or ranking it (get does both)."""
        with self._lock:
            return key in self._rows

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: tuple[int, float]) -> np.ndarray | None:
        """The kept row (its ranks once asked for a second time), or None."""
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._rows.move_to_end(key)
        if row is None or row.dtype == self.dtype:
            return row
        ranks = self.ranks(row)
        self.put(key, ranks)
        return ranks

    def put(self, key: tuple[int, float], row: np.ndarray, *, replace: bool = True) -> None:
        """Keeps the row (``replace=False``: unless one is kept already, as its ranks perhaps)."""
        with self._lock:
            if not replace and key in self._rows:
                return
            old = self._rows.pop(key, None)
            self._bytes += row.nbytes - (old.nbytes if old is not None else 0)
            self._rows[key] = row
            while self._bytes > self.limit and len(self._rows) > 1:
                self._bytes -= self._rows.popitem(last=False)[1].nbytes

    def ranks(self, row: np.ndarray) -> np.ndarray:
        """Dense ranks of a row, best (highest) first: equal values one rank."""
        out = np.zeros(len(row), self.dtype)
        if len(row) == 0:
            return out
        order = np.argsort(-row)
        ordered = row[order]
        out[order[1:]] = np.cumsum(ordered[1:] != ordered[:-1])
        return out


class ServedModel:
    """A served model with the catalog and franchise graph it is shown through.

    Built once per model (a hot swap builds a new one); every method is read-only but for the coverage
    rows it keeps (_KeptRows, which locks around each look-up and store) and the exact /similar candidates
    it keeps on the model (_sparse_nearest: each stored whole in one dict assignment; two threads making
    one at once make the same), so requests may run in threads side by side.
    """

    def __init__(self, model: Recommender, catalog: Catalog, franchises: Franchises | None = None) -> None:
        self.model = model
        self.catalog = catalog
        self.franchises = franchises or franchises_for(catalog)
        ids, V = model.similar_space()  # every title: the trained ones, then the cold ones
        model.doubt()  # made here, not in a member's first request
        self.ids = ids
        self.n_trained = model.n_items
        self.titles = TitleSpace(ids, {a: i for i, a in enumerate(ids.tolist())})
        self._positions = IdPositions(ids)
        # The rules read item_ids and index_of only: over TitleSpace they hold for cold titles too.
        self.rules = FanRules(cast(Recommender, self.titles), catalog, self.franchises, trained=self.n_trained)
        self._genre_matrix = genre_matrix(ids, catalog)[0]  # items x genres, 0/1
        members = np.array([catalog.get(a).members if a in catalog else 0 for a in ids.tolist()], np.float64)
        # /similar's support prior for a cold title: its MAL members in the training sample's units.
        trained = members[: self.n_trained]
        per_member = float(model.item_popularity.sum()) / max(float(trained.sum()), 1.0)
        support = np.concatenate([model.item_popularity, members[self.n_trained:] * per_member])
        self._popularity_of = support.tolist()  # a list: rerank indexes it per candidate
        self._prior = support / (support + SPARSE_SUPPORT_K)  # _sparse_candidates' order: their rerank's prior
        self._unit_vectors = V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)
        # What /similar may list beside a title whose own place is learnt from members: titles placed by
        # evidence too (Recommender.similar_evidenced, searched in their own index).
        self._evidenced = model.similar_evidenced()
        self._n_evidenced = int(self._evidenced.sum())
        self._evidence_rows = np.flatnonzero(self._evidenced)
        # Placed by evidence, with little support: /similar reads _sparse_candidates.
        self._exact_similar = self._evidenced & (support < SPARSE_SUPPORT)
        self._evidence_vectors = np.ascontiguousarray(self._unit_vectors[self._evidence_rows])
        self._sparse_kept = model.nearest_kept("evidence", self._evidence_rows)
        # Content guesses without a genre known (PlacedByNothing).
        self._unplaced = ~self._evidenced & ~self._genre_matrix.any(axis=1)
        # The titles members watch (SPARSE_SUPPORT or more): a content guess's neighbours come from these
        # first (_guess_candidates).
        self._watched = support >= SPARSE_SUPPORT
        self._watched_rows = np.flatnonzero(self._watched)
        self._watched_vectors = np.ascontiguousarray(self._unit_vectors[self._watched_rows])
        self._guess_kept = model.nearest_kept("watched", self._watched_rows)
        # The titles whose /similar searches that index: none when it would hold every title.
        self._by_evidence = self._evidenced if self._n_evidenced < self.n_items else np.zeros(self.n_items, bool)
        if self._n_evidenced < self.n_items:
            model.evidence_ann()  # built now (about half a second), not on a member's first /similar
        if model.cold is not None and len(model.cold.anime_ids):
            model.distinct_cold()  # likewise (a sort of the cold vectors), not on the first request
        # How watched a title is, for discover and the /similar warm-up: MAL members on one scale (Catalog.members_now).
        watched = catalog.members_now(ids.tolist())
        n = len(ids)
        self._most_watched = np.argsort(-watched, kind="stable")  # item indices, most MAL members first
        self._popular_rank = np.empty(n, np.int64)
        self._popular_rank[self._most_watched] = np.arange(n)
        self._log_popularity = standardized(np.log1p(watched))
        starts = [catalog.get(a).start_date if a in catalog else None for a in ids.tolist()]
        self._start = np.array([s or "NaT" for s in starts], "datetime64[D]")  # NaT: unknown, in no date range
        self._cold_work = self.rules.item_work[self.n_trained:]  # each cold title's work
        self._cold_counted = members[self.n_trained:] > 0  # a MyAnimeList members count is known
        self._cold_by_work = RowGroups(self._cold_work)  # a work's cold titles, for the member's works' new seasons
        # Each served title's franchise as the cold vectors were scored by (ColdVectors.warm_franchise, .franchise).
        cold = model.cold
        self._given_franchise = (np.concatenate([cold.warm_franchise, cold.franchise]) if cold is not None
                                 else np.full(len(ids), -1, np.int64))
        # Each liked title's ranking alone, for the coverage order (_covering): made from this model's vectors.
        self._kept_alone = _KeptRows(n)
        self._filter_masks: dict[tuple[Filters, bool], np.ndarray] = {}  # allowed's, read-only

    def with_model(self, model: Recommender) -> ServedModel:
        """This served model over ``model``, one with the same titles and vectors but its own cold
        vectors (Recommender.with_own_cold): nothing here depends on a cold vector's values but the kept
        coverage rows, which start empty."""
        out = copy.copy(self)
        out.model = model
        out._kept_alone = _KeptRows(self.n_items, self._kept_alone.limit)
        if model.cold is not None and len(model.cold.anime_ids):
            model.distinct_cold()
        return out

    @property
    def n_items(self) -> int:
        """Served titles: trained and cold."""
        return len(self.ids)

    def index_of(self, anime_id: int) -> int | None:
        return self.titles.index_of(anime_id)

    def is_cold(self, anime_id: int) -> bool:
        i = self.index_of(anime_id)
        return i is not None and i >= self.n_trained

    def allowed(self, filters: Filters = NO_FILTERS, *, allow_adult: bool = True, aired_from: date | None = None,
                aired_to: date | None = None) -> np.ndarray | None:
        """The filter mask aligned to the served titles (ids), the one every ``allowed`` below takes (None:
        no filter). ``aired_from`` / ``aired_to``: only titles first aired in that range (either end open;
        a title with no known start date is left out by either). Without a range the mask is one kept for every
        request with these filters (FILTER_MASKS_KEPT): it is read-only."""
        if filters == NO_FILTERS and allow_adult and aired_from is None and aired_to is None:
            return None
        mask = self._filter_masks.get((filters, allow_adult))
        if mask is None:
            mask = self.catalog.filter_mask(self.ids, filters, allow_adult=allow_adult)
            mask.flags.writeable = False  # shared by every request that asks for it
            if len(self._filter_masks) >= FILTER_MASKS_KEPT:
                self._filter_masks.clear()
            self._filter_masks[(filters, allow_adult)] = mask
        if aired_from is not None or aired_to is not None:
            mask = mask & ~np.isnat(self._start)
        if aired_from is not None:
            mask &= self._start >= np.datetime64(aired_from, "D")
        if aired_to is not None:
            mask &= self._start <= np.datetime64(aired_to, "D")
        return mask

    def before_window(self, filters: Filters = NO_FILTERS, *, allow_adult: bool = True,
                      aired_from: date | None = None) -> np.ndarray | None:
        """The titles that the window from ``aired_from`` alone leaves out of allowed(filters, ...): first
        aired before it, and let through by the filters otherwise. /recommend new names one of those as the
        season to catch up with before a started work's entry inside the window (recommend's ``catch_up``).
        None without a window."""
        if aired_from is None:
            return None
        out = ~np.isnat(self._start) & (self._start < np.datetime64(aired_from, "D"))
        undated = self.allowed(filters, allow_adult=allow_adult)
        return out if undated is None else out & undated

    def given(self, ratings: Iterable[int]) -> np.ndarray:
        """Item indices of the titles a member gave (trained or cold)."""
        idx = self._positions.of(np.fromiter(ratings, np.int64))
        return idx[idx >= 0]

    def blocked(self, given: np.ndarray, exclude: Iterable[int] = (), allowed: np.ndarray | None = None) -> np.ndarray:
        """Bool mask over the served titles a list may not show: the item indices ``given``, the anime ids
        in ``exclude``, and what ``allowed`` leaves out."""
        blocked = np.zeros(self.n_items, bool)
        blocked[given] = True
        blocked[self.rules.indices(exclude)] = True
        if allowed is not None:
            blocked |= ~np.asarray(allowed, bool)
        return blocked

    def scores(self, user: FoldedUser, ratings: Mapping[int, float], new_only: bool = False
               ) -> tuple[np.ndarray, list]:
        """A member's ranking score of every served title (float64, a fresh array), and the item-item
        terms behind the trained titles' (Recommender.ranking). Cold titles are placed by cold_placed.
        ``new_only``: the list holds cold titles only, so each stands by its cold-start score (the order
        the time-split evaluation measured), whatever its vector's source; otherwise a content guess
        stands below the trained titles."""
        scored = self._scored(user, self.given(ratings), new_only=new_only)
        return scored.scores, scored.terms

    def _scored(self, user: FoldedUser, given: np.ndarray, new_only: bool = False,
                products: Products | None = None, taste_only: bool = False) -> _Scored:
        """scores() of the member who gave the item indices ``given`` (ServedModel.given), with their
        x_u . y per served title (standardized per kind) computed on the way: the member's Products, the
        costliest step of a request, made once (or given, as _with_alone makes them). ``taste_only``: the cold
        titles ranked without the popularity prior (_cold_ranked)."""
        products = products if products is not None else self.model.products([user])[0]
        warm_z, cold_z = products.warm_z, products.cold_z
        warm, terms = self.model.ranking(user, products)
        out = np.empty(self.n_items, np.float64)
        out[: self.n_trained] = warm
        every_z = np.empty(self.n_items, np.float64)
        every_z[: self.n_trained] = warm_z
        loved = None
        if cold_z is not None and self.n_items > self.n_trained:
            every_z[self.n_trained:] = cold_z
            placed, loved_works = self._cold_ranked(warm[None], cold_z[None], [user], [given], new_only, taste_only)
            out[self.n_trained:], loved = placed[0], loved_works[0]
        return _Scored(out, terms, every_z, loved)

    def _with_alone(self, user: FoldedUser, loves: Sequence[int], ratings: Mapping[int, float]
                    ) -> tuple[Products, dict[tuple[int, float], np.ndarray]]:
        """The member's Products, and the _alone rows of those of ``loves`` not kept, by (title, rating),
        made from one pass over the factor matrices: a pass costs its read of them, whatever the vectors
        (Recommender.products), and a short list's first ask read them twice, for the member and then for
        their liked titles."""
        missing = [a for a in loves if (int(a), float(ratings[a])) not in self._kept_alone]
        users = self.model.fold_in_each({a: ratings[a] for a in missing}) if missing else []
        products = self.model.products([user, *users])
        if not missing:
            return products[0], {}
        rows = self._alone(missing, ratings, users, products[1:])
        return products[0], {(int(a), float(ratings[a])): row for a, row in zip(missing, rows)}

    def _alone_rows(self, loves: Sequence[int], ratings: Mapping[int, float],
                    made: Mapping[tuple[int, float], np.ndarray] | None = None) -> list[np.ndarray]:
        """_alone's row of each of ``loves``: from ``made`` (_with_alone's), else those kept (_KeptRows:
        dense ranks, or the values of a row asked once), else made now, the missing ones together; each
        made row is kept."""
        made = dict(made or {})
        keys = [(int(a), float(ratings[a])) for a in loves]
        rows = [made[key] if key in made else self._kept_alone.get(key) for key in keys]
        missing = [j for j, row in enumerate(rows) if row is None]
        if missing:
            for j, row in zip(missing, self._alone([loves[j] for j in missing], ratings)):
                rows[j] = made[keys[j]] = row
        for key, row in made.items():  # another request may have kept it, and ranked it, since
            self._kept_alone.put(key, row, replace=False)
        return cast(list[np.ndarray], rows)

    def _first_ranked(self, ranks: np.ndarray, n: int) -> np.ndarray:
        """top_n over a row of dense ranks (_KeptRows), as a set: the best ``n`` titles the request may
        show. Of titles tied in rank at the n-th place, top_n over the row's values takes the lower item
        indices, and so does this."""
        key = -ranks.astype(np.float64)
        key[ranks >= self._kept_alone.masked] = -np.inf
        return top_n(key, n)

    def _alone(self, loves: Sequence[int], ratings: Mapping[int, float], users: Sequence[FoldedUser] | None = None,
               products: Sequence[Products] | None = None) -> np.ndarray:
        """(loves x served titles): each of the anime ids ``loves`` ranked alone, as scores() ranks for a
        member who gave only that title, standardized; the titles' cold parts made together. ``users`` and
        ``products``: their fold_in_each and Products, when the caller made them."""
        model, n = self.model, self.n_trained
        if users is None or products is None:
            users = model.fold_in_each({a: ratings[a] for a in loves})
            products = model.products(users)
        warm = np.vstack([model.ranking(u, p)[0] for u, p in zip(users, products)])
        out = np.empty((len(loves), self.n_items), np.float64)
        out[:, :n] = warm
        cold_zs = [p.cold_z for p in products if p.cold_z is not None]
        if len(cold_zs) == len(loves) and self.n_items > n:
            out[:, n:] = self._cold_ranked(warm, np.vstack(cold_zs), users, [self.given([a]) for a in loves], False)[0]
        return np.vstack([standardized(row) for row in out])

    def _cold_ranked(self, warm: np.ndarray, cold_z: np.ndarray, users: Sequence[FoldedUser],
                     given: Sequence[np.ndarray], new_only: bool, taste_only: bool = False
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(members x cold titles): the cold titles' ranking scores for each member, placed among their
        trained titles' ``warm`` (members x trained) by cold_placed, and the _loved_works they were placed
        by; ``cold_z`` their standardized x_u . y of the cold titles, ``given`` the item indices each gave.
        ``taste_only``: their cold-start scores less the popularity prior (ColdConfig.prior_weight), before
        they are placed, for a list of new titles to discover."""
        cold = self.model.cold
        assert cold is not None
        member = np.repeat(np.arange(len(given)), [len(g) for g in given])
        rows = np.concatenate(given).astype(np.int64)
        franchise = self._given_franchise[rows]
        franchise_rows = cold.franchise_rows((member[franchise >= 0], franchise[franchise >= 0]))
        loved_work = self._loved_works(users)
        scores = cold.members_scores(cold_z, franchise_rows, continues_liked=loved_work > 0)
        if taste_only:
            scores -= cold.config.prior_weight * cold.prior
        placeable = None
        if not new_only:
            # A title no MyAnimeList count knows (1,186 bangumi-data releases: films, recaps, web shorts, most
            # shown by their Japanese name with no genres) whose vector is its franchise's has no sign that
            # anyone watches it: it stands among the new titles, not above the trained picks (a Psycho-Pass
            # side film third for a member who rated Psycho-Pass, an Attack on Titan recap film for a
            # newcomer). The server's own raters are such a sign.
            watched = self._cold_counted | (cold.source == COMMUNITY)
            placeable = cold.members_evidenced(franchise_rows, len(given)) & watched
            # A new season of a work the member gave is evidence enough to stand among the trained picks,
            # whatever its vector's source: the member's own rating of the work speaks for it.
            j, goes_on = self._cold_by_work.pairs(self.rules.item_work[rows])
            placeable[member[j], goes_on] = True
        return np.vstack([cold_placed(warm[k], scores[k], placeable=None if placeable is None else placeable[k],
                                      loved_work=loved_work[k], work=self._cold_work) for k in range(len(given))]), \
            loved_work

    def _loved_works(self, users: Sequence[FoldedUser]) -> np.ndarray:
        """(members x cold titles): each member's best score of a title the cold title comes after (by
        first air date) in its work, among those they rated at least the cold path's liked_rating; 0
        where there is none."""
        n = self.n_trained
        out = np.zeros((len(users), self.n_items - n), np.float64)
        cold = self.model.cold
        if cold is None:
            return out
        bar = cold.config.liked_rating
        liked = [np.concatenate([u.seen[u.ratings >= bar], n + u.cold_seen[u.cold_ratings >= bar]]) for u in users]
        score = np.concatenate([np.concatenate([u.ratings[u.ratings >= bar], u.cold_ratings[u.cold_ratings >= bar]])
                                for u in users])
        member = np.repeat(np.arange(len(users)), [len(x) for x in liked])
        every = np.concatenate(liked).astype(np.int64)
        j, rows = self._cold_by_work.pairs(self.rules.item_work[every])
        later = self._start[n + rows] > self._start[every[j]]
        np.maximum.at(out, (member[j][later], rows[later]), score[j][later])
        return out

    def predictions(self, user: FoldedUser, idx: np.ndarray) -> np.ndarray:
        """Calibrated 1-10 predictions of served titles (item indices): a cold title's is the cold-start
        one, its item part shrunk toward the member's mean by how much its vector is trusted."""
        idx = np.asarray(idx, np.int64)
        out = np.empty(len(idx), np.float64)
        warm = idx < self.n_trained
        if warm.any():
            out[warm] = self.model.predicted_ratings(user, idx[warm])
        if (~warm).any():
            cold = self.model.cold
            assert cold is not None
            out[~warm] = calibrated(cold.predicted(self.model.global_mean, user.user_bias, user.rating_vec,
                                                   idx[~warm] - self.n_trained))
        return out

    def source(self, i: int) -> str | None:
        """Where a cold title's vector comes from (coldstart.SOURCES); None for a trained title."""
        cold = self.model.cold
        return SOURCES[cold.source[i - self.n_trained]] if i >= self.n_trained and cold is not None else None

    def scored(self, i: int) -> bool:
        """Whether a cold title's bias comes from its MyAnimeList score (ColdVectors.scored); False when trained."""
        cold = self.model.cold
        return bool(cold.scored[i - self.n_trained]) if i >= self.n_trained and cold is not None else False

    def new_since(self, today: date | None = None) -> date:
        """The first day of /recommend new's window: NEW_MONTHS before today."""
        today = today or date.today()
        months = today.year * 12 + today.month - 1 - NEW_MONTHS
        return date(months // 12, months % 12 + 1, 1)

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
        catch_up: np.ndarray | None = None,
    ) -> PickList:
        """A member's picks after the fan rules, trained and cold titles together. ``allowed``: bool mask
        aligned to the served titles (ServedModel.allowed); ``discover``: favour less-watched titles (the
        most watched DISCOVER_SKIP_TOP never appear); ``catch_up``: titles ``allowed`` leaves out that a
        later entry of a started work may name as the one to watch first (ServedModel.before_window)."""
        model = self.model
        user = user or model.fold_in(ratings)
        new_only = allowed is not None and not np.asarray(allowed, bool)[: self.n_trained].any()
        gave = self.given(ratings)
        floor = member_floor(ratings)
        # The liked titles a short list covers (only looked for in one: a long history is never covered).
        loves = [a for a, r in ratings.items() if liked(r, floor) and self.index_of(a) is not None] \
            if len(ratings) < COVERAGE_BELOW else []
        covering = len(loves) >= 2
        products, made = self._with_alone(user, loves, ratings) if covering else (None, {})
        # Discovering new titles ranks them by the member's taste, without the popularity prior the cold-start
        # scores hold at ColdConfig.prior_weight: the discover weight beside it moved nothing, and "Discoveries" of a
        # slice-of-life fan led with the season's most watched action shows, "widely watched on MyAnimeList".
        discovering_new = discover and new_only and self.model.cold is not None
        scored = self._scored(user, gave, new_only=new_only, products=products, taste_only=discovering_new)
        scores, terms = scored.scores, scored.terms
        # What the member may never be shown here, and apart from it what this request leaves out (dismissed
        # titles, earlier pages): the coverage order below is made without the latter.
        never = self.blocked(gave, (), allowed)
        mine = self.rules.given(ratings)
        never |= self.rules.dropped(mine, dropped_floor(ratings))
        earlier = mine.earlier
        self.rules.favour_started(scores, mine, floor)
        if discover:
            if discovering_new:
                # Only a title the member's taste puts DRIVES_ABOVE sd above the rest is a discovery (a pick under it
                # says popularity put it there), and the window's DISCOVER_SKIP_NEW most watched are none either, as
                # the catalog's most watched are none of an unwindowed list (a new title is rarely among those).
                shown = np.flatnonzero(~never[self.n_trained:]) + self.n_trained
                never[shown[np.argsort(self._popular_rank[shown], kind="stable")[:DISCOVER_SKIP_NEW]]] = True
                never[shown[~self._taste_speaks_for(shown, user, floor, scored.z)]] = True
            scores -= DISCOVER_WEIGHT * self._log_popularity
            never |= self._popular_rank < DISCOVER_SKIP_TOP
            # Series the member has not started: their next seasons, and a franchise's parody OVAs and game
            # discs, are no discovery (plain /recommend has those).
            never |= np.isin(self.rules.item_franchise, self.rules.item_franchise[gave])
        excluded = self.blocked(np.empty(0, np.int64), exclude)
        blocked = never | excluded
        seen_these = self.rules.seen_these(scores, earlier, blocked)
        never[earlier] = blocked[earlier] = True
        # The coverage order is made on the member's own scores, before this request's exclusions, and the
        # excluded titles are then passed over: a later page, or the page after a dismissal, is the same
        # list without what it leaves out.
        own = np.where(never, -np.inf, scores) if covering else scores
        scores[blocked] = -np.inf
        behind = None
        if catch_up is not None:  # what the window alone leaves out, open again for the rules' catch-up entries
            behind = (blocked & ~catch_up) | excluded
            behind[gave] = behind[earlier] = True

        predicted: dict[int, float] = {}

        def prediction(i: int) -> tuple[float]:
            if i not in predicted:
                predicted[i] = float(self.predictions(user, np.array([i]))[0])
            return (predicted[i],)

        if covering:
            best = own[top_n(own, CANDIDATE_FIRST)]  # none when the request's filters leave nothing
            step = COVERAGE_WEIGHT * ((float(np.std(best)) if len(best) else 0.0) or 1.0)
            candidates: Iterable[int] = self._passing(
                self._covering(own, ratings, loves, user, predicted, step, made), own, scores)
        else:
            candidates = self._candidates(scores, user, predicted)
        lowest = pick_floor(ratings)  # the list's floor, below what the member likes
        # A new season of a work the member liked (a title of it they scored at or above member_floor) is
        # predicted from its predecessor's vector shrunk toward a content guess: under a member who scores only
        # 8s to 10s that doubt alone sinks it under the floor (Attack on Titan's later seasons for a member who
        # gave the first 9 of a 9.0 mean). Their own score of the work is the better evidence: the floor lets it by.
        vouched = frozenset() if scored.loved is None else \
            frozenset((np.flatnonzero((scored.loved > 0) & (scored.loved >= floor)) + self.n_trained).tolist())
        fan_of = None if behind is None else self.rules.liked_franchise(mine, floor)
        slots = self.rules.slots(candidates, scores, blocked, [mine], prediction, [lowest], n, vouched,
                                 [self.rules.disliked_elsewhere(mine, floor)], [floor], behind, fan_of)
        # A continue pick names the title it goes on from, and is one only when it has one. An entry of a
        # started work that comes after no title the member gave (Nekomonogatari: Kuro, which aired before
        # Monogatari Second Season, for a member who gave only the latter) continues nothing of theirs: it
        # is worded as a new pick, "because".
        fixed = [self._goes_on_from(slot.shown, ratings) if slot.kind == CONTINUE else None for slot in slots]
        idx = np.array([slot.shown for slot in slots], np.int64)
        reasons = self._because(user, ratings, idx, fixed, terms, floor, scored.z)
        for j, slot in enumerate(slots):
            if slot.catch_up is not None and (theirs := self._their_title_of(
                    slot.shown, ratings, floor, catching_up=True)) is not None:
                reasons[j] = theirs
        ranked = scores[[slot.ranked for slot in slots]]
        caught_up = [None if slot.catch_up is None else int(self.ids[slot.catch_up]) for slot in slots]
        picks = [Pick(anime_id, score, predicted[i], match, CONTINUE if goes_on is not None else NEW, reason, more, source,
                      catch_up=catch)
                 for anime_id, i, score, match, goes_on, reason, more, source, catch in zip(
                     self.ids[idx].tolist(), idx.tolist(), ranked.tolist(), match_chance(ranked).tolist(), fixed, reasons,
                     self.rules.more_in_series(idx, mine), self._sources(idx, reasons, scored.z, user, floor), caught_up)]
        return PickList(picks, seen_these, n, lowest)

    def rank_titles(self, ratings: Mapping[int, float], anime_ids: Iterable[int], *,
                    user: FoldedUser | None = None, n: int | None = None) -> list[Pick]:
        """Given titles (e.g. a season's shows) ranked for a member, none they gave, with the words
        /recommend would use: CONTINUE (naming the title it goes on from) where the member started the
        work and can go on to it (FanRules.can_continue), else NEW with its "because" (the liked title of
        its work they gave, where they have not caught up with it, and the entry they go on to first:
        Pick.catch_up). No floor and no one-per-franchise: the caller asked for these titles. A later entry
        of a series the member has not started (Re:Zero's 4th season for someone who never saw Re:Zero)
        comes after the rest, with where the series starts (Pick.starts_at), as /recommend would send them
        there. Titles not served are left out. ``n``: only the first n picks (a list shows ten of a
        season's seventy shows): each pick's words are its own, so they are made for those alone."""
        model = self.model
        user = user or model.fold_in(ratings)
        idx = np.array([i for a in dict.fromkeys(anime_ids) if (i := self.index_of(a)) is not None
                        and int(a) not in ratings], np.int64)
        if len(idx) == 0:
            return []
        gave = self.given(ratings)
        scored = self._scored(user, gave, new_only=bool((idx >= self.n_trained).all()))
        scores, terms = scored.scores, scored.terms
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        rules, mine = self.rules, self.rules.given(ratings)
        floor = member_floor(ratings)
        # A later entry of another work of a franchise the member likes is theirs to follow as one of a work they
        # started: ranked with the rest, with the entry to catch up with first (the 2024 Kyoto Disturbance, after
        # the 2023 remake, for a member who gave the 1996 Rurouni Kenshin 9).
        fan_of = rules.liked_franchise(mine, floor)
        starts: list[int | None] = []
        for i in idx.tolist():
            start = rules.later_start(i) if rules.work_of(i) not in mine.started else None
            starts.append(int(self.ids[start]) if start is not None and not fan_of[i] else None)
        # A recap of a work the member started retells what they saw: after the rest, as the later entries of a
        # series they never started are (a Made in Abyss recap film was first for a member who gave the series 10).
        recap = [rules.work_of(i) in mine.started and self.franchises.is_recap(int(self.ids[i])) for i in idx.tolist()]
        order = sorted(range(len(idx)), key=lambda j: starts[j] is not None or recap[j])[:n]  # stable: by score
        recap = [recap[j] for j in order]
        idx, starts = idx[order], [starts[j] for j in order]
        predicted = self.predictions(user, idx)
        held = self.blocked(gave)  # what a catch-up may not name: what they gave, and what comes before that
        held[mine.earlier] = True
        fixed, behind = [], {}
        catch_up: list[int | None] = []
        for j, i in enumerate(idx.tolist()):
            work = rules.work_of(i)
            started = work in mine.started
            # A continue pick goes on from a title the member gave, directly before it (through specials).
            goes_on = started and rules.can_continue(i, mine)
            fixed.append(self._goes_on_from(i, ratings) if goes_on else None)
            catch = None
            if (started and not goes_on) or (not started and fan_of[i] and rules.later_start(i) is not None):
                if not recap[j]:  # a recap retells what they saw: no entry to catch up with before it
                    first = rules.catch_up_to(i, held)  # as /recommend new names it
                    catch = int(self.ids[first]) if first is not None else None
                theirs = self._their_title_of(i, ratings, floor, catching_up=catch is not None)
                if theirs is not None:
                    behind[j] = theirs
            catch_up.append(catch)
        reasons = self._because(user, ratings, idx, fixed, terms, floor, scored.z)
        for j, a in behind.items():
            reasons[j] = a
        ranked = scores[idx]  # a season's shows at once: per-show numpy scalars were a third of the call
        return [Pick(anime_id, score, p, match, CONTINUE if goes_on is not None else NEW, reason, more, source, start,
                     catch)
                for anime_id, score, match, p, goes_on, reason, more, source, start, catch in zip(
                    self.ids[idx].tolist(), ranked.tolist(), match_chance(ranked).tolist(), predicted.tolist(), fixed,
                    reasons, rules.more_in_series(idx, mine), self._sources(idx, reasons, scored.z, user, floor), starts,
                    catch_up)]

    def _their_title_of(self, i: int, ratings: Mapping[int, float], floor: float, *, catching_up: bool) -> int | None:
        """The member's title named as the reason for item i, a later entry of a work they started and have not
        caught up with (they gave season 1 of a season's 3rd): their best of the work they liked (``floor``), not
        another title of its genres (and for a new season, what lifts it: ColdConfig.liked_continuation_weight).
        Where an entry to catch up with is named beside it (``catching_up``), their best they did not dislike
        (DISLIKED_FLOOR): the line speaks of their series then, and "Because you rated Mob Psycho 100 · catch up
        with One Punch Man 2nd Season first", for a member who gave One Punch Man 8 under a mean of 8.8, read as if
        that were it. With nothing of the work given, the catch-up is into another work of a franchise they like
        (FanRules.liked_franchise): their best liked title of the franchise."""
        theirs = self._best_of(ratings, DISLIKED_FLOOR if catching_up else floor, work=self.rules.work_of(i))
        if theirs is None and catching_up:
            theirs = self._best_of(ratings, floor, franchise=self.franchises.franchise_of(int(self.ids[i])))
        return theirs

    def _best_of(self, ratings: Mapping[int, float], floor: float | None = None, *, work: int | None = None,
                 franchise: int | None = None, but: int | None = None) -> int | None:
        """The member's best scored title of a ``work``, or of a ``franchise`` (anime id ``but`` aside), of those
        they liked (at or above ``floor``, or watched) when a floor is given; None for none."""
        group, of = (work, self.franchises.work_of) if work is not None else (franchise, self.franchises.franchise_of)
        theirs = [a for a in ratings if a != but and group is not None and of(a) == group
                  and (floor is None or liked(ratings[a], floor))]
        return max(theirs, key=lambda a: ratings[a]) if theirs else None

    def _goes_on_from(self, i: int, ratings: Mapping[int, float]) -> int | None:
        """The title a continue pick (item index i) names: of the titles directly before it (through
        specials) the member gave, the one they scored highest; None when they gave none of those."""
        before = self.rules.before(i) & ratings.keys()
        return max(before, key=ratings.__getitem__) if before else None

    def _candidates(self, scores: np.ndarray, user: FoldedUser, predicted: dict[int, float]) -> Iterator[int]:
        """Item indices best first, CANDIDATE_DEPTH deep, in two rounds (most lists fill from the first
        CANDIDATE_FIRST); ``predicted`` gets each round's predictions in one product, with those of the
        entry points a new work's slot shows instead (one at a time, they cost as much as the round)."""
        done = 0
        for depth in (CANDIDATE_FIRST, CANDIDATE_DEPTH):
            order = top_n(scores, depth)[done:]
            both = dict.fromkeys([*order.tolist(), *self.rules.entry_points[order].tolist()])
            wanted = np.array([i for i in both if i >= 0 and i not in predicted], np.int64)
            predicted.update(zip(wanted.tolist(), self.predictions(user, wanted).tolist()))
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
                  user: FoldedUser, predicted: dict[int, float], weight: float,
                  made: Mapping[tuple[int, float], np.ndarray] | None = None) -> Iterator[int]:
        """Item indices by the score less COVERAGE_WEIGHT sd per pick the candidate's liked title
        already has (COVERAGE_BELOW). A candidate belongs to the liked title (anime ids ``loves``) whose
        ranking alone places it highest (standardized, so a film's and a long series' compare); the
        candidates are the best CANDIDATE_DEPTH by the score and each title's own best CANDIDATE_FIRST.
        Each item's adjusted score is set in ``scores`` as it is yielded; those never rise down the
        list, so the list and its match figure still run in one order. ``made``: rows _with_alone made."""
        order, ranks = self._coverage_candidates(scores, ratings, loves, user, predicted, made)
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

    def _coverage_candidates(self, scores: np.ndarray, ratings: Mapping[int, float], loves: Sequence[int],
                             user: FoldedUser, predicted: dict[int, float],
                             made: Mapping[tuple[int, float], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """_covering's candidates, best first by ``scores`` (their predictions put in ``predicted``), and
        (loves x candidates) each one's rank in each liked title's ranking alone (0: that title's best)."""
        shut = ~np.isfinite(scores)
        rows = []  # each love's row over what this request may show: its dense ranks, or else its values
        firsts = []  # each love's own best CANDIDATE_FIRST
        for row in self._alone_rows(loves, ratings, made):
            if row.dtype == self._kept_alone.dtype:
                row = np.where(shut, self._kept_alone.masked, row)
                first = self._first_ranked(row, CANDIDATE_FIRST)
            else:
                row = np.where(shut, -np.inf, row)
                first = top_n(row, CANDIDATE_FIRST)
                row = -row
            rows.append(row)
            firsts.append(first)
        pool = np.union1d(top_n(scores, CANDIDATE_DEPTH), np.concatenate(firsts))
        order = pool[np.argsort(-scores[pool], kind="stable")]
        order = order[np.isfinite(scores[order])]
        predicted.update(zip(order.tolist(), self.predictions(user, order).tolist()))
        # By rank in each title's own ranking: two loves' shared neighbours go to the one nearer to them.
        return order, np.vstack([np.argsort(np.argsort(row[order], kind="stable"), kind="stable") for row in rows])

    def _because(self, user: FoldedUser, ratings: Mapping[int, float], idx: np.ndarray,
                 fixed: Sequence[int | None], terms: list, floor: float, z: np.ndarray) -> list[int | None]:
        """For each pick, the given title that added most to its score among those that relate to it
        (a shared genre, or one franchise) and that the member liked (a score at or above their floor,
        or watched); None when no such title helped: the caller then says it is popular with members
        of similar taste.

        A trained pick's score adds up per trained title given through the item-item terms. Otherwise a
        pick's score comes from its vector alone (x_u . y): a cold pick's, and any pick's for a member who
        gave only titles without interactions (Recommender.ranking); x_u splits per given title, trained
        or cold (Recommender.preference_contributions). Only a vector learnt from interactions, a title's
        franchise or its raters says anything of the titles it follows: a content or prior vector never
        names one. A vector-driven pick also needs the named title to add DRIVES_SHARE of what the given
        titles add, and its vector score to stand DRIVES_ABOVE sd above its kind's (trained or cold; else
        popularity put it there): ``z``, _Scored.z. A new title that continues a trained one of a franchise
        the member liked names their best-scored title of it (their start of the franchise keeps it up)."""
        out = list(fixed)
        todo = [j for j, b in enumerate(fixed) if b is None]
        n_seen = len(user.seen)
        if not todo or n_seen + len(user.cold_seen) == 0:
            return out
        n = self.n_trained
        given, rated = self._given_of(user)
        given_ids = self.ids[given]
        loved = liked(rated, floor)
        by_terms = [j for j in todo if idx[j] < n] if terms else []
        evidenced = self.model.cold.evidenced() if self.model.cold is not None else np.zeros(0, bool)
        by_vector = [j for j in todo if (idx[j] < n and not terms) or (idx[j] >= n and evidenced[idx[j] - n])]
        for cols in (by_terms, by_vector):
            if not cols:
                continue
            picks = idx[cols]
            if cols is by_terms:
                contrib = np.zeros((len(given), len(cols)), np.float32)
                contrib[:n_seen] = self.model.contributions(user, picks, terms)
                ok = contrib > 0
            else:
                contrib = self.model.preference_contributions(user, self._vectors(picks))
                share = contrib >= DRIVES_SHARE * np.maximum(contrib, 0).sum(axis=0)
                ok = (contrib > 0) & share & (z[picks] >= DRIVES_ABOVE)
            ok &= self._relates(given, picks) & loved[:, None]
            best = np.argmax(np.where(ok, contrib, 0.0), axis=0)
            for col, j in enumerate(cols):
                if ok[best[col], col]:
                    out[j] = int(given_ids[best[col]])
        # A new title of a franchise the member liked a title of (a spin-off, a side story: its own work) that
        # continues a trained title stands where it does because they started that franchise: for a member who
        # gave none of it, it drops (ColdConfig.unstarted_penalty). The liked title of it they scored highest is
        # its reason, where "widely watched" would be the popularity prior's word for a title with a few
        # thousand MyAnimeList members (One Piece: Heroines for a newcomer who gave One Piece 9).
        cold = self.model.cold
        anchored = [j for j, b in enumerate(out) if b is None and idx[j] >= n and cold is not None
                    and cold.anchor[idx[j] - n] >= 0]
        if anchored:
            franchise = self.rules.item_franchise
            # The franchise of each liked given title, -2 (no franchise's) for the others and those in none.
            liked_franchise = np.where(loved & (franchise[given] >= 0), franchise[given], -2)
            for j in anchored:
                of_it = np.flatnonzero(liked_franchise == franchise[idx[j]])
                if len(of_it):
                    out[j] = int(given_ids[of_it[np.argmax(rated[of_it])]])
        return out

    def _vectors(self, idx: np.ndarray) -> np.ndarray:
        """The item factors of served titles (a cold title's from its cold-start vector)."""
        model, n = self.model, self.n_trained
        cold = model.cold.factors if model.cold is not None else model.item_factors[:0]
        return np.array([model.item_factors[i] if i < n else cold[i - n] for i in idx.tolist()], np.float32)

    def _given_of(self, user: FoldedUser) -> tuple[np.ndarray, np.ndarray]:
        """The item indices of the titles a folded member gave (trained, then cold), and their ratings."""
        return (np.concatenate([user.seen, self.n_trained + user.cold_seen]),
                np.concatenate([user.ratings, user.cold_ratings]))

    def _sources(self, idx: np.ndarray, reasons: Sequence[int | None], z: np.ndarray, user: FoldedUser,
                 floor: float) -> list[str | None]:
        """Where each pick's score comes from, as a pick that names no title says it (serving.reasons): a
        cold title's vector source (ServedModel.source), or "prior" where the member's taste puts its
        vector score (``z``: _Scored.z) less than DRIVES_ABOVE sd above the cold titles' mean (popularity
        put it on the list, not its content or its raters); None for a trained title. A content guess is
        said to be close to what the member rates highly only when it relates (_relates: its franchise, or
        genres in common) to a title they liked (at or above ``floor``, or watched): a vector score alone
        holds what every member shares, and one historical romance was "close in genre, themes and studio
        to what you like" for a thriller fan, a slice-of-life fan and a shounen fan alike."""
        out = [self.source(i) for i in idx.tolist()]
        unnamed = [j for j, (source, reason) in enumerate(zip(out, reasons)) if source is not None and reason is None]
        if unnamed:
            tasted = self._taste_speaks_for(idx[unnamed], user, floor, z)
            for j, ok in zip(unnamed, tasted.tolist()):
                if not ok:
                    out[j] = "prior"
        return out

    def _taste_speaks_for(self, idx: np.ndarray, user: FoldedUser, floor: float, z: np.ndarray) -> np.ndarray:
        """Bool per cold title of ``idx`` (item indices): whether the member's taste, not popularity, puts it where
        it stands: its vector score (``z``: _Scored.z) DRIVES_ABOVE sd above the cold titles' mean, and a content
        guess relating (_relates) to a title they liked (at or above ``floor``, or watched). _sources' test."""
        ok = z[idx] >= DRIVES_ABOVE
        cold = self.model.cold
        if cold is None:
            return ok
        content = np.flatnonzero(ok & (cold.source[idx - self.n_trained] == CONTENT))
        if len(content):  # one product for the content guesses: a long history has thousands of liked titles
            given, rated = self._given_of(user)
            ok[content] = self._relates(given[liked(rated, floor)], idx[content]).sum(axis=0) > 0
        return ok

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
        """A member's predicted 1-10 score of one title, and the title they gave that the lists would name
        for it (None: nothing they gave relates to it closely enough): of a work they started, their best
        scored title of it; else the "because" of /recommend, where the prediction is
        at least what they like (member_floor). Under it, a loved title named beside the score read as its
        cause: "Predicted 4.8/10, because you rated Monster 9/10"."""
        model = self.model
        user = user or model.fold_in(ratings)
        i = self.index_of(anime_id)
        if i is None or len(user.seen) + len(user.cold_seen) == 0:
            return float(model.predict(user, [anime_id])[0]), None
        idx = np.array([i], np.int64)
        predicted = float(self.predictions(user, idx)[0])
        floor = member_floor(ratings)
        work = self.rules.work_of(i)
        if work in self.rules.given(ratings).started:
            # Any title of it they gave, liked or not: a later season is predicted from it (/recommend's
            # continue pick names it at any score); naming K-On! for Silver Spoon's second season, beside
            # the member's 8 for its first under a floor of 8.4, read as a guess.
            theirs = self._best_of(ratings, work=work, but=anime_id)
            if theirs is not None:
                return predicted, theirs
        if predicted < floor:
            return predicted, None
        products = model.products([user])[0]
        _, terms = model.ranking(user, products)
        z = products.warm_z if products.cold_z is None else np.concatenate([products.warm_z, products.cold_z])
        [because] = self._because(user, ratings, idx, [None], terms, floor, z)
        return predicted, because

    # ------------------------------------------------------------------------------ /similar
    def similar(self, anime_id: int, n: int = 10, *, allowed: np.ndarray | None = None,
                given: Collection[int] = ()) -> SimilarList:
        """Titles of other works nearest to one title, one per franchise, and its own series apart.

        Only evidence makes a neighbour: a title whose vector is learnt from members (trained, or a cold
        title continuing a predecessor or folded in from raters) lists titles like it, never a title
        whose vector is a content guess (a new work with nothing but its genres, studio and year: that
        it lands near Monster says nothing of Monster's fans). A title that is itself a content guess may
        list anything: its neighbours are as good as its own place.

        For the member who asks (``given``: the anime ids they rated or watched, left out of the list), a
        neighbour from a work they have not started is shown as its entry point (FanRules.entry_point,
        as /recommend does), when the filter allows it: nobody new to Code Geass is sent to R2. When it
        does not (a sequel film under type=Movie), the neighbour stays, with where its work starts
        (SimilarList.starts_at), as /seasonal names a later season's start.

        Neighbours come from the Annoy index over the /similar embeddings, re-ranked with a support
        prior (animerec.recsys.algorithms.embeddings.rerank); the index keeps each title's CANDIDATES once
        asked for them (AnnIndex.keep; similar_warm_up asks ahead). A title placed by evidence with under
        SPARSE_SUPPORT watchers reads its exact SPARSE_CANDIDATES nearest instead (_sparse_candidates), and a
        content guess its exact CANDIDATES nearest among the titles members watch (_guess_candidates). A
        filter that leaves at most EXACT_FILTERED titles is searched exactly over that subset (for a content
        guess, the titles of it members watch first), so a rare genre still fills its list;
        a wider one widens the Annoy search (past the kept candidates, a live query) until the list is
        full. Every served title is searched, cold ones too, so a title without interactions has neighbours
        and is one. UnknownTitle for a title not served; PlacedByNothing for a content guess without a
        genre known.
        """
        i = self.index_of(anime_id)
        if i is None:
            raise UnknownTitle(anime_id)
        if self._unplaced[i]:
            raise PlacedByNothing(anime_id)
        allowed = None if allowed is None else np.asarray(allowed, bool)
        by_evidence = bool(self._by_evidence[i])
        gave = self.given(given) if given else ()
        if len(gave):
            allowed = np.ones(self.n_items, bool) if allowed is None else allowed.copy()
            allowed[gave] = False
        if by_evidence and allowed is not None:
            allowed = allowed & self._evidenced
        guess = not self._evidenced[i]
        if allowed is not None and allowed.sum() <= EXACT_FILTERED:
            hits = self._exact_hits(i, n, allowed, guess)
        elif self._exact_similar[i]:
            candidates = self._sparse_candidates(i)
            # Best rerank score first: the first CANDIDATES hold the list unless filters pass over many.
            hits = self._rerank(i, candidates[:CANDIDATES], n, allowed, SPARSE_SUPPORT_K)
            if len(hits) < n:
                hits = self._rerank(i, candidates, n, allowed, SPARSE_SUPPORT_K)
            if len(hits) < n and allowed is not None:  # the filter left too few of them: search all it allows
                hits = self._exact_hits(i, n, allowed, False, SPARSE_SUPPORT_K)
        elif guess:
            hits = self._rerank(i, self._guess_candidates(i), n, allowed)
            if len(hits) < n and allowed is not None:  # the filter left too few of them: search all it allows
                hits = self._exact_hits(i, n, allowed, guess)
        else:
            ann, size = self._similar_index(by_evidence)
            want = CANDIDATES
            while True:
                hits = self._rerank(i, ann.neighbours(i, want), n, allowed)
                if len(hits) >= n or want >= size - 1:
                    break
                want = min(want * 4, size - 1)
        started = {self.franchises.work_key(a) for a in given}  # as item_work names them
        shown, starts_at = [], {}
        mine, gave_mask = None, None  # made for the first neighbour of a work the member started (few lists have one)
        for j, s in hits:
            work = int(self.rules.item_work[j])
            if work not in started:
                entry = self.rules.entry_point(j)
                if entry >= 0 and (allowed is None or allowed[entry]):
                    j = entry
                elif (start := self.rules.later_start(j)) is not None:
                    starts_at[int(self.ids[j])] = int(self.ids[start])
                shown.append((int(self.ids[j]), s))
                continue
            if mine is None or gave_mask is None:
                mine, gave_mask = self.rules.given(given), self.blocked(self.given(given))
            if not self.rules.can_go_to(j, mine):
                # A work they started, at an entry they cannot go to yet: the next they can, as /recommend's slot
                # for the work would show (Haikyuu!! To the Top, its fourth season, for a member who gave
                # season 1 only, is Haikyuu!! Second Season).
                nexts = [e for e in self.rules.next_entries(work, [mine], gave_mask)
                         if allowed is None or allowed[e]]
                if (first := self.rules.goes_on_first(nexts)) is not None:
                    j = first  # its next season, before a side story
            shown.append((int(self.ids[j]), s))
        f = self.franchises.franchise_of(anime_id)
        series = [a for a in self.franchises.entries(f) if a != anime_id] if f is not None else []
        return SimilarList(shown, series, starts_at)

    def similar_ids(self) -> np.ndarray:
        """The anime ids similar() lists neighbours for: every served title but those PlacedByNothing."""
        return self.ids[~self._unplaced]

    def _similar_index(self, by_evidence: bool) -> tuple[AnnIndex, int]:
        """The Annoy index a /similar searches, and how many titles it holds: the one over the titles
        placed by evidence (``by_evidence``), or the one over every title."""
        model = self.model
        return (model.evidence_ann(), self._n_evidenced) if by_evidence else (model.ensure_ann(), self.n_items)

    def similar_warm_up(self, step: int = WARM_UP_STEP) -> Iterator[int]:
        """Has Annoy asked ahead for the candidates an unfiltered /similar of each title reads
        (AnnIndex.keep), most-watched titles first, ``step`` titles at a time; yields how many titles each
        step asked for. Without it each title's first /similar asks Annoy and keeps the answer; with it
        that first ask is as fast as the rest. The answers belong to the model's indexes: with_model, and a
        served model over a new catalog, share them."""
        for start in range(0, self.n_items, step):
            titles = self._most_watched[start: start + step]
            asked = 0
            exact = self._exact_similar[titles]
            asked += sum(self._sparse_nearest(i)[2] for i in titles[exact].tolist())
            guessed = ~self._evidenced[titles]
            for i in titles[guessed].tolist():
                asked += i not in self._guess_kept
                self._guess_candidates(i)
            titles = titles[~exact & ~guessed]
            for by_evidence in (True, False):
                part = titles[self._by_evidence[titles] == by_evidence]
                if len(part):
                    asked += self._similar_index(by_evidence)[0].keep(part.tolist())
            yield asked

    def alone_warm_up(self, titles: int = ALONE_WARM_UP_TITLES,
                      ratings: Sequence[float] = ALONE_WARM_UP_RATINGS) -> Iterator[int]:
        """Keeps the coverage order's row (_alone, as dense ranks) of each of the ``titles`` most-watched
        titles at each of ``ratings`` ahead of a newcomer's first /recommend, one title a step; yields
        how many rows each step made (0 for a title already kept at every rating). Without it a row is
        made on the first request that needs it and kept from then on."""
        kept = self._kept_alone
        for i in self._most_watched[:titles].tolist():
            a = int(self.ids[i])
            made = 0
            for r in ratings:
                if kept.get((a, float(r))) is None:
                    kept.put((a, float(r)), kept.ranks(self._alone([a], {a: r})[0]))
                    made += 1
            yield made

    def _rerank(self, i: int, candidates: list[tuple[int, float]], n: int, allowed: np.ndarray | None,
                support_k: float = SUPPORT_K) -> list[tuple[int, float]]:
        return rerank(i, candidates, self._popularity_of, self.rules.item_franchise_list, n,
                      support_k=support_k, one_per_franchise=True, allowed=allowed)

    def _sparse_candidates(self, i: int) -> list[tuple[int, float]]:
        """(item index, cosine) of item i's _sparse_nearest, in order of their rerank's score (cosine x
        support prior at SPARSE_SUPPORT_K; ties nearer first, then by item index): a list needs only their
        head, and rerank reads 400 candidates at four times the cost of 100. Ordered per request, as the
        prior is the served catalog's."""
        rows, sims, _ = self._sparse_nearest(i)
        order = np.argsort(-(sims * self._prior[rows]), kind="stable")
        return list(zip(rows[order].tolist(), sims[order].tolist()))

    def _sparse_nearest(self, i: int) -> tuple[np.ndarray, np.ndarray, bool]:
        """(item indices, cosines) of the SPARSE_CANDIDATES titles placed by evidence nearest to item i, itself
        among them, exactly, nearest first (ties by item index), and whether they were made now: kept once made
        (3.2 KB a title: the 5,205 such titles of benchmarks/bench_serve.py's model take 17 MB; about 0.5 ms
        to make)."""
        kept = self._sparse_kept.get(i)
        if kept is not None:
            return (*kept, False)
        kept = self._sparse_kept[i] = self._nearest_among(self._evidence_rows, self._evidence_vectors, i,
                                                          SPARSE_CANDIDATES + 1)
        return (*kept, True)

    def _guess_candidates(self, i: int) -> list[tuple[int, float]]:
        """(item index, cosine) of the CANDIDATES titles members watch (_watched) nearest to content guess
        i, exactly, nearest first; kept once made. Annoy's nearest over every title were, for a guess of a
        little-watched genre mix, other guesses of it that nobody watches, each scored about 0 by the
        support prior: /similar Sousou no Frieren type=Movie listed nine films at 0.00 and no Ghibli film.
        From the watched titles a guess's neighbours were co-watched 0.457 (± 0.007) instead of 0.414, with
        the same genre overlap (0.380 against 0.382; benchmarks/similar_new_titles.py --seed 0)."""
        kept = self._guess_kept.get(i)
        if kept is None:
            kept = self._guess_kept[i] = self._nearest_among(self._watched_rows, self._watched_vectors, i, CANDIDATES)
        return list(zip(kept[0].tolist(), kept[1].tolist()))

    def _nearest_among(self, rows: np.ndarray, vectors: np.ndarray, i: int, count: int
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(item indices as int32, cosines) of the ``count`` titles of ``rows`` (item indices, ascending; their
        unit vectors ``vectors``) nearest to item i, exactly, nearest first (ties by item index)."""
        sims = vectors @ self._unit_vectors[i]
        count = min(count, len(rows))
        top = np.argpartition(-sims, count - 1)[:count] if count < len(rows) else np.arange(len(rows))
        top = top[np.lexsort((rows[top], -sims[top]))]
        return rows[top].astype(np.int32), sims[top]

    def _exact_hits(self, i: int, n: int, allowed: np.ndarray, guess: bool,
                    support_k: float = SUPPORT_K) -> list[tuple[int, float]]:
        """rerank over the titles ``allowed`` nearest to item i, exactly. For a content guess (``guess``)
        the allowed titles members watch first, as _guess_candidates; the rest only when those fall short."""
        if guess:
            hits = self._rerank(i, self._exact_candidates(i, np.flatnonzero(allowed & self._watched)), n, allowed)
            if len(hits) >= n:
                return hits
        return self._rerank(i, self._exact_candidates(i, np.flatnonzero(allowed)), n, allowed, support_k)

    def _exact_candidates(self, i: int, subset: np.ndarray) -> list[tuple[int, float]]:
        """(item index, cosine) of the subset's titles nearest to item i, exactly."""
        V = self._unit_vectors
        sims = V[subset] @ V[i]
        best = subset[np.argsort(-sims, kind="stable")[: 4 * CANDIDATES]]
        return [(int(j), float(V[j] @ V[i])) for j in best]


def cold_placed(trained: np.ndarray, cold: np.ndarray, depth: int = CANDIDATE_DEPTH,
                placeable: np.ndarray | None = None, loved_work: np.ndarray | None = None,
                work: np.ndarray | None = None) -> np.ndarray:
    """Ranking scores for cold titles on the trained titles' scale, by rank: the placeable cold title
    at share q of their order (ColdVectors.scores, best first) stands where the trained title at share q
    of theirs does, so a new work is ranked among the rest as the member's best new titles compare to
    their best old ones. Only the places within the first ``depth`` trained ranks matter to a list;
    the cold titles below them keep their order, below every trained title a list can reach.
    ``placeable`` (default: all) marks the cold titles whose vector holds evidence about members (a
    predecessor's or raters'); the others, content guesses, ranked only among cold titles by the
    time-split evaluation, stand below every reachable trained title in their own order: they fill a
    list of new titles only (/recommend new, /seasonal), never push a trained pick out.

    ``loved_work`` holds, for the cold titles that go on from a work the member loved (a later entry than
    a title they rated highly), that score (else 0): the member's own score is the strongest evidence a
    list has, so these stand, the best loved first and one work (``work``: the cold titles' work ids)
    per place, right under the trained titles at ranks 0, LOVED_WORK_EVERY, 2 x LOVED_WORK_EVERY and so
    on; a list of nothing but sequels would leave the member nothing to discover."""
    n, m = len(trained), len(cold)
    if m == 0:
        return np.empty(0, np.float64)
    cold = np.asarray(cold, np.float64)
    # The best depth trained scores, best first, from top_n's heap (of tied scores it keeps equal values: only
    # values count here).
    trained = np.asarray(trained, np.float64)
    best = trained[top_n(trained, depth)]
    if len(best) == 0:
        return cold - float(np.max(cold))
    placeable = np.ones(m, bool) if placeable is None else np.asarray(placeable, bool)
    low = float(best[-1])
    out = cold + ((low - 1.0) - float(np.max(cold)))  # below every reachable trained title, in their own order
    love = np.zeros(m) if loved_work is None else np.asarray(loved_work, np.float64)
    loved = love > 0
    rows = np.flatnonzero(placeable & ~loved)
    reach = min(len(rows), int(np.ceil(len(best) * m / max(n, 1))))
    # A cold title ties below the trained title at its place: the trained title, with more evidence, first.
    at_place = np.empty(0)
    if reach:
        order = rows[top_n(cold[rows], reach)]
        at_place = out[order] = np.interp(np.arange(reach) * (n / m), np.arange(len(best)), best) - 1e-6
    rows = np.flatnonzero(loved)
    if len(rows):
        order = rows[np.lexsort((-cold[rows], -love[rows]))]
        # One place per work, taken by its best entry; its other entries follow it there, for the fan
        # rules to choose the one the member should watch next.
        place_of: dict[int, int] = {}
        works = (work[order] if work is not None else order).tolist()
        places = np.array([place_of.setdefault(w, len(place_of)) for w in works]) * LOVED_WORK_EVERY
        # The places count in the list as it stands: the trained titles and the cold ones placed among them (of
        # the cold titles not loved only those placed stand at or above ``low``: the rest are a whole 1 under it).
        standing = np.sort(np.concatenate([best, at_place[at_place >= low]]))[::-1]
        # Half a tie under the title at its place: above a cold title placed there (tied a whole 1e-6 under).
        out[order] = standing[np.minimum(places, len(standing) - 1)] - 5e-7 - 1e-9 * np.arange(len(order))
    return out


@overload
def match_chance(score: float) -> float: ...
@overload
def match_chance(score: np.ndarray) -> np.ndarray: ...
def match_chance(score: float | np.ndarray) -> float | np.ndarray:
    """The match figure of a ranking score (a float), or of each of an array of them."""
    out = 1.0 / (1.0 + np.exp(-(MATCH_SLOPE * score + MATCH_OFFSET)))
    return out if isinstance(score, np.ndarray) else float(out)


def franchises_for(catalog: Catalog) -> Franchises:
    """The franchise graph over a catalog's titles: the bundled relations, with the titles after them
    joined by the catalog build's work and franchise links (Franchises.load). Made once per catalog (0.6 s)
    and shared by every served model over it, a model swap's and another holder's: a catalog is never
    changed in place (a refresh makes a new one), and the graph only reads it."""
    with _FRANCHISES_LOCK:
        made = _FRANCHISES.get(catalog)
        if made is None:
            made = _FRANCHISES[catalog] = Franchises.load(catalog)
        return made


# franchises_for's graphs, each living as long as its catalog (a Franchises holds no reference to it).
_FRANCHISES: weakref.WeakKeyDictionary[Catalog, Franchises] = weakref.WeakKeyDictionary()
_FRANCHISES_LOCK = threading.Lock()

