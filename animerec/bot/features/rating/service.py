"""A member's ratings: /rate, /unrate, /ratings, /import, /forget and "not interested"."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from animerec.bot.features.rating.malxml import MalImportError, parse_mal_export
from animerec.bot.limits import clip, plural
from animerec.bot.models.cooldown import Cooldown, wait_text
from animerec.bot.models.holder import ModelHolder
from animerec.bot.service.errors import UserError
from animerec.bot.service.results import Forgotten, ImportReport, RatedTitle, RateResult, RatingList
from animerec.bot.service.titles import Titles
from animerec.bot.settings import IMPORT_COOLDOWN
from animerec.bot.store import Store
from animerec.bot.store.ratings import keeps_score
from animerec.recsys.catalog.catalog import Anime, linked_mal_id
from animerec.recsys.data import WATCHED

log = logging.getLogger(__name__)

WATCHED_WORDS = {"watched", "w", "seen"}
FORGET_QUESTION = ("This deletes all your ratings and dismissed titles, your privacy setting, your watch-party "
                   "confirmations and the servers I have seen you in, for good. Sure?")
# Exports spell statuses as words or MAL's codes (1 watching, 2 completed, 3 on hold, 4 dropped, 6 plan to watch).
WATCHED_STATUSES = {"completed", "watching", "1", "2"}
DROPPED_STATUSES = {"dropped", "4"}
PLANNED_STATUSES = {"plan to watch", "6"}
# Titles the catalog does not know that a member's imports keep, all told: the catalog has every MyAnimeList
# title aired to Fall 2026, so a fan's list holds a few of them; each is looked up at the next catalog refresh
# (made-up ids, an import a minute, were a way to fill the store and the source's rate limit).
MAX_UNKNOWN_KEPT = 200
ALTERNATIVE_LABEL = 80  # characters of each "Not this one?" entry


def parse_score(text: str | float) -> float:
    """A score as members type it: a whole number 1-10 ("8/10" too), or "watched" (seen, no score)."""
    value = str(text).strip().lower().removesuffix("/10")
    if value in WATCHED_WORDS:
        return WATCHED
    if value.isascii() and value.isdigit() and len(value) <= 2 and 1 <= int(value) <= 10:
        return float(value)
    raise UserError(f"“{clip(str(text).strip(), 20)}” is not a score: give a whole number from 1 to 10, or `watched`.")


class Ratings:
    def __init__(self, store: Store, titles: Titles, models: ModelHolder, *, import_cooldown: float = IMPORT_COOLDOWN,
                 on_forget: Callable[[int], None] | None = None,
                 check_visible: Callable[[int, int, str, str], Awaitable[None]] | None = None,
                 on_change: Callable[[int], None] | None = None) -> None:
        self.on_forget = on_forget  # what else remembers members (the community views' caches, their made lists)
        self.on_change = on_change  # after a write to a member's ratings or dismissals (Picks.ratings_changed)
        self.check_visible = check_visible  # the /privacy rule (Community.check_visible)
        self.store = store
        self.titles = titles
        self.catalog = titles.catalog
        self.models = models
        self.import_cooldown = Cooldown(import_cooldown)  # per member: parsing a big export is costly

    async def rate(self, user_id: int, title: str, score: str | float, *, allow_adult: bool = False) -> RateResult:
        rating = parse_score(score)  # first: a "did you mean" menu would only lead to "not a score"
        anime, alternatives = self.titles.resolve_choice(title, allow_adult=allow_adult)
        model = self.models.model

        async def predict() -> float | None:
            if model is None:
                return None
            before = await self.store.rating_map(user_id)
            before.pop(anime.anime_id, None)
            return float((await self.models.ranked(model.predict, before, [anime.anime_id]))[0])

        # Side by side: the prediction leaves this title out, so it is the same whether it reads the
        # member's ratings before or after this write commits. A prediction that fails (the model closing
        # as the bot stops) leaves the reply without one: the score is stored, and the member must not be
        # told to try again.
        predicted, previous = await asyncio.gather(
            predict(), self.store.upsert_ratings(user_id, {anime.anime_id: rating}), return_exceptions=True
        )
        if isinstance(previous, BaseException):
            raise previous
        self._changed(user_id)
        if isinstance(predicted, BaseException):
            if not isinstance(predicted, Exception):
                raise predicted  # cancelled: the request is going away
            log.warning("a stored rating's prediction failed", exc_info=predicted)
            predicted = None
        before = previous[anime.anime_id]
        # Labelled with the title taken: "Berserk (1997)" beside the "Berserk" of 2016 it stored, the name to type.
        labels = tuple(self.catalog.labels([anime, *alternatives], ALTERNATIVE_LABEL)[1:]) if alternatives else ()
        if before is not None and keeps_score(rating, before):
            return RateResult(anime, before, before, predicted, labels, score_kept=True)
        return RateResult(anime, rating, before, predicted, labels)

    async def unrate(self, user_id: int, title: str, *, allow_adult: bool = False) -> Anime:
        mal = linked_mal_id(title)
        if mal is not None and mal not in self.catalog and await self.store.delete_rating(user_id, mal):
            # An imported title the catalog does not know yet (RatingList.pending): removable one by one, by
            # the id the member's export gave it, where only /forget could drop it.
            return Anime(mal, f"MyAnimeList title {mal} (kept from your import)", (), None, None, None, 0)
        anime = self.titles.resolve(title, allow_adult=allow_adult)
        if not await self.store.delete_rating(user_id, anime.anime_id):
            raise UserError(f"You haven't rated {anime.name}.")
        self._changed(user_id)
        return anime

    def _changed(self, user_id: int) -> None:
        if self.on_change is not None:
            self.on_change(user_id)

    async def of(self, user_id: int, *, allow_adult: bool = False) -> RatingList:
        """The member's ratings, best score first (watched without a score last), newest first within
        a score: a list of favourites reads from the top, and one import gives every title one time."""
        items, hidden, pending = [], 0, []
        catalog = self.catalog
        for r in await self.store.ratings(user_id):
            if r.anime_id not in catalog:  # kept from an import until a catalog refresh knows the title
                pending.append((r.updated_at, r.anime_id))
                continue
            anime = catalog.get(r.anime_id)
            if anime.is_adult and not allow_adult:
                hidden += 1
            else:
                items.append(RatedTitle(anime, r.rating, r.updated_at))
        items.sort(key=lambda t: t.updated_at, reverse=True)
        items.sort(key=lambda t: -t.rating)  # stable: newest first within a score
        pending.sort(key=lambda p: p[1])  # newest first, then by id: one import gives every title one time
        pending.sort(key=lambda p: p[0], reverse=True)
        return RatingList(items, hidden, tuple(a for _, a in pending))

    def check_import(self, user_id: int) -> None:
        """UserError while the member's import cooldown runs: ask before fetching the file."""
        self._import_wait(self.import_cooldown.remaining(user_id))

    def _import_wait(self, left: float) -> None:
        if left:
            raise UserError(f"One import every {wait_text(self.import_cooldown.seconds)}: "
                            f"try again in {wait_text(left)}.")

    async def import_mal_xml(self, user_id: int, data: bytes) -> ImportReport:
        """Import a MyAnimeList export; all or nothing (a bad file stores nothing). Only an import that
        stored something spends the member's cooldown (taken at the start, so two at once are refused)."""
        self._import_wait(self.import_cooldown.take(user_id))
        stored = False
        try:
            report = await self._import(user_id, data)
            stored = bool(report.added or report.updated or report.dropped)
            return report
        finally:
            if not stored:
                self.import_cooldown.give_back(user_id)

    async def _import(self, user_id: int, data: bytes) -> ImportReport:
        try:
            entries, malformed = await asyncio.to_thread(parse_mal_export, data)  # 5 MB of XML: not on the loop
        except MalImportError as exc:
            raise UserError(f"I couldn't import that file: {exc}. Nothing was stored.") from None
        unknown_over = f"titles the catalog does not know, past the {MAX_UNKNOWN_KEPT} kept for you"
        planned, on_hold = "planned to watch", "on hold without a score"
        dropped_unknown = "dropped without a score, not in the catalog yet"
        skipped = {planned: 0, on_hold: 0, dropped_unknown: 0, "malformed (no usable id or score)": malformed,
                   unknown_over: 0}
        existing = await self.store.rating_map(user_id)
        wanted: dict[int, float] = {}
        dropped: set[int] = set()
        # A title the catalog does not know yet is stored all the same: the next catalog refresh fetches
        # it, and from then on it counts like any other. Up to MAX_UNKNOWN_KEPT of them a member.
        unknown: set[int] = {a for a in existing if a not in self.catalog}
        listed = Counter(e.anime_id for e in entries)
        # A title listed twice counts as its last entry says, whatever that is (a score, dropped, planned).
        for e in {e.anime_id: e for e in entries}.values():
            if e.status in PLANNED_STATUSES:
                # Not seen yet, whatever score the list carries (MAL keeps one on a title moved back to it).
                skipped[planned] += 1
                continue
            if not e.score and e.status in DROPPED_STATUSES:
                # Dropped is "not for me" without a score: kept out of their picks (as a dismissal), not a rating.
                if e.anime_id in self.catalog:
                    dropped.add(e.anime_id)
                else:
                    skipped[dropped_unknown] += 1
                continue
            if not e.score and e.status not in WATCHED_STATUSES:
                skipped[on_hold] += 1
                continue
            if e.anime_id not in self.catalog and e.anime_id not in unknown:
                if len(unknown) >= MAX_UNKNOWN_KEPT:
                    skipped[unknown_over] += 1
                    continue
                unknown.add(e.anime_id)
            wanted[e.anime_id] = float(e.score) if e.score else WATCHED
        # A watched-only entry leaves a score already given here as it is (upsert_ratings keeps it).
        changed = {a: r for a, r in wanted.items() if existing.get(a) != r and not keeps_score(r, existing.get(a))}
        if changed:
            await self.store.upsert_ratings(user_id, changed)
        # A score given here says more; one dismissed already is not dropped again (a second import of one file).
        dropped -= existing.keys() | await self.store.dismissals(user_id)
        if dropped:
            await self.store.dismiss(user_id, sorted(dropped))
        if changed or dropped:
            self._changed(user_id)
        added = sum(a not in existing for a in changed)
        catalog = self.catalog
        return ImportReport(added, len(changed) - added, len(wanted) - len(changed),
                            {k: v for k, v in skipped.items() if v}, sum(a not in catalog for a in wanted),
                            len(dropped), sum(n > 1 for n in listed.values()))

    async def forget(self, user_id: int) -> Forgotten:
        """Delete everything stored about a member (the caller has asked them to confirm)."""
        ratings, dismissals = await self.store.forget(user_id)
        if self.on_forget is not None:
            self.on_forget(user_id)
        meta = self.models.meta
        learnt = meta is not None and meta.counts.community_interactions > 0
        return Forgotten(ratings, dismissals, bool(ratings) and (learnt or self.models.training))

    def forgotten_text(self, forgotten: Forgotten) -> str:
        """What /forget answers: what was deleted and, when the served model learnt from it, when the
        next model (the scheduled retrain's) no longer does."""
        text = (f"Done: deleted {plural(forgotten.ratings, 'rating')} and "
                f"{plural(forgotten.dismissals, 'dismissed title')}. I no longer store anything about you.")
        if not forgotten.in_model:
            return text
        when = "the next time I retrain"
        if (next_retrain := self.models.next_retrain()) is not None:
            soon = next_retrain - datetime.now(UTC) < timedelta(days=1)
            when = f"at {next_retrain:%H:%M} UTC" if soon else f"at {next_retrain:%Y-%m-%d %H:%M} UTC"
        return (text + " The model I serve now learnt from your ratings (blended into its title weights; it keeps "
                f"no row of yours): they are gone from the next model, {when}.")

    async def of_member(self, member_id: int, *, viewer_id: int, name: str, member_here: bool,
                        allow_adult: bool = False) -> RatingList:
        """Another member's ratings (or the viewer's own): only of a member of this server who keeps
        their taste visible (/privacy)."""
        if member_id != viewer_id:
            if not member_here:
                raise UserError("I can only show the ratings of a member of this server.")
            if self.check_visible is not None:
                await self.check_visible(member_id, viewer_id, name, "I can't show their ratings")
        return await self.of(member_id, allow_adult=allow_adult)

    async def dismiss(self, user_id: int, anime_ids: Iterable[int]) -> None:
        await self.store.dismiss(user_id, [a for a in anime_ids if a in self.catalog])
        self._changed(user_id)
