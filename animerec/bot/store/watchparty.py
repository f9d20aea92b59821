"""Watch parties: each party's votes (a row per member, until the vote closes), its group and picks,
and who confirmed watching its title, kept past the vote for "We watched it" and across restarts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from animerec.bot.store.backends import Tx
from animerec.bot.store.ratings import mark_watched
from animerec.bot.store.tables import Tables, now

PARTY_DAYS = 7  # a watch party's vote closes (and its rows go) after this


class WatchPartyTables(Tables):
    async def open_party(self, message_id: int, user_ids: Iterable[int]) -> None:
        """The members who may vote on a watch-party message; parties older than PARTY_DAYS close."""
        cutoff = (datetime.now(UTC) - timedelta(days=PARTY_DAYS)).isoformat(timespec="seconds")
        rows = [(message_id, u, now()) for u in user_ids]

        def write(db: Tx) -> None:
            db.execute("DELETE FROM party_votes WHERE created_at < ?", (cutoff,))
            db.executemany(
                "INSERT INTO party_votes (message_id, user_id, rank, created_at) VALUES (?, ?, NULL, ?) "
                "ON CONFLICT DO NOTHING",
                rows,
            )

        await self._write(write)

    async def vote(self, message_id: int, user_id: int, rank: int) -> bool:
        """Record (or move) a member's vote; False when they are not in that party (or it closed)."""
        return await self._write(lambda db: db.execute(
            "UPDATE party_votes SET rank = ? WHERE message_id = ? AND user_id = ?", (rank, message_id, user_id)
        ) > 0)

    async def party_tally(self, message_id: int) -> dict[int, int]:
        """rank -> votes, for the ranks that have any."""
        return dict(await self._all(
            "SELECT rank, COUNT(*) FROM party_votes WHERE message_id = ? AND rank IS NOT NULL GROUP BY rank",
            (message_id,),
        ))

    async def open_party_picks(self, message_id: int, user_ids: Iterable[int], anime_ids: Iterable[int]) -> None:
        """A watch party's group and its picks, rank order, for "We watched it" (kept past the vote)."""
        row = (message_id, group_key(user_ids), ",".join(str(a) for a in anime_ids), now())
        await self._write(lambda db: db.execute(
            "INSERT INTO parties (message_id, group_key, picks, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (message_id) DO NOTHING", row))

    async def party(self, message_id: int) -> tuple[str, list[int]] | None:
        """(group key, picks in rank order) of a party message, or None."""
        row = await self._one("SELECT group_key, picks FROM parties WHERE message_id = ?", (message_id,))
        if row is None:
            return None
        return row[0], [int(a) for a in row[1].split(",") if a]

    async def confirm_watched(self, message_id: int, user_id: int, anime_id: int) -> bool:
        """A party member watched the party's title: recorded once per member and party (a second
        click changes nothing), and the title is marked watched for them unless they rated it. False
        when they had confirmed already."""
        stamp = now()

        def write(db: Tx) -> bool:
            added = db.execute(
                "INSERT INTO party_watched (message_id, user_id, anime_id, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (message_id, user_id) DO NOTHING", (message_id, user_id, anime_id, stamp)) > 0
            mark_watched(db, user_id, anime_id, stamp)
            return added

        return await self._write(write)

    async def watched_count(self, message_id: int) -> int:
        """Members who confirmed watching a party's title."""
        return (await self._aggregate("SELECT COUNT(*) FROM party_watched WHERE message_id = ?", (message_id,)))[0]

    async def watched_by_group(self, user_ids: Iterable[int], limit: int = 3) -> list[tuple[int, int, str]]:
        """What this exact group confirmed watching at earlier parties, latest first: (anime id, members
        who confirmed, when)."""
        rows = await self._all(
            "SELECT w.anime_id, COUNT(*), MAX(w.created_at) FROM parties p "
            "JOIN party_watched w ON w.message_id = p.message_id WHERE p.group_key = ? "
            "GROUP BY w.anime_id ORDER BY MAX(w.created_at) DESC, w.anime_id LIMIT ?",
            (group_key(user_ids), limit))
        return [(int(a), int(n), str(at)) for a, n, at in rows]


def forget_party_member(db: Tx, user_id: int) -> None:
    """Delete a member's votes and confirmations, and the parties of every group they were in."""
    db.execute("DELETE FROM party_votes WHERE user_id = ?", (user_id,))
    db.execute("DELETE FROM party_watched WHERE user_id = ?", (user_id,))
    db.execute("DELETE FROM parties WHERE group_key LIKE ?", (f"%,{user_id},%",))


def group_key(user_ids: Iterable[int]) -> str:
    """A group of members as one key, whatever the order: ",1,5,9," (so LIKE '%,5,%' finds a member)."""
    return "," + ",".join(str(u) for u in sorted(set(user_ids))) + ","


def group_members(key: str) -> set[int]:
    """The members a group_key names."""
    return {int(u) for u in key.strip(",").split(",") if u}
