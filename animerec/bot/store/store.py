"""The community's store: every feature's tables over one database, migrated when it opens.

On SQLite by default (a file in the data directory), on PostgreSQL when DATABASE_URL says so
(animerec.bot.store.backends has both, and how each commits). Each feature's SQL lives in a module of
its own (ratings, community, guild_settings, watchparty, models), written once for both databases:
`?` placeholders, ON CONFLICT, RETURNING. An acknowledged write is committed; a failed one undoes
itself alone; reads only ever see committed data.
"""

from __future__ import annotations

from pathlib import Path

from animerec.bot.store.backends import POSTGRESQL, Tx, open_backend
from animerec.bot.store.community import CommunityTables, forget_community_member
from animerec.bot.store.guild_settings import GuildSettingsTables
from animerec.bot.store.migrations import CURRENT_VERSION, SCHEMA_VERSION, TABLES, migrate
from animerec.bot.store.models import ModelRegistry
from animerec.bot.store.ratings import RatingTables, forget_ratings
from animerec.bot.store.watchparty import WatchPartyTables, forget_party_member

DEFAULT_BUSY_TIMEOUT = 5.0


class Store(RatingTables, CommunityTables, GuildSettingsTables, WatchPartyTables, ModelRegistry):
    """One database, with every feature's tables on it."""

    @classmethod
    async def open(cls, target: Path | str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
        """The store at target, migrated to SCHEMA_VERSION: a SQLite file (a Path, or sqlite:///path),
        or a postgresql:// URL. StoreUnavailable (one line) when a PostgreSQL server cannot be reached."""
        store = cls(await open_backend(target, busy_timeout))
        try:
            await store._write(migrate)
        except BaseException:
            await store.close()
            raise
        return store

    async def schema_version(self) -> int:
        return (await self._aggregate(CURRENT_VERSION))[0]

    async def forget(self, user_id: int) -> tuple[int, int]:
        """Delete everything stored about a member (watch-party votes and confirmations, the servers they
        were seen in, their privacy setting); returns (ratings, dismissals) deleted."""
        def write(db: Tx) -> tuple[int, int]:
            deleted = forget_ratings(db, user_id)
            forget_party_member(db, user_id)
            forget_community_member(db, user_id)
            return deleted

        return await self._write(write)

    async def copy_from(self, source: Store) -> dict[str, int]:
        """Copy every row of source (another database, at the same schema version) into this one, in
        one transaction; refused (ValueError) unless this one holds no member data yet. Rows per table."""
        if (theirs := await source.schema_version()) != SCHEMA_VERSION:
            raise ValueError(f"the source database is at schema {theirs}, this bot's is {SCHEMA_VERSION}")
        data = {table: await source._all(f"SELECT {', '.join(cols)} FROM {table}") for table, cols in TABLES.items()}

        def write(db: Tx) -> dict[str, int]:
            for table in TABLES:
                if db.fetch(f"SELECT COUNT(*) FROM {table}")[0][0]:
                    raise ValueError(f"the target database already has {table}: copy into an empty one")
            for table, cols in TABLES.items():
                marks = ", ".join("?" * len(cols))
                db.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", data[table])
            if db.dialect == POSTGRESQL:  # ids were given: the identity goes on after the largest
                db.execute("SELECT setval(pg_get_serial_sequence('model_registry', 'id'), "
                           "(SELECT COALESCE(MAX(id), 0) + 1 FROM model_registry), false)")
            return {table: len(rows) for table, rows in data.items()}

        return await self._write(write)
