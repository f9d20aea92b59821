"""The fan rules: what of the model's ranking a member, or a group, is shown, for /recommend, /watchparty
and the CLI alike.

The raw ranking (Recommender.recommend) is measured well on held-out interactions, yet a fan would
reject it: it lists the prequel of a show the member loved, four films of one series, or a title its own
prediction says they would not enjoy. The rules, in order:

* never an earlier entry of a work the member is into (franchise.seen_earlier): those become "seen
  these?" questions instead, which also feed the model;
* one slot per work (a series with its seasons, films and side stories; animerec.recsys.catalog.franchise):
  for a work the member has started, the best entry they can go on with (a sequel only when a title before
  it was seen: a "continue" pick naming it; a special sends the slot on to the work's best next film or
  season, an OVA or ONA to a season that can come next); for one they have not, its entry
  point, never a film, special or recap of it. A spin-off or another version of a franchise they know is
  a work of its own: Railgun after Index is a new work;
* a work the member started moves by STARTED_SHIFT: up when they like a title of it, since a fan goes on
  with a series they enjoy before starting another; down when they scored it all under their floor;
* a quality floor: nothing predicted well below the member's typical score (their mean less 1.5 of their
  own standard deviations; FEW_SCORES_FLOOR for members with few scores); a list that runs out says so
  instead of padding. Another work of a franchise they scored all under their floor (a spin-off of a
  series they disliked) needs a prediction at their floor itself (FanRules.disliked_elsewhere).

A group is held to every member's rules at once: nobody's earlier entries, a continue pick only when
every member can go on to it, each member's prediction above the group's floor.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import overload

import numpy as np
import pandas as pd

from animerec.recsys.catalog.catalog import Catalog
from animerec.recsys.catalog.franchise import ASIDE_TYPES, Franchises
from animerec.recsys.ids import IdPositions
from animerec.recsys.model import Recommender

# What a member likes: a score at or above their typical one. A member with fewer explicit scores than
# FEW_SCORES gets FEW_SCORES_FLOOR; with more, their mean score less FLOOR_SLACK (what /compare's "you would
# both love" and a pick's "because" hold to).
FEW_SCORES = 5
FEW_SCORES_FLOOR = 6.5
FLOOR_SLACK = 0.5
# The quality floor of a list sits PICK_FLOOR_SDS of the member's own standard deviations under their mean
# score, never nearer than FLOOR_SLACK: a member who scores 5 to 10 forgives a pick two points under their
# mean that one who scores only 8s and 9s would not. With the predicted score in the ranking
# (ModelConfig.blend_rating), fewer picks reach the floor. docs/evaluation.md ("The served ranking for long
# histories") has the figures behind both, tuned on seeds 1 and 2 (benchmarks/tune_ranking.py).
PICK_FLOOR_SDS = 1.5
# A score this low or lower says the member disliked the title (MyAnimeList's "Bad" and below), whatever their
# mean: for a member who uses the whole scale (10s and 1s, a mean near 6) their mean less the slacks above let
# a 4 through, and the list went on with a series they gave 4 ("Continues Tokyo Ghoul (you rated it 4/10)")
# and led with titles predicted 4.1. No pick is predicted under DISLIKED_FLOOR (what rounds to a dislike), and
# a TV series scored under it drops its work. On seeds 1 and 2 (p80 and cold5) lists move by 0.0004 work
# NDCG@10 at most (benchmarks/disliked_floors.py, docs/evaluation.md).
DISLIKED = 4.0
DISLIKED_FLOOR = DISLIKED + 0.5
# How far the titles of a work the member started move in the ranking, in the ranking's own units (a sum
# of standardized scorers): up when the member gave a title of it that they like (member_floor; watched
# without a score counts), since the next season of a series a member enjoys is likelier watched and liked
# than a new work of the same score; down when every score they gave it is under that floor, since a
# member is not to be pushed on with a series they did not enjoy. Chosen on seeds 1 and 2
# (benchmarks/tune_ranking.py, docs/evaluation.md "The served ranking for long histories").
STARTED_SHIFT = 1.5
# A work the member dropped offers no pick: they scored a TV series of it more than DROPPED_SLACK under their
# mean (under FEW_SCORES_FLOOR less DROPPED_SLACK with few scores), and nothing of it at or above that or watched
# without a score (FanRules.dropped). In the training
# data, of the members who scored a TV series 2 or more points under their mean, 1-3% scored its direct sequel at
# or above their mean (52% of those who scored it above their mean did), though a third still watched it
# (benchmarks/dropped_sequels.py).
DROPPED_SLACK = 2.0
# How deep into the ranking the rules look for picks (the list is at most 25 long; one slot per
# work and the floor skip many): past this the titles are not worth showing anyway.
CANDIDATE_DEPTH = 400
SEEN_THESE = 5  # "seen these?" questions offered beside the picks
# What can be a pick: a new work starts at a series, film or OVA/ONA; going on in a work may
# also be a special. Music videos and recaps only ever count as "+N more".
NEW_TYPES = frozenset({"TV", "Movie", "OVA", "ONA"})
CONTINUE_TYPES = NEW_TYPES | {"Special"}

CONTINUE, NEW = "continue", "new"
# The rules FanRules(without=...) can leave out, to measure what each costs or pays (benchmarks/ablate_rules.py).
ONE_SLOT, ENTRY_POINT, CONTINUE_AFTER, NEXT_ENTRY, TYPES, FLOOR, STARTED_FIRST, DROPPED = (
    "one slot", "entry point", "continue after", "next entry", "types", "floor", "started first", "dropped")
RULES = (ONE_SLOT, ENTRY_POINT, CONTINUE_AFTER, NEXT_ENTRY, TYPES, FLOOR, STARTED_FIRST, DROPPED)


def _scores(ratings: Mapping[int, float]) -> np.ndarray:
    """A member's explicit scores (watched-only entries left out), float64."""
    given = np.fromiter(ratings.values(), np.float64, len(ratings))
    return given[given > 0]


