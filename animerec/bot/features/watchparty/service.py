"""/watchparty: picks for a group, and the votes on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from animerec.bot.limits import clip
from animerec.bot.models.holder import ModelHolder
from animerec.bot.service.errors import UserError
from animerec.bot.service.results import PartyPick, WatchParty
from animerec.bot.service.titles import check_count
from animerec.bot.store import PARTY_DAYS, Store, group_members
from animerec.recsys.catalog.catalog import Anime, Catalog, Filters
from animerec.recsys.serving.group import STRATEGIES, group_picks

MAX_PARTY = 12  # members whose predicted scores fit beside each pick


def check_size(size: int) -> None:
    """UserError for a party too big to show: asked before anything is looked up."""
    if size > MAX_PARTY:
        raise UserError(f"A watch party is at most {MAX_PARTY} members; this one has {size}.")


@dataclass(frozen=True)
class PartyRequest:
    """A /watchparty request that passed WatchParties.request."""

    members: tuple[int, ...]  # distinct, in the order given
    strategy: str
    filters: Filters
    count: int
    allow_adult: bool  # the channel shows adult titles (interactions.allow_adult)
    asker: int | None = None  # the member who asked for the party


class WatchParties:
    def __init__(self, store: Store, catalog: Catalog, models: ModelHolder) -> None:
        self.store = store
        self.catalog = catalog
        self.models = models

    def request(self, member_ids: Sequence[int], *, strategy: str = "average", genre: str | None = None,
                type: str | None = None, count: int = 5, allow_adult: bool = False, asker: int | None = None
                ) -> PartyRequest:
        """The request, or UserError for one /watchparty cannot serve: the checks that need no database
        (an adult genre where adult titles are not shown is one, as in /recommend)."""
        self.models.served()
        if strategy not in STRATEGIES:
            raise UserError(f"Unknown strategy “{clip(strategy, 30)}”. Strategies: {', '.join(STRATEGIES)}.")
        check_count(count)
        filters = self.catalog.filters(genre, type, allow_adult=allow_adult)
        members = tuple(dict.fromkeys(member_ids))
        if len(members) < 2:
            raise UserError("There is no one else to party with: join a voice channel with others, pick one, "
                            "or name other members. /recommend has picks for you alone.")
        check_size(len(members))
        return PartyRequest(members, strategy, filters, count, allow_adult, asker)

    async def plan(self, request: PartyRequest) -> WatchParty:
        """Titles no member has rated or watched, ranked for the group by the strategy; none when fewer
        than two members have ratings (a party of one is /recommend). A member who hid their taste takes
        part only in a party they ask for: the titles a party leaves out are what its members watched, so
        naming a hidden member beside oneself read off their list (WatchParty.withheld)."""
        served = self.models.served()
        hidden = {m for m in request.members if await self.store.is_hidden(m)}
        withheld = tuple(m for m in request.members if m in hidden and m != request.asker)
        members = [m for m in request.members if m not in withheld]
        allowed = served.allowed(request.filters, allow_adult=request.allow_adult)
        given = {m: await self.store.rating_map(m, self.catalog) for m in members}
        # What this very group watched together before: never offered again, and named.
        history = [(a, n) for a, n, _ in await self.store.watched_by_group(members) if a in self.catalog]
        watched_before = tuple((self.catalog.get(a), n) for a, n in history)
        # The party's message is the channel's: a hidden member's predictions stay private there, the one who
        # asked for it included.
        private = frozenset(hidden - set(withheld))
        raters = tuple(m for m in members if given[m])
        unrated = tuple(m for m in members if not given[m])
        if len(raters) < 2:
            return WatchParty(request.strategy, raters, unrated, [], watched_before, private, withheld)
        picks = await self.models.ranked(group_picks, served, [given[m] for m in raters], request.count,
                                        strategy=request.strategy, allowed=allowed, exclude=[a for a, _ in history])
        return WatchParty(request.strategy, raters, unrated,
                          [PartyPick(self.catalog.get(p.anime_id), p.predictions, p.more_in_series, p.group_score)
                           for p in picks],
                          watched_before, private, withheld)

    async def open_vote(self, message_id: int, member_ids: Iterable[int], picks: Sequence[int] = ()) -> None:
        """The party's members may vote on its picks (anime ids, rank order), and then confirm watching
        the winner; both are kept in the store, so they outlive a restart."""
        members = list(member_ids)
        await self.store.open_party(message_id, members)
        if picks:
            await self.store.open_party_picks(message_id, members, picks)

    async def watched(self, message_id: int, user_id: int) -> tuple[Anime, bool, int]:
        """A party member watched the vote's winner (most votes; a tie goes to the higher pick): it is
        marked watched for them (a score they gave stays). (title, newly confirmed, members confirmed)."""
        party = await self.store.party(message_id)
        if party is None or user_id not in group_members(party[0]):
            raise UserError("Only members of this watch party can say they watched its pick.")
        tally = await self.store.party_tally(message_id)
        if not tally:
            raise UserError("Vote first: the pick with the most votes is the one you watch.")
        rank = min(tally, key=lambda r: (-tally[r], r))
        anime_id = party[1][rank - 1]
        added = await self.store.confirm_watched(message_id, user_id, anime_id)
        return self.catalog.get(anime_id), added, await self.store.watched_count(message_id)

    async def vote(self, message_id: int, user_id: int, rank: int) -> dict[int, int]:
        """Record a party member's vote for the pick at rank (a new vote moves it); the tally, rank -> votes."""
        if not await self.store.vote(message_id, user_id, rank):
            raise UserError(f"Only members of this watch party can vote, within {PARTY_DAYS} days of it.")
        return await self.store.party_tally(message_id)
