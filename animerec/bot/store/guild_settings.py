"""A server's settings, as its admins set them: whether adult titles are hidden there."""

from __future__ import annotations

from animerec.bot.store.tables import Tables


class GuildSettingsTables(Tables):
    async def hide_adult(self, guild_id: int, default: bool = False) -> bool:
        """The server's setting; default when it never chose."""
        row = await self._one("SELECT hide_adult FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return default if row is None else bool(row[0])

    async def set_hide_adult(self, guild_id: int, hide: bool) -> None:
        await self._write(lambda db: db.execute(
            "INSERT INTO guild_settings (guild_id, hide_adult) VALUES (?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET hide_adult = excluded.hide_adult",
            (guild_id, int(hide)),
        ))