@overload
def liked(rated: float, floor: float) -> bool: ...
@overload
def liked(rated: np.ndarray, floor: float) -> np.ndarray: ...
def liked(rated: float | np.ndarray, floor: float) -> bool | np.ndarray:
    """Whether a rating (or each of an array of them) says the member liked the title: watched without a score
    (WATCHED), or scored at or above ``floor`` (member_floor, or a group's)."""
    out = (rated < 0) | (rated >= floor)
    return out if isinstance(rated, np.ndarray) else bool(out)


def member_floor(ratings: Mapping[int, float], slack: float | None = None) -> float:
    """What this member likes: a score at or above this (their mean less ``slack``, FLOOR_SLACK by default),
    never under DISLIKED_FLOOR: a member who gives mostly 1s to 4s likes none of those (/compare said two
    members would "both love" a title predicted 2.7 for one of them)."""
    scores = _scores(ratings)
    slack = FLOOR_SLACK if slack is None else slack
    return max(float(scores.mean()) - slack, DISLIKED_FLOOR) if len(scores) >= FEW_SCORES else FEW_SCORES_FLOOR


def pick_floor(ratings: Mapping[int, float], sds: float | None = None) -> float:
    """No pick for this member is predicted below this: their mean less ``sds`` (PICK_FLOOR_SDS by default)
    standard deviations of their scores, at least FLOOR_SLACK (FEW_SCORES_FLOOR with few scores), and never
    under DISLIKED_FLOOR."""
    scores = _scores(ratings)
    if len(scores) < FEW_SCORES:
        return FEW_SCORES_FLOOR
    sds = PICK_FLOOR_SDS if sds is None else sds
    return max(float(scores.mean() - sds * max(float(scores.std()), FLOOR_SLACK)), DISLIKED_FLOOR)


