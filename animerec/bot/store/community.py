"""The community's tables: who has used the bot in which server (a server's views, /server top, /score
and /taste's server profile, count these members only), and who asked /privacy to be hidden."""

from __future__ import annotations

from collections.abc import Iterable

from animerec.bot.store.backends import Tx
from animerec.bot.store.tables import Tables, now


class CommunityTables(Tables):
    async def add_guild_members(self, guild_id: int, user_ids: Iterable[int]) -> None:
        rows = [(guild_id, u, now()) for u in user_ids]
        await self._write(lambda db: db.executemany(
            "INSERT INTO guild_members (guild_id, user_id, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO NOTHING", rows))

    async def remove_guild_member(self, guild_id: int, user_id: int) -> None:
        await self._write(lambda db: db.execute(
            "DELETE FROM guild_members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)))

    async def guild_member_ids(self, guild_id: int) -> set[int]:
        return {r[0] for r in await self._all("SELECT user_id FROM guild_members WHERE guild_id = ?", (guild_id,))}

    async def guild_title_counts(self, guild_id: int, loved: float, disliked: float
                                 ) -> tuple[list[tuple], dict[bool, int]]:
        """Per title over the server's members, apart for those who keep their taste hidden:
        (anime_id, hidden, given, scored, score sum, sum of the scores above disliked, scored >= loved); and
        hidden -> how many of its members have any rating."""
        hidden = "COALESCE(p.hidden, 0)"
        joins = ("FROM ratings r JOIN guild_members g ON g.user_id = r.user_id "
                 "LEFT JOIN member_privacy p ON p.user_id = r.user_id WHERE g.guild_id = ?")
        rows = await self._all(
            f"SELECT r.anime_id, {hidden}, COUNT(*), SUM(CASE WHEN r.rating > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN r.rating > 0 THEN r.rating ELSE 0 END), SUM(CASE WHEN r.rating > ? THEN r.rating ELSE 0 END), "
            f"SUM(CASE WHEN r.rating >= ? THEN 1 ELSE 0 END) {joins} GROUP BY r.anime_id, {hidden} "
            f"ORDER BY r.anime_id, {hidden}", (disliked, loved, guild_id))
        members = await self._all(f"SELECT {hidden}, COUNT(DISTINCT r.user_id) {joins} GROUP BY {hidden}", (guild_id,))
        return [(a, bool(h), *rest) for a, h, *rest in rows], {bool(h): int(n) for h, n in members}

    async def guild_title_ratings(self, guild_id: int, anime_id: int) -> list[tuple[int, float, bool]]:
        """One title's ratings by the server's members: (user_id, rating, hidden)."""
        rows = await self._all(
            "SELECT r.user_id, r.rating, COALESCE(p.hidden, 0) FROM ratings r "
            "JOIN guild_members g ON g.user_id = r.user_id AND g.guild_id = ? "
            "LEFT JOIN member_privacy p ON p.user_id = r.user_id WHERE r.anime_id = ?", (guild_id, anime_id))
        return [(int(u), float(r), bool(h)) for u, r, h in rows]

    async def set_hidden(self, user_id: int, hidden: bool) -> None:
        await self._write(lambda db: db.execute(
            "INSERT INTO member_privacy (user_id, hidden) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET hidden = excluded.hidden", (user_id, int(hidden))))

    async def is_hidden(self, user_id: int) -> bool:
        row = await self._one("SELECT hidden FROM member_privacy WHERE user_id = ?", (user_id,))
        return bool(row and row[0])


def forget_community_member(db: Tx, user_id: int) -> None:
    """Delete the servers a member was seen in and their privacy setting."""
    db.execute("DELETE FROM guild_members WHERE user_id = ?", (user_id,))
    db.execute("DELETE FROM member_privacy WHERE user_id = ?", (user_id,))
