"""/similar: the titles nearest one a member names."""

from __future__ import annotations

from animerec.bot.models.holder import ModelHolder
from animerec.bot.service.errors import UserError
from animerec.bot.service.results import Neighbour, SimilarTitles
from animerec.bot.service.titles import Titles, check_count
from animerec.bot.store import Store
from animerec.recsys.model import UnknownTitle
from animerec.recsys.serving.served import PlacedByNothing


class Similar:
    def __init__(self, titles: Titles, models: ModelHolder, store: Store) -> None:
        self.titles = titles
        self.catalog = titles.catalog
        self.models = models
        self.store = store

    async def find(
        self, title: str, *, count: int = 10, genre: str | None = None, type: str | None = None,
        allow_adult: bool = False, member_id: int | None = None,
    ) -> SimilarTitles:
        """The titles nearest one, for the member who asks: none they rated or watched, and a franchise
        they have not started by where it starts (ServedModel.similar)."""
        served = self.models.served()
        count = check_count(count)
        source = self.titles.resolve(title, allow_adult=allow_adult)
        allowed = served.allowed(self.catalog.filters(genre, type, allow_adult=allow_adult), allow_adult=allow_adult)
        given = (await self.store.rating_map(member_id)).keys() if member_id is not None else ()
        try:
            found = await self.models.ranked(served.similar, source.anime_id, count, allowed=allowed, given=given)
        except UnknownTitle:
            # Every title of the catalog a model was trained over is served: this one came with a later refresh.
            raise UserError(f"{source.name} came into the catalog after my model was trained: /similar knows it "
                            "after the next retrain.") from None
        except PlacedByNothing:
            raise UserError(f"I know too little about {source.name} to say what is like it: nobody's ratings "
                            "place it yet, and my catalog lists no genres for it. If you have seen it, /rate it: "
                            "from the next retrain the members' ratings place it.") from None
        series = [self.catalog.get(a) for a in found.same_series]
        starts = {a: self.catalog.get(b) for a, b in found.starts_at.items()}
        return SimilarTitles(source, [Neighbour(self.catalog.get(a), s, starts.get(a)) for a, s in found.neighbours],
                             [a for a in series if allow_adult or not a.is_adult])
