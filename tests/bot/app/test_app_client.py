"""The Discord client (app/client.py): the shard settings make an auto-sharded bot, and only the process
running shard 0 syncs the slash commands."""

import discord
import pytest
from pydantic import ValidationError

from animerec.bot.app.client import ShardedAnimeRecBot, create_bot
from animerec.bot.settings import Settings

pytestmark = pytest.mark.timeout(240)


def test_shard_settings_make_an_auto_sharded_bot_and_only_shard_0_syncs_commands(tmp_path):
    def settings(**env) -> Settings:
        return Settings(_env_file=None, data_dir=tmp_path, **env)

    one = create_bot(settings())
    assert not isinstance(one, discord.AutoShardedClient) and one.syncs_commands
    assert settings().heartbeat_path == tmp_path / "heartbeat" and settings().model_poll_seconds == 0

    first = create_bot(settings(ANIMEREC_SHARD_COUNT=4, ANIMEREC_SHARD_IDS="0,1"))
    second = create_bot(settings(ANIMEREC_SHARD_COUNT=4, ANIMEREC_SHARD_IDS=" 2, 3"))
    assert isinstance(first, ShardedAnimeRecBot) and isinstance(first, discord.AutoShardedClient)
    assert (first.shard_count, first.shard_ids, first.syncs_commands) == (4, [0, 1], True)
    assert (second.shard_count, second.shard_ids, second.syncs_commands) == (4, [2, 3], False)
    assert second.settings.heartbeat_path == tmp_path / "heartbeat-shards-2-3"  # processes may share a data dir
    assert second.settings.model_poll_seconds == 5
    everything = create_bot(settings(ANIMEREC_SHARD_COUNT=2))  # every shard in this one process
    assert (everything.shard_count, everything.shard_ids) == (2, None)

    for wrong, message in [({"ANIMEREC_SHARD_IDS": "0"}, "needs ANIMEREC_SHARD_COUNT"),
                           ({"ANIMEREC_SHARD_COUNT": 2, "ANIMEREC_SHARD_IDS": "1,2"}, "from 0 to 1; got 1,2"),
                           ({"ANIMEREC_SHARD_COUNT": 2, "ANIMEREC_SHARD_IDS": "1,1"}, "distinct"),
                           ({"ANIMEREC_SHARD_COUNT": 0}, "ANIMEREC_SHARD_COUNT")]:
        with pytest.raises(ValidationError, match=message):
            settings(**wrong)


async def test_the_running_bot_keeps_its_catalog_and_model_out_of_full_garbage_collections(simcord_env, simcord_bot):
    """A full collection walks every tracked object: with the catalog and the model (hundreds of thousands
    of objects) in it, each one stalls the event loop, and every member waiting on it. Once set up, the
    bot moves what it loaded into the permanent generation, which collections skip; closing gives it back."""
    import gc

    anime = simcord_bot.service.catalog.get(9253)
    assert gc.is_tracked(anime)

    def collected() -> bool:  # in a generation that collections walk
        return any(o is anime for o in gc.get_objects())

    assert not collected() and gc.get_freeze_count() >= len(simcord_bot.service.catalog)
    await simcord_bot.close()
    assert collected()