def dropped_floor(ratings: Mapping[int, float]) -> float:
    """The score under which a member's TV series drops its work (FanRules.dropped, DROPPED_SLACK), never under
    DISLIKED_FLOOR: a 4 drops its work whatever the member's mean."""
    scores = _scores(ratings)
    mean = float(scores.mean()) if len(scores) >= FEW_SCORES else FEW_SCORES_FLOOR
    return max(mean - DROPPED_SLACK, DISLIKED_FLOOR)


@dataclass(frozen=True)
class Given:
    """What the rules read of the titles a member gave (or a group gave together), made once a request by
    FanRules.given: their positions in the rules' title space, what they have almost surely seen, and the
    works they started."""

    at: np.ndarray  # positions of the given titles the title space holds, in the order given
    rated: np.ndarray | None  # their ratings (float32, -1 watched), when given as ratings
    seen: frozenset[int]  # positions of those and of every title before one of them in its work
    earlier: np.ndarray  # item indices of the served titles before a given one (franchise.seen_earlier), ascending
    started: frozenset[int]  # work ids of the works of the given titles the graph knows


@dataclass(frozen=True)
class Slot:
    """A work's one place in a list."""

    shown: int  # item index of the title shown
    ranked: int  # item index of the candidate that won the slot (a special sends it on): its score places it
    kind: str  # CONTINUE (goes on from a title the members gave) or NEW (a work they have not started)
    # A later entry of a started work the member is behind on, where the request's window leaves out what
    # comes before it: the item index of the entry they catch up with first.
    catch_up: int | None = None


