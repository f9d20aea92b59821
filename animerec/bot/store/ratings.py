"""A member's own lists: their ratings (a score, or -1 for watched without one) and the titles they
dismissed from their recommendations."""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import Container, Iterable
from dataclasses import dataclass
from pathlib import Path

from animerec.bot.store.backends import MEMBER_NAMESPACE, Tx
from animerec.bot.store.tables import Tables, now
from animerec.recsys.data import WATCHED
from animerec.recsys.lifecycle.meta import INTERACTION_COLUMNS

# In upsert_ratings' conflict clause: the stored row is a score and the new one says only watched
# (keeps_score, in SQL).
SCORE_KEPT = f"excluded.rating = {WATCHED} AND ratings.rating > 0"


def keeps_score(new: float, stored: float | None) -> bool:
    """Whether upsert_ratings keeps the score ``stored`` when asked to store ``new``: a watched mark
    never replaces a score."""
    return new == WATCHED and stored is not None and stored > 0


RATERS_BATCH = 500  # titles per query of raters_of: far below any database's parameter limit


@dataclass(frozen=True)
class StoredRating:
    anime_id: int
    rating: float
    updated_at: str


class RatingTables(Tables):
    async def upsert_ratings(self, user_id: int, ratings: dict[int, float]) -> dict[int, float | None]:
        """Store ratings (re-rating replaces); returns each title's previous rating (None if new). A title
        marked watched (WATCHED) that already has a score keeps it: a score says watched and more, and a
        member who marks a title they scored long ago as watched does not mean to erase the score (/unrate
        does). Decided in the one statement, so a score written meanwhile by another request is kept too."""
        rows = [(user_id, a, float(r), now()) for a, r in ratings.items()]

        def write(db: Tx) -> dict[int, float | None]:
            db.lock(MEMBER_NAMESPACE, user_id)  # PostgreSQL: `previous` is exact under concurrent writes of one member
            previous = dict(db.fetch("SELECT anime_id, rating FROM ratings WHERE user_id = ?", (user_id,)))
            db.executemany(
                "INSERT INTO ratings (user_id, anime_id, rating, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, anime_id) DO UPDATE SET "
                f"rating = CASE WHEN {SCORE_KEPT} THEN ratings.rating ELSE excluded.rating END, "
                f"updated_at = CASE WHEN {SCORE_KEPT} THEN ratings.updated_at ELSE excluded.updated_at END",
                rows,
            )
            # A title rated now is no longer dismissed.
            db.executemany("DELETE FROM dismissals WHERE user_id = ? AND anime_id = ?", [(user_id, a) for a in ratings])
            return {a: previous.get(a) for a in ratings}

        return await self._write(write)

    async def delete_rating(self, user_id: int, anime_id: int) -> bool:
        return await self._write(
            lambda db: db.execute(
                "DELETE FROM ratings WHERE user_id = ? AND anime_id = ?", (user_id, anime_id)
            ) > 0
        )

    async def ratings(self, user_id: int) -> list[StoredRating]:
        """A member's ratings, most recently updated first."""
        rows = await self._all(
            "SELECT anime_id, rating, updated_at FROM ratings WHERE user_id = ? ORDER BY updated_at DESC, anime_id",
            (user_id,),
        )
        return [StoredRating(*row) for row in rows]

    async def rating_map(self, user_id: int, known: Container[int] | None = None) -> dict[int, float]:
        """anime id -> rating of a member; ``known``: only the ids in it (the catalog: an import keeps the
        titles it does not know yet, and a taste, comparison or party drawn from those alone was empty)."""
        rows = await self._all("SELECT anime_id, rating FROM ratings WHERE user_id = ?", (user_id,))
        return {a: r for a, r in rows if known is None or a in known}

    async def latest_raters(self, limit: int) -> list[int]:
        """The members whose ratings changed last, the latest first, at most ``limit``."""
        rows = await self._all("SELECT user_id FROM ratings GROUP BY user_id ORDER BY MAX(updated_at) DESC, user_id "
                               "LIMIT ?", (limit,))
        return [row[0] for row in rows]

    async def rating_counts(self) -> tuple[int, int]:
        """(ratings, members) over the whole community."""
        row = await self._aggregate("SELECT COUNT(*), COUNT(DISTINCT user_id) FROM ratings")
        return row[0], row[1]

    async def raters_per_title(self) -> dict[int, int]:
        """How many members rated each title anyone rated (a member's import may name titles the catalog
        does not know yet)."""
        return dict(await self._all("SELECT anime_id, COUNT(*) FROM ratings GROUP BY anime_id"))

    async def raters_of(self, anime_ids: Iterable[int]) -> dict[int, dict[int, float]]:
        """Every rating of each member who rated any of ``anime_ids``, by member."""
        ids = sorted({int(a) for a in anime_ids})
        out: dict[int, dict[int, float]] = {}
        for start in range(0, len(ids), RATERS_BATCH):
            batch = ids[start:start + RATERS_BATCH]
            marks = ", ".join("?" * len(batch))
            rows = await self._all("SELECT user_id, anime_id, rating FROM ratings WHERE user_id IN "
                                   f"(SELECT user_id FROM ratings WHERE anime_id IN ({marks}))", tuple(batch))
            for user_id, anime_id, rating in rows:
                out.setdefault(user_id, {})[anime_id] = rating
        return out

    async def export_ratings(self, path: Path, known: Container[int] | None = None) -> int:
        """Write every community rating (only those on `known` titles, when given) as CSV
        user_id,anime_id,rating into a file only this user can read (mode 0600); returns the row count.
        The caller deletes it once done."""
        rows = await self._all("SELECT user_id, anime_id, rating FROM ratings ORDER BY user_id, anime_id")
        if known is not None:
            rows = [row for row in rows if row[1] in known]
        await asyncio.to_thread(_write_csv, path, INTERACTION_COLUMNS, rows)
        return len(rows)

    async def dismiss(self, user_id: int, anime_ids: Iterable[int]) -> None:
        rows = [(user_id, a, now()) for a in anime_ids]
        await self._write(
            lambda db: db.executemany(
                "INSERT INTO dismissals (user_id, anime_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows
            )
        )

    async def dismissals(self, user_id: int) -> set[int]:
        return {row[0] for row in await self._all("SELECT anime_id FROM dismissals WHERE user_id = ?", (user_id,))}


def mark_watched(db: Tx, user_id: int, anime_id: int, stamp: str) -> None:
    """The member watched the title: rated -1 (watched, no score) unless they rated it already, and
    no longer dismissed."""
    db.execute("INSERT INTO ratings (user_id, anime_id, rating, updated_at) VALUES (?, ?, -1, ?) "
               "ON CONFLICT (user_id, anime_id) DO NOTHING", (user_id, anime_id, stamp))
    db.execute("DELETE FROM dismissals WHERE user_id = ? AND anime_id = ?", (user_id, anime_id))


def forget_ratings(db: Tx, user_id: int) -> tuple[int, int]:
    """Delete a member's ratings and dismissals; (ratings, dismissals) deleted."""
    ratings = db.execute("DELETE FROM ratings WHERE user_id = ?", (user_id,))
    dismissals = db.execute("DELETE FROM dismissals WHERE user_id = ?", (user_id,))
    return ratings, dismissals


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    # Member data: created 0600, and an existing file (from mkstemp) keeps its own mode.
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
