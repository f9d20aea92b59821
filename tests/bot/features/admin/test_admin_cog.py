"""/stats and /admin through the real discord.py tree (simcord): who may use them, a retrain in a child
process and its cooldown, and a retrain asked for while another process trains."""

import discord
import pytest
from simcord import SetupError

from animerec.bot.models.holder import ADMIN_RETRAIN, RETRAIN_ELSEWHERE
from animerec.bot.store import Store, TrainingRecord, TrainingStatus
from animerec.recsys.data import DATA_CREDIT
from botkit import RATED, Clock, until, user_errors

pytestmark = pytest.mark.timeout(60)

@pytest.fixture
def mods(simcord_env):
    """A server's channel, and a member with the Manage Server permission: (channel, mod)."""
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("mods")
    managers = guild.create_role("mods", permissions=discord.Permissions(manage_guild=True))
    return channel, guild.add_member(simcord_env.create_user("mod"), roles=[managers])


async def test_admin_commands_need_manage_server(simcord_env, world):
    guild, channel, alice = world
    managers = guild.create_role("mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[managers])
    with pytest.raises(SetupError, match="not visible"):
        await alice.slash(channel, "admin adult-content", hide=True)
    reply = await mod.slash(channel, "admin adult-content", hide=True)
    assert reply.ephemeral and reply.response.content == "Adult titles now appear nowhere in this server."
    assert await simcord_env.bot.service.titles.allow_adult(guild.id, nsfw_channel=True) is False

    reply = await alice.slash(channel, "stats")
    [words] = reply.response.embeds
    assert words.title == "About my recommendations" and words.description.startswith("My model is ")
    assert "coverage10" not in words.description and "ratings and watches of MyAnimeList members" in words.description
    assert words.footer.text == DATA_CREDIT  # the data sources' attribution, bangumi-data's CC BY 4.0 among them
    refused = await alice.slash(channel, "stats", details=True)
    assert refused.ephemeral and "for server managers" in refused.response.content
    assert user_errors(simcord_env) == [refused.response.content]
    words, figures = (await mod.slash(channel, "stats", details=True)).response.embeds
    model = next(f.value for f in figures.fields if f.name == "Model")
    assert model.startswith(simcord_env.bot.service.models.model_version)


@pytest.mark.timeout(150)
@pytest.mark.simcord(settle_timeout=140)  # the slash call settles once the queued retrain is done
async def test_admin_retrain_trains_in_a_child_process_and_swaps_the_model(simcord_env, mods):
    channel, mod = mods
    service = simcord_env.bot.service
    await service.store.upsert_ratings(mod.id, RATED)
    old = service.models.model_version

    reply = await mod.slash(channel, "admin retrain")
    assert reply.ephemeral and reply.response.content.startswith("Retrain queued.")
    assert service.models.model_version != old and not service.models.training
    assert service.models.meta.counts.community_interactions == len(RATED)
    [record] = await service.store.training_history(1)
    assert (record.status, record.version, record.error) == (TrainingStatus.READY, service.models.model_version, None)
    words, stats = (await mod.slash(channel, "stats", details=True)).response.embeds
    assert "and 3 from this bot's members" in words.description
    fields = {f.name: f.value for f in stats.fields}
    assert fields["Model"].startswith(service.models.model_version) and fields["Last retrain"].startswith("ready at ")
    assert "3 community" in fields["Trained on"]


@pytest.mark.timeout(60)
async def test_admin_retrain_at_most_once_per_cooldown(simcord_env, mods, monkeypatch):
    channel, mod = mods
    bot = simcord_env.bot
    clock = bot.service.models.retrain_cooldown.clock = Clock()
    runs = []

    async def retrain():
        runs.append(clock.now)
        return TrainingRecord(len(runs), "", "", TrainingStatus.READY, f"v{len(runs)}", "", None)

    monkeypatch.setattr(bot.service.models, "_run_retrain", retrain)
    assert (await mod.slash(channel, "admin retrain")).response.content.startswith("Retrain queued.")
    await until(lambda: len(runs) == 1)
    clock.now += 5
    refused = await mod.slash(channel, "admin retrain")
    assert refused.ephemeral and refused.response.content == "One /admin retrain every 10 min: try again in 9 min 55 s."
    clock.now += 594.5
    refused = await mod.slash(channel, "admin retrain")
    assert refused.response.content == "One /admin retrain every 10 min: try again in 1 s."
    assert [str(getattr(e, "original", e)) for e in simcord_env.errors] == [
        "One /admin retrain every 10 min: try again in 9 min 55 s.", "One /admin retrain every 10 min: try again in 1 s."]
    clock.now += 0.5
    assert (await mod.slash(channel, "admin retrain")).response.content.startswith("Retrain queued.")
    await until(lambda: len(runs) == 2)
    assert runs == [1000.0, 1600.0]


@pytest.mark.timeout(60)
async def test_admin_retrain_while_another_process_trains_says_so_and_keeps_the_cooldown(simcord_env, mods, data_dir):
    channel, mod = mods
    bot = simcord_env.bot
    other = await Store.open(data_dir / "animerec.sqlite3")  # another shard's process, training
    release = await other.try_training_lock()
    try:
        reply = await mod.slash(channel, "admin retrain")
        assert reply.ephemeral and reply.response.content == RETRAIN_ELSEWHERE
        assert not bot.service.models.training and bot.service.models.retrain_cooldown.remaining(ADMIN_RETRAIN) == 0
        assert [str(getattr(e, "original", e)) for e in simcord_env.errors] == [RETRAIN_ELSEWHERE]
    finally:
        await release()
        await other.close()
    assert not await bot.service.models.training_elsewhere()