class FanRules:
    """The per-title facts the rules need, for one model over a catalog and its work graph.

    ``without`` leaves rules out (RULES; for measuring them only): ONE_SLOT lets a work fill several
    slots, ENTRY_POINT shows a new work's own candidate instead of its entry point, CONTINUE_AFTER drops
    "a sequel only after a title before it", NEXT_ENTRY passes over a started work's later entry instead
    of showing the entry the member can go on with, TYPES lets any type be a pick, FLOOR drops the
    quality floor, STARTED_FIRST the move of the works the member started (STARTED_SHIFT), DROPPED lets the
    works a member dropped offer picks.
    """

    def __init__(self, model: Recommender, catalog: Catalog, franchises: Franchises,
                 without: AbstractSet[str] = frozenset(), trained: int | None = None) -> None:
        """``trained``: item indices from this one on are titles without interactions (all are trained when None)."""
        self.model = model
        self.catalog = catalog
        self.franchises = franchises
        self.without = frozenset(without)
        ids = model.item_ids
        n = len(ids)
        self._n = n
        self._trained = n if trained is None else trained
        known = np.array([int(a) in catalog for a in ids], bool)
        self.item_franchise = franchises.franchise_array(ids)  # item index -> franchise id (for display)
        self.item_work = franchises.work_array(ids)  # item index -> work id (what the rules count in)
        index = model.index_of
        entry = np.array([
            -1 if (w := franchises.work_of(a)) is None or (e := index(franchises.entry_point(w))) is None
            else e for a in ids.tolist()], np.int64)
        types = [catalog.get(int(a)).type if k else None for a, k in zip(ids.tolist(), known)]
        recap = np.array([franchises.is_recap(int(a)) for a in ids.tolist()], bool)
        any_type = TYPES in self.without
        self.pickable = (np.array([t in NEW_TYPES for t in types], bool) & ~recap) | any_type
        continuable = (np.array([t in CONTINUE_TYPES for t in types], bool) & ~recap) | any_type
        # Going on in a work, a TV season the member can go on to comes first (go_on_to), and an OVA or ONA gives
        # it its slot: the Shokugeki no Souma OVA was the continue pick of a member who gave the first season, over
        # its second. A film or OVA the story needs before the next season is no choice: that season waits for it.
        self._series_of = [t == "TV" or any_type for t in types]
        # bangumi-data types a recap series "tv" too (My Hero Academia: Memories, four weeks of the story so far,
        # a month before the 7th season): a season MyAnimeList (or a catalog refresh) counts members of comes first.
        self._counted_series_of = [series and k and catalog.get(int(a)).members > 0
                                   for a, series, k in zip(ids.tolist(), self._series_of, known)]
        self._aside_of = [t in ASIDE_TYPES and not any_type for t in types]
        # Where a member new to an item's work starts: its entry point (the item itself when the entry
        # point is not in the model), -1 when that is no series, film or OVA (a lone special).
        known_start = (entry >= 0) & (ENTRY_POINT not in self.without)
        start = np.where(known_start, entry, np.arange(n))
        new_target = np.where(self.pickable[start], start, -1)
        # Python lists of per-item facts for the per-candidate loops: indexing a list costs a fraction
        # of a numpy scalar access, which adds up on the /recommend and /similar paths.
        self.item_franchise_list = self.item_franchise.tolist()
        self._work_of = self.item_work.tolist()
        self._pickable_of = self.pickable.tolist()
        self._continuable_of = continuable.tolist()
        self.entry_points = new_target  # item index -> entry_point(i), for many items at once
        self._new_target_of = new_target.tolist()
        self._known_start_of = known_start.tolist()  # can_go_to
        # The title space of a member's given titles: the served titles (positions 0..n-1 are item indices),
        # then the catalog's and the work graph's titles the model does not serve (added to the catalog since
        # training): a member who rated one of those has still started its work and seen what comes before it.
        # Each request's facts about its titles are then array look-ups and set tests over positions.
        served = set(ids.tolist())
        extra = list(dict.fromkeys(a.anime_id for a in catalog if a.anime_id not in served))
        extra += sorted({b for a in (*served, *extra) for b in franchises.ancestors(a)} - served - set(extra))
        space = np.concatenate([np.asarray(ids, np.int64), np.array(extra, np.int64)])
        self._space_positions = IdPositions(space)
        self._in_graph = np.array([franchises.work_of(a) is not None for a in space.tolist()], bool)
        self._space_work = franchises.work_array(space)
        # Each title's work as a dense code: a member's started works are found and moved with a few array
        # operations, whatever the length of their list.
        works, self._space_code = np.unique(self._space_work, return_inverse=True)
        self._work_code = self._space_code[:n]
        self._n_works = len(works)
        franchise_ids, self._space_franchise_code = np.unique(franchises.franchise_array(space), return_inverse=True)
        self._franchise_code = self._space_franchise_code[:n]
        self._n_franchises = len(franchise_ids)
        # How many entries each served title's work has (0 for a title the graph does not know).
        served_in_graph = self._in_graph[:n]
        self._work_size = np.array([len(franchises.work_entries(w)) if known else 0
                                    for w, known in zip(self._work_of, served_in_graph.tolist())], np.int64)
        # work id -> its served entries that can be a pick, oldest first: where a started work's slot may go on.
        self._work_picks = {w: tuple(j for a in franchises.work_entries(w) if (j := index(a)) is not None
                                     and self._pickable_of[j]) for w in set(self.item_work[served_in_graph].tolist())}
        # item index -> titles before it (through specials), for items that have any; and their positions.
        self._before = {i: b for i, a in enumerate(ids.tolist()) if (b := self._before_through_specials(a))}
        at = self._space_positions.of
        self._before_at = {i: frozenset(at(np.fromiter(b, np.int64, len(b))).tolist()) for i, b in self._before.items()}
        # position -> positions of the titles before it in its work, transitively (franchise.ancestors), for
        # titles that have any: a member's earlier entries are the union over the few of their titles in a series.
        self._ancestors = {p: tuple(at(np.fromiter(b, np.int64, len(b))).tolist())
                           for p, a in enumerate(space.tolist()) if (b := franchises.ancestors(a))}

    def indices(self, anime_ids: Iterable[int]) -> np.ndarray:
        """Item indices of the anime ids the model has."""
        return np.array([i for a in anime_ids if (i := self.model.index_of(a)) is not None], np.int64)

    # ------------------------------------------------------------------------------ per member
    def given(self, given: Mapping[int, float] | Collection[int]) -> Given:
        """What the rules read of the titles a member gave (anime ids, or their ratings)."""
        ids = np.fromiter(given, np.int64, len(given))
        at = self._space_positions.of(ids)
        known = at >= 0
        rated = np.fromiter(given.values(), np.float32, len(given))[known] if isinstance(given, Mapping) else None
        at = at[known]
        before: set[int] = set()
        for p in at.tolist():
            if p in self._ancestors:
                before.update(self._ancestors[p])
        earlier = np.array(sorted(p for p in before if p < self._n), np.int64)
        return Given(at, rated, frozenset(at.tolist()) | before, earlier,
                     frozenset(self._space_work[at[self._in_graph[at]]].tolist()))

    def favour_started(self, scores: np.ndarray, ratings: Given | Mapping[int, float], floor: float) -> None:
        """Move, in place, the scores of every title of the works the member started by STARTED_SHIFT: up
        for a work with a title they like (``floor``: member_floor; watched counts), down for one they
        scored all under it. Its next entries come before, or after, new works of the same score.
        ``ratings``: the member's, or FanRules.given of them."""
        given = ratings if isinstance(ratings, Given) else self.given(ratings)
        if STARTED_FIRST in self.without or not len(given.at):
            return
        assert given.rated is not None, "favour_started needs the member's ratings"
        served = given.at < self._n
        idx, r = given.at[served], given.rated[served]
        shift = np.zeros(self._n_works)
        shift[self._work_code[idx]] = -STARTED_SHIFT
        shift[self._work_code[idx[liked(r, floor)]]] = STARTED_SHIFT  # one title they like lifts the work
        scores += shift[self._work_code]

    def disliked_elsewhere(self, ratings: Given | Mapping[int, float], floor: float) -> np.ndarray:
        """Bool mask over the served titles: those of the works the member has not started in a franchise
        whose every title they gave is scored under ``floor`` (member_floor; watched without a score counts
        as liked): Sword Art Online Alternative for a member who scored Sword Art Online 3. Such a title
        watches like any other for them (a fifth of the members who scored a series 2 or more under their
        mean watched another work of its franchise, as did a quarter of those who liked it) but is liked half
        as often (benchmarks/dropped_sequels.py), so it needs a prediction at their floor (slots' ``doubted``).
        ``ratings``: the member's, or FanRules.given of them."""
        given = ratings if isinstance(ratings, Given) else self.given(ratings)
        if FLOOR in self.without or not len(given.at):
            return np.zeros(self._n, bool)
        assert given.rated is not None, "disliked_elsewhere needs the member's ratings"
        disliked = np.zeros(self._n_franchises, bool)
        disliked[self._space_franchise_code[given.at]] = True
        # One title they like keeps the franchise.
        disliked[self._space_franchise_code[given.at[liked(given.rated, floor)]]] = False
        started = np.zeros(self._n_works, bool)
        started[self._space_code[given.at]] = True
        return disliked[self._franchise_code] & ~started[self._work_code]

    def liked_franchise(self, given: Given, floor: float) -> np.ndarray:
        """Bool mask over the served titles: those of a franchise the member gave a title of that they like
        (``floor``: member_floor; watched without a score counts). Another work of it is theirs to follow
        too: the 2023 Rurouni Kenshin and its 2024 Kyoto Disturbance for a member who gave the 1996 series 9."""
        assert given.rated is not None, "liked_franchise needs the member's ratings"
        fans = np.zeros(self._n_franchises, bool)
        fans[self._space_franchise_code[given.at[liked(given.rated, floor)]]] = True
        return fans[self._franchise_code]

    def dropped(self, ratings: Given | Mapping[int, float], floor: float) -> np.ndarray:
        """Bool mask over the served titles: those of the works the member dropped: a TV series of it scored
        under ``floor`` (dropped_floor), and nothing of it scored at or above that or watched without a score.
        A low score of a film, OVA or special alone drops nothing (what was measured is series and their
        sequels: a recap film scored 3 says little of the series). ``ratings``: the member's, or
        FanRules.given of them."""
        given = ratings if isinstance(ratings, Given) else self.given(ratings)
        if DROPPED in self.without or not len(given.at):
            return np.zeros(self._n, bool)
        assert given.rated is not None, "dropped needs the member's ratings"
        served = given.at < self._n
        idx, r = given.at[served], given.rated[served]
        out = np.zeros(self._n_works, bool)
        series = np.fromiter((self._series_of[i] for i in idx.tolist()), bool, len(idx))
        out[self._work_code[idx[(r > 0) & (r < floor) & series]]] = True
        out[self._work_code[idx[liked(r, floor)]]] = False  # one title they did not drop keeps the work
        return out[self._work_code]

    def seen_these(self, scores: np.ndarray, earlier: np.ndarray, blocked: np.ndarray) -> list[int]:
        """The SEEN_THESE earlier entries the member most likely saw (best scored; only filterable ones), in
        the order they aired: a checklist of the Berserk: The Golden Age Arc films read I, III, II by score."""
        if len(earlier) == 0:
            return []
        earlier = earlier[~blocked[earlier] & self.pickable[earlier]]  # no recaps or specials to rate
        best = [int(self.model.item_ids[i]) for i in earlier[np.argsort(-scores[earlier], kind="stable")[:SEEN_THESE]]]
        never = pd.Timestamp.max
        return sorted(best, key=lambda a: start if (start := self.franchises.start(a)) is not None else never)

    def more_in_series(self, idx: np.ndarray, given: Given) -> list[int]:
        """For each item index of ``idx``: the other entries of its work that were not given (what its one
        slot folds away)."""
        idx = np.asarray(idx, np.int64)
        mine = given.at[self._in_graph[given.at]]
        of_work = self._space_code[mine][:, None] == self._work_code[idx][None, :]
        also = (mine[:, None] == idx[None, :]).any(axis=0)  # its own entry was given: not one of the others
        return np.where(self._work_size[idx] > 0, self._work_size[idx] - 1 - of_work.sum(axis=0) + also, 0).tolist()

    def work_of(self, i: int) -> int:
        """The work id of item i (its own anime id for a title the graph does not know)."""
        return self._work_of[i]

    def entry_point(self, i: int) -> int:
        """Item index of where a member new to item i's work starts (a series, film or OVA): its
        entry point, or item i itself when the entry point is not in the model; -1 when that is no
        series, film or OVA (a lone special)."""
        return self._new_target_of[i]

    def before(self, i: int) -> frozenset[int]:
        """The titles directly before item i, looking through specials and recaps."""
        return self._before.get(i, frozenset())

    def later_start(self, i: int) -> int | None:
        """For item i coming later in its work (something before it, and an entry point other than itself):
        that entry point, where someone who has not started the work begins; else None."""
        entry = self.entry_point(i)
        return entry if entry >= 0 and entry != i and self.before(i) else None

    def can_continue(self, i: int, given: Given) -> bool:
        """Whether item i can go on from what a member gave or has seen before it: a kind of title worth
        a pick, and, if anything comes before it (a prequel, a parent story), one of those is seen."""
        if not self._continuable_of[i]:
            return False
        if CONTINUE_AFTER in self.without:
            return True
        before = self._before_at.get(i)
        return before is None or not before.isdisjoint(given.seen)

    def can_go_to(self, i: int, given: Given) -> bool:
        """Whether a member can be sent to item i: can_continue when they started its work; else only
        its entry point, where someone new to the work starts. An entry with nothing before it in its work
        (Attack on Titan's Kuinaki Sentaku, an OVA joined to the work by its numbering) is no start of it.
        Where the work's entry point is not served (a catalog refresh added it since training), can_continue
        still holds them to what comes first."""
        if self._work_of[i] in given.started or not self._known_start_of[i]:
            return self.can_continue(i, given)
        return self._new_target_of[i] == i

    def next_entries(self, work: int, members: Sequence[Given], blocked: np.ndarray) -> list[int]:
        """The entries of a work (item indices, oldest first) that every one of ``members`` can go to
        (can_go_to: after a title they gave or have seen before one they gave, or its start for a member
        who has not started it) and that are worth a slot (a series, film or OVA), but for the ``blocked``
        ones (a mask over item indices): where a started work's slot goes on to."""
        return [j for j in self._work_picks.get(work, ()) if not blocked[j]
                and all(self.can_go_to(j, g) for g in members)]

    def go_on_to(self, entries: Sequence[int], scores: np.ndarray) -> int | None:
        """Of a started work's next_entries, the one its slot shows: the best scored TV season when there is
        one (_seasons_first), else the best scored; None for none. A film or OVA beside a season the member can
        go on to is a side story (one the story needs comes before that season, which then waits for it): Fairy
        Tail's 2014 season, not its Houou no Miko film, for a member who gave Fairy Tail."""
        return max(self._seasons_first(entries), key=scores.__getitem__, default=None)

    def goes_on_first(self, entries: Sequence[int]) -> int | None:
        """Of a started work's next_entries, the one a member goes on to with no scores to choose by (/similar
        naming a work they started): its oldest TV season when there is one (_seasons_first), else its oldest; None
        for none."""
        return next(iter(self._seasons_first(entries)), None)

    def _seasons_first(self, entries: Sequence[int]) -> Sequence[int]:
        """The TV seasons of ``entries`` with a members count when there is one, else its TV seasons, else all of
        them: go_on_to's choice."""
        return ([j for j in entries if self._counted_series_of[j]] or [j for j in entries if self._series_of[j]]
                or entries)

    # ------------------------------------------------------------------------------ the list
    def slots(
        self,
        candidates: Iterable[int],
        scores: np.ndarray,
        blocked: np.ndarray,
        gave: Sequence[Given | Collection[int]],
        predictions: Callable[[int], Sequence[float]],
        floors: Sequence[float],
        n: int,
        vouched: AbstractSet[int] = frozenset(),
        doubted: Sequence[np.ndarray] = (),
        doubted_floors: Sequence[float] = (),
        behind: np.ndarray | None = None,
        fan_of: np.ndarray | None = None,
    ) -> list[Slot]:
        """Up to n slots, one per work, from ``candidates`` (item indices, best ``scores`` first),
        for the members who gave ``gave`` (one FanRules.given each, or their anime ids; one member for
        /recommend).

        A work any member started offers the entry every member can go to (can_go_to: after a title they
        gave or have seen before one they gave, or the work's start for one who has not started it; in a
        group where one started the work, that start is usually blocked as given): the candidate itself
        when it is such a series, film or OVA/ONA, else the work's best one (go_on_to: a later season, or a
        special, sends the slot on to the season that comes next for them, and an OVA or ONA to a season
        they can go on to), or a special when the work has nothing else. A work nobody started offers its
        entry point, unless that is ``blocked``.
        The title shown needs every member's prediction (``predictions``, one per member in the order
        of ``gave``) at or above that member's floor, unless it is ``vouched`` for (item indices); one
        a member doubts (``doubted``: per member, a bool mask over the served titles, disliked_elsewhere) at or
        above that member's ``doubted_floors`` entry instead.
        ``behind``: ``blocked`` but for what the request's window alone leaves out (/recommend new, where the
        season a member goes on to aired before it). A started work with no next entry inside the window then
        shows its first entry inside it, with an entry before that one to catch up with (Slot.catch_up,
        _ahead_of_window): Jujutsu Kaisen's 2026 season, after the 2023 one, for a member who gave the first.
        So does a work nobody started whose entry point only the window leaves out, where the title is one of
        ``fan_of`` (a bool mask over the served titles: FanRules.liked_franchise): Rurouni Kenshin's 2024 Kyoto
        Disturbance, after the 2023 remake, for a member who gave the 1996 series 9.
        """
        members = [g if isinstance(g, Given) else self.given(g) for g in gave]
        started = frozenset().union(*(g.started for g in members))
        next_entry = NEXT_ENTRY not in self.without
        used: set[int] = set()
        shown_already: set[int] = set()
        one_slot, floor = ONE_SLOT not in self.without, FLOOR not in self.without
        out: list[Slot] = []
        for i in candidates:
            f = self._work_of[i]
            if f in used:
                continue
            catch_up: int | None = None  # set only where the window leaves out what comes before (_ahead_of_window)
            if f in started:
                ok = all(self.can_go_to(i, g) for g in members)
                if not ok and not next_entry:
                    continue
                shown, kind = i, CONTINUE
                # The film or season that comes next goes first, and a season before an OVA or ONA beside it.
                aside = ok and self._aside_of[i] and next_entry
                if not (ok and self._pickable_of[i]) or aside:
                    main = self.next_entries(f, members, blocked)
                    if not main and not ok:
                        ahead = None if behind is None else self._ahead_of_window(f, blocked, behind)
                        if ahead is None:
                            continue
                        (shown, catch_up), kind = ahead, NEW
                    else:
                        best = self.go_on_to(main, scores)
                        # The OVA itself unless a season can come next (go_on_to takes one when there is).
                        shown = i if best is None or (aside and not self._series_of[best]) else best
            else:
                shown, kind = self.entry_point(i), NEW
                ahead = None
                if fan_of is not None and fan_of[i] and behind is not None and shown >= 0 and blocked[shown] \
                        and not behind[shown]:
                    ahead = self._ahead_of_window(f, blocked, behind)
                if ahead is not None:
                    shown, catch_up = ahead
                elif shown != i and i >= self._trained:
                    # A later season without interactions scores by its predecessor's vector and the popularity
                    # prior, evidence of nothing for a member who never started the work (BNHA's 2nd season
                    # sent a slice-of-life fan to BNHA): the entry point comes with its own score.
                    continue
                elif shown < 0 or blocked[shown]:
                    if one_slot:
                        used.add(f)
                    continue
            if one_slot:
                used.add(f)
            elif shown in shown_already:
                continue
            bars = [high if mask[shown] else low for mask, low, high in zip(doubted, floors, doubted_floors)] \
                if doubted else floors
            below = any(p < bar for p, bar in zip(predictions(shown), bars))  # (the caller keeps them)
            if floor and below and shown not in vouched:
                continue
            shown_already.add(shown)
            out.append(Slot(shown, i, kind, catch_up))
            if len(out) == n:
                break
        return out

    def _ahead_of_window(self, work: int, blocked: np.ndarray, behind: np.ndarray) -> tuple[int, int] | None:
        """For a work none of whose next entries (or entry point) ``blocked`` lets through: its first entry inside the
        request's window (its oldest TV season there, else its oldest entry), and the entry before that one to
        catch up with (catch_up_to, ``behind``: blocked but for the window); None when there is no such pair."""
        shown = self.goes_on_first([j for j in self._work_picks.get(work, ()) if not blocked[j]])
        if shown is None or (first := self.catch_up_to(shown, behind)) is None:
            return None
        return shown, first

    def catch_up_to(self, i: int, held: np.ndarray) -> int | None:
        """For item i, a later entry of a work the member started but has not caught up with: of the entries
        before it in its work (a series, film or OVA) that ``held`` (a mask over item indices: what they gave,
        what comes before that, what the request leaves out) lets through, the one they catch up with first: the
        oldest TV season, else the oldest; None for none. Taken from what leads to i, not from what they can
        watch next, which follows MyAnimeList's filing: Jujutsu Kaisen 0 (a film) between the two seasons, and
        Bleach's four films after its first series (that named Bleach Movie 1 before Thousand-Year Blood War)."""
        before = self._ancestors.get(i, ())
        return self.goes_on_first([j for j in self._work_picks.get(self._work_of[i], ()) if j in before and not held[j]])

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
