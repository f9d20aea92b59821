"""Titles (service/titles.py): suggestions for a title not found, and adult titles only where the channel
and the server allow them."""

import pytest

from animerec.bot.service import TitleChoice, UserError
from animerec.recsys.catalog.catalog import id_text
from botkit import ALICE, STEINS_GATE

pytestmark = pytest.mark.timeout(60)


ADULT = (1639, 368, 5391)  # Boku no Pico, Bible Black, Pico to Chico (genre Hentai)


async def test_unknown_title_suggests_close_ones(service):
    with pytest.raises(UserError, match="Did you mean: .*Steins;Gate"):
        await service.ratings.rate(ALICE, "Steins Gateway", "9")
    with pytest.raises(UserError, match="I don't know a title") as error:
        await service.ratings.rate(ALICE, "x" * 10_000, "9")
    assert len(str(error.value)) < 300


OSHI_NO_KO, HOSHI_NO_KOE = 52034, 256


@pytest.mark.parametrize("path", ["rate", "unrate", "similar", "score"])
async def test_a_weak_match_offers_its_candidates_and_changes_nothing_on_every_path(service, path):
    """"hoshi no ko" is one slip from [Oshi no Ko] and from Hoshi no Koe: neither is taken; both are offered."""
    await service.ratings.rate(ALICE, id_text(STEINS_GATE), "8")
    act = {
        "rate": lambda text: service.ratings.rate(ALICE, text, "9"),
        "unrate": lambda text: service.ratings.unrate(ALICE, text),
        "similar": lambda text: service.similar.find(text, member_id=ALICE),
        "score": lambda text: service.community.score(1, ALICE, service.titles.resolve(text)),
    }[path]
    with pytest.raises(TitleChoice) as offer:
        await act("hoshi no ko")
    candidates = [a.anime_id for a in offer.value.candidates]
    assert candidates[:2] == [OSHI_NO_KO, HOSHI_NO_KOE] and len(candidates) <= 5
    assert offer.value.text == "hoshi no ko" and "Did you mean: [Oshi no Ko]; Hoshi no Koe" in str(offer.value)
    assert await service.store.rating_map(ALICE) == {STEINS_GATE: 8.0}


async def test_unknown_title_says_what_the_catalog_covers(service, catalog):
    newest = max((a.year, ("winter", "spring", "summer", "fall").index(a.season), a.season)
                 for a in catalog if a.year is not None and a.season is not None)
    with pytest.raises(UserError) as error:
        await service.ratings.rate(ALICE, "zzqxw", "9")
    message = str(error.value)
    assert f"I know {len(catalog):,} titles, aired up to {newest[2].capitalize()} {newest[0]}" in message
    assert "MyAnimeList or AniList link" in message


async def test_adult_titles_only_where_allowed(service):
    # Outside an age-restricted channel an adult title does not exist, even by its MAL id.
    with pytest.raises(UserError, match="I don't know a title"):
        await service.ratings.rate(ALICE, id_text(ADULT[0]), "9")
    assert not any(a.is_adult for a in service.titles.search("Kite", allow_adult=False))
    assert any(a.is_adult for a in service.titles.search("Kite", allow_adult=True))
    with pytest.raises(UserError, match="I don't know a title"):
        await service.similar.find("Boku no Pico")

    for anime_id in ADULT:  # rated in an NSFW channel: the model now leans adult for this member
        await service.ratings.rate(ALICE, id_text(anime_id), "10", allow_adult=True)
    assert any(p.anime.is_adult for p in (await service.picks.recommend(ALICE, count=25, allow_adult=True)).picks)
    safe = await service.picks.recommend(ALICE, count=25, allow_adult=False)
    assert len(safe.picks) == 25
    assert not any(p.anime.is_adult or (p.because and p.because.anime.is_adult) for p in safe.picks)
    listed = await service.ratings.of(ALICE, allow_adult=False)
    assert (listed.items, listed.hidden) == ([], 3)
    assert not any(n.anime.is_adult for n in (await service.similar.find("Cowboy Bebop", count=25)).neighbours)


async def test_adult_audience_needs_nsfw_channel_and_the_server_not_hiding_them(service):
    guild = 555
    assert await service.titles.allow_adult(guild, nsfw_channel=False) is False
    assert await service.titles.allow_adult(guild, nsfw_channel=True) is True
    await service.titles.set_hide_adult(guild, True)
    assert await service.titles.allow_adult(guild, nsfw_channel=True) is False
    assert await service.titles.allow_adult(556, nsfw_channel=True) is True  # other servers are unaffected
