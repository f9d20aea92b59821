"""Titles as members name them: search, resolution with hints, and who may see adult titles."""

from __future__ import annotations

from animerec.bot.limits import CHOICES, clip
from animerec.bot.service.errors import TitleChoice, UserError
from animerec.bot.store import Store
from animerec.recsys.catalog.catalog import Anime, Catalog, TitleNotFound
from animerec.recsys.catalog.franchise import Franchises

MAX_COUNT = CHOICES  # a list fits one select menu (rate / not interested)
DEFAULT_COUNT = 10  # picks of a list asked with no count


def check_count(count: int) -> int:
    if not 1 <= count <= MAX_COUNT:
        raise UserError(f"Count must be between 1 and {MAX_COUNT}.")
    return count


class Titles:
    def __init__(self, store: Store, catalog: Catalog, franchises: Franchises) -> None:
        self.store = store
        self.catalog = catalog
        self.franchises = franchises

    async def allow_adult(self, guild_id: int | None, nsfw_channel: bool) -> bool:
        """Adult titles only in age-restricted channels of servers that have not hidden them."""
        if not nsfw_channel:
            return False
        return guild_id is None or not await self.store.hide_adult(guild_id)

    async def set_hide_adult(self, guild_id: int, hide: bool) -> None:
        await self.store.set_hide_adult(guild_id, hide)

    def search(self, text: str, *, allow_adult: bool = False, limit: int = CHOICES) -> list[Anime]:
        return self.catalog.search(text, limit, allow_adult=allow_adult)

    def resolve(self, text: str, *, allow_adult: bool = False) -> Anime:
        return self.resolve_choice(text, allow_adult=allow_adult)[0]

    def resolve_choice(self, text: str, *, allow_adult: bool = False) -> tuple[Anime, tuple[Anime, ...]]:
        """The title free text means, and the other entries of its series the text names as well
        ("hunter x hunter": the 2011 series, the 1999 one offered). TitleChoice, with the titles to offer, for
        text that names none clearly; UserError when nothing is even close."""
        if not text.strip():
            raise UserError("Give a title: its name as you know it, or its MyAnimeList or AniList link.")
        try:
            found = self.catalog.lookup(text, allow_adult=allow_adult)
        except TitleNotFound as exc:
            shown = clip(" ".join(text.split()), 60)
            if exc.hints:
                heading = f"“{shown}” could mean more than one title." if exc.named else f"I don't know a title “{shown}”."
                raise TitleChoice(heading, text, tuple(exc.hints)) from None
            raise UserError(f"I don't know a title “{shown}”. I know {self.catalog.coverage()}: try its English or "
                            "Japanese name, fewer words, or its MyAnimeList or AniList link.") from None
        series = self.franchises.franchise_of(found.anime.anime_id)
        return found.anime, tuple(a for a in found.alternatives if self.franchises.franchise_of(a.anime_id) == series)
