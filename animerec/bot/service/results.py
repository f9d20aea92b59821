"""What the service answers: plain dataclasses, no Discord types; render.py turns them into embeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from animerec.bot.store import TrainingRecord
from animerec.recsys.catalog.catalog import Anime
from animerec.recsys.lifecycle.meta import ModelMeta
from animerec.recsys.serving.group import STRATEGIES


@dataclass(frozen=True)
class RateResult:
    anime: Anime
    rating: float
    previous: float | None  # the member's earlier rating of it, if any
    predicted: float | None  # what the model expected them to give (None while warming up)
    # labels of the other entries of its series the typed name also fits, with the year where names collide
    alternatives: tuple[str, ...] = ()
    score_kept: bool = False  # marked watched, and the score given before stays (rating is that score)


@dataclass(frozen=True)
class RatedTitle:
    anime: Anime
    rating: float
    updated_at: str


@dataclass(frozen=True)
class RatingList:
    items: list[RatedTitle]
    hidden: int  # adult titles left out of this channel
    pending: tuple[int, ...] = ()  # MAL ids of imported titles the catalog does not know yet, newest first


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    skipped: dict[str, int]  # reason -> count
    unknown: int = 0  # of the imported titles, those the catalog does not know yet (stored; they count once it does)
    dropped: int = 0  # titles dropped without a score: kept out of the member's picks (dismissed), not rated
    repeated: int = 0  # titles the file lists more than once: the last entry of each counts


@dataclass(frozen=True)
class Forgotten:
    ratings: int
    dismissals: int
    # The served model (or the one training now) learnt from community ratings, perhaps theirs: blended
    # into its title weights, without a row per member, until a retrain without them.
    in_model: bool


@dataclass(frozen=True)
class Because:
    """A liked title the member gave that a pick follows from, and their score of it."""

    anime: Anime
    rating: float


@dataclass(frozen=True)
class RecommendedTitle:
    """A /recommend pick as the member sees it: the title, and the title they gave that it follows from
    (animerec.recsys.serving.served.Pick holds anime ids)."""

    anime: Anime
    predicted: float
    match: float = 0.0  # 0-1, follows the list order (animerec.recsys.serving.served.Pick.match)
    continues: bool = False  # goes on from `because`, a title the member gave
    because: Because | None = None
    more_in_series: int = 0
    source: str | None = None  # a title the model has no interactions for: where its vector comes from
    this_season: bool = False  # such a title, first aired within this season's window
    starts_at: Anime | None = None  # /seasonal: a later entry of a series the member has not started
    catch_up: Anime | None = None  # a later entry of a work the member is behind on: the entry they watch first


@dataclass(frozen=True)
class Recommendations:
    picks: list[RecommendedTitle]
    onboarding: list[Anime] = field(default_factory=list)  # titles to rate first, when the member has few
    seen_these: list[Anime] = field(default_factory=list)  # earlier entries of their series: rate, not watch
    requested: int = 0
    new_since: date | None = None  # /recommend new: only titles first aired since this day
    filtered: bool = False  # asked with a genre, type, new or discover: what a short or empty list says
    later: bool = False  # a later page, or a list leaving out titles already shown: "no more", not "none"
    discover: bool = False  # /recommend discover: less-watched titles of series the member has not started

    @property
    def short(self) -> bool:
        return len(self.picks) < self.requested

    @property
    def discovering_new(self) -> bool:
        """New titles to discover: only those the member's taste speaks for (ServedModel.recommend)."""
        return self.discover and self.new_since is not None


@dataclass(frozen=True)
class Neighbour:
    anime: Anime
    similarity: float
    starts_at: Anime | None = None  # a later entry of a work the member has not started: where it starts


@dataclass(frozen=True)
class SimilarTitles:
    source: Anime
    neighbours: list[Neighbour]  # other works, one per franchise
    same_series: list[Anime] = field(default_factory=list)  # the source's own franchise, oldest first


@dataclass(frozen=True)
class PartyPick:
    anime: Anime
    predictions: tuple[float, ...]  # one per member of WatchParty.members
    more_in_series: int = 0
    figure: float | None = None  # the strategy over the predictions: the party's list is in this order


@dataclass(frozen=True)
class WatchParty:
    strategy: str
    members: tuple[int, ...]  # members with ratings, in the order of PartyPick.predictions
    unrated: tuple[int, ...]  # members with no ratings: left out, to be invited to /rate
    picks: list[PartyPick]
    watched_before: tuple[tuple[Anime, int], ...] = ()  # this group's earlier parties: (title, members who watched)
    private: frozenset[int] = frozenset()  # members who hid their taste (/privacy): no score shown by their name
    # Hidden members another member named (or found in a voice channel): left out, as what a party leaves out
    # and how it ranks tell their taste; a party a hidden member starts takes them in.
    withheld: tuple[int, ...] = ()

    @property
    def strategy_description(self) -> str:
        return STRATEGIES[self.strategy]

    @property
    def voters(self) -> tuple[int, ...]:
        """Who votes on its picks and confirms watching: its members with ratings and without, not the withheld."""
        return (*self.members, *self.unrated)


@dataclass(frozen=True)
class Stats:
    meta: ModelMeta | None  # the served model's; None while there is none
    community_ratings: int
    community_members: int
    training_since: str | None  # a retrain running now, started then
    last_training: TrainingRecord | None  # the latest finished one
    last_failure: TrainingRecord | None
    next_training_at: str | None = None  # with no model yet: when the failed first training is tried again
    catalog: str | None = None  # how current the catalog is: "titles up to Fall 2026, refreshed 3 days ago"


