import pytest

from animerec.bot.store import Store


@pytest.fixture
async def store(database):
    """A store on each backend (tests/bot/conftest.py's `database`), closed afterwards."""
    store = await Store.open(database)
    yield store
    await store.close()
