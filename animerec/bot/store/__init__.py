"""Where members' data lives: SQLite by default, PostgreSQL for several processes.

The names the rest of the bot uses: Store (every feature's tables over one database), its errors, and
the records it returns.
"""

from animerec.bot.store.backends import POSTGRESQL, SQLITE, BadDatabaseURL, StoreBusy, StoreUnavailable
from animerec.bot.store.migrations import SCHEMA_VERSION
from animerec.bot.store.models import TrainingRecord, TrainingStatus
from animerec.bot.store.ratings import StoredRating
from animerec.bot.store.store import Store
from animerec.bot.store.tables import now
from animerec.bot.store.watchparty import PARTY_DAYS, group_key, group_members

__all__ = ["Store", "StoreBusy", "StoreUnavailable", "BadDatabaseURL", "SQLITE", "POSTGRESQL", "SCHEMA_VERSION",
           "StoredRating", "TrainingRecord", "TrainingStatus", "PARTY_DAYS", "group_key", "group_members", "now"]
