"""The catalog overlay (lifecycle/overlay.py): validated, never shrinking, never editing bundled titles."""

from __future__ import annotations

import pandas as pd
import pytest
from anilist_fixtures import FRIEREN_2, NEW_FILM, NEW_TV, media

from animerec.recsys.data import load_catalog_table, load_catalog_titles
from animerec.recsys.lifecycle import overlay
from animerec.recsys.lifecycle.refresh import media_rows

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def tables():
    return load_catalog_table(), load_catalog_titles()


@pytest.fixture(scope="module")
def rows(tables):
    return media_rows([media(NEW_TV, "Kessoku no Hoshi"), media(NEW_FILM, "Kessoku no Hoshi Movie", fmt="MOVIE")],
                      tables[0])[:2]


def test_no_overlay_leaves_the_bundled_frames(tmp_path, tables):
    assert overlay.apply_overlay(*tables, tmp_path) == tables
    assert overlay.info(tmp_path) is None


def test_an_overlay_that_drops_titles_is_refused_and_the_old_one_stays(tmp_path, tables, rows):
    cat, titles = rows
    overlay.publish(cat, titles, tmp_path, source="test")
    first = overlay.info(tmp_path)
    only_tv = cat[cat["anime_id"] == NEW_TV]
    with pytest.raises(overlay.OverlayError, match="drop 1 title"):
        overlay.publish(only_tv, titles[titles["anime_id"] == NEW_TV], tmp_path, source="test",
                        previous_ids=set(cat["anime_id"]))
    assert overlay.info(tmp_path) == first
    assert {NEW_TV, NEW_FILM} <= set(overlay.apply_overlay(*tables, tmp_path)[0]["anime_id"])


@pytest.mark.parametrize("break_it, message", [
    (lambda c, t: (c.assign(anime_id=[0, NEW_FILM]), t), "positive integers"),
    (lambda c, t: (c.assign(anime_id=[NEW_TV, NEW_TV]), t), "twice"),
    (lambda c, t: (c.assign(title=["", "x"]), t), "needs a title"),
    (lambda c, t: (c.assign(adult=["maybe", "no"]), t), "adult values"),
    (lambda c, t: (c.assign(extra_column=1), t), "columns differ"),
    (lambda c, t: (c, pd.concat([t, pd.DataFrame([{"anime_id": 7, "kind": "main", "title": "x"}])])), "no overlay row"),
    (lambda c, t: (c, t.assign(kind="zh-Hans")), "title kinds"),
])
def test_an_invalid_overlay_is_refused(tmp_path, rows, break_it, message):
    cat, titles = break_it(rows[0].copy(), rows[1].copy())
    with pytest.raises(overlay.OverlayError, match=message):
        overlay.validate(cat, titles)
    if "columns" not in message:
        with pytest.raises(overlay.OverlayError, match=message):
            overlay.publish(cat, titles, tmp_path, source="test")
    assert not (tmp_path / "current").exists()


def test_a_corrupt_overlay_file_is_not_used(tmp_path, rows):
    overlay.publish(*rows, tmp_path, source="test")
    current = (tmp_path / (tmp_path / "current").read_text().strip()) / overlay.CATALOG_FILE
    current.write_bytes(current.read_bytes()[:-4] + b"xxxx")
    with pytest.raises(overlay.OverlayError, match="checksum"):
        overlay.read(tmp_path)


def test_a_bundled_title_takes_only_counts_score_and_status(tables):
    bundled = tables[0]
    frieren = bundled[bundled["anime_id"] == FRIEREN_2].iloc[0]
    fetched, fetched_titles, _ = media_rows(
        [media(FRIEREN_2, "Renamed By Someone", english="Wrong", popularity=int(frieren["members_latest"]) + 5,
               score=93, status="FINISHED", genres=("Horror",))], bundled)
    fewer, _, _ = media_rows([media(FRIEREN_2, "x", popularity=3, score=None)], bundled)
    cat, titles = overlay.overlay_frames(*tables, fetched, fetched_titles)
    row = cat[cat["anime_id"] == FRIEREN_2].iloc[0]
    assert (row["title"], row["genres"], row["work_id"]) == (frieren["title"], frieren["genres"], frieren["work_id"])
    assert (int(row["members_latest"]), row["score_latest"], row["status"]) == \
        (int(frieren["members_latest"]) + 5, 9.3, "Finished Airing")
    assert len(titles) == len(tables[1])  # no names added to a bundled title
    row = overlay.overlay_frames(*tables, fewer, fetched_titles[:0])[0].query("anime_id == @FRIEREN_2").iloc[0]
    # Another source's smaller count and a missing score leave the bundled figures.
    assert (int(row["members_latest"]), row["score_latest"]) == (int(frieren["members_latest"]), frieren["score_latest"])


def test_refreshes_accumulate_and_a_refetched_title_replaces_its_row(tmp_path, rows):
    cat, titles = rows
    overlay.publish(cat[cat["anime_id"] == NEW_TV], titles[titles["anime_id"] == NEW_TV], tmp_path, source="a")
    prev = overlay.read(tmp_path)
    assert prev is not None
    again, again_titles, _ = media_rows([media(NEW_TV, "Kessoku no Hoshi", popularity=99),
                                         media(NEW_FILM, "Kessoku no Hoshi Movie")], cat[:0].assign(work_id=[]))
    merged, merged_titles = overlay.merge(prev[0], prev[1], again, again_titles)
    overlay.publish(merged, merged_titles, tmp_path, source="b", previous_ids=set(prev[0]["anime_id"]))
    now = overlay.read(tmp_path)
    assert now is not None
    assert list(now[0]["anime_id"]) == [NEW_TV, NEW_FILM]
    assert int(now[0].loc[now[0]["anime_id"] == NEW_TV, "members_latest"].iloc[0]) == 99
    assert (now[1]["anime_id"] == NEW_TV).sum() == (titles["anime_id"] == NEW_TV).sum()
    assert now[2].source == "b"


def test_the_served_catalog_is_the_bundled_one_plus_the_overlay(tmp_path, tables):
    from animerec.recsys.catalog.catalog import Catalog

    steins_gate = 9253
    bundled = Catalog.load().get(steins_gate)
    fetched, fetched_titles, _ = media_rows(
        [media(steins_gate, "Renamed", popularity=bundled.members + 7, score=95),
         media(NEW_TV, "Kessoku no Hoshi", english="Star Bond")], tables[0])
    overlay.publish(fetched, fetched_titles, tmp_path, source="test")
    catalog = overlay.load_catalog(tmp_path)
    updated = catalog.get(steins_gate)
    assert (updated.name, updated.genres) == (bundled.name, bundled.genres)
    assert (updated.members, updated.rating) == (bundled.members + 7, 9.5)
    assert catalog.lookup("star bond").anime.anime_id == NEW_TV
    assert len(catalog) == len(Catalog.load()) + 1
