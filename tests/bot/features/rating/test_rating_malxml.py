"""The MyAnimeList export parser (features/rating/malxml.py) on its own: an export in, entries (or one
reason it is refused) out."""

import gzip

import pytest

from animerec.bot.features.rating.malxml import MAX_BYTES, MalEntry, MalImportError, parse_mal_export
from botkit import mal_export


def test_entries_come_out_with_score_and_lowercased_status():
    data = mal_export((9253, 9, "Completed"), (1, 0, "Plan to Watch"), (5114, 10, "Watching"))
    assert parse_mal_export(data) == ([MalEntry(9253, "t9253", 9, "completed"), MalEntry(1, "t1", 0, "plan to watch"),
                                       MalEntry(5114, "t5114", 10, "watching")], 0)


def test_a_gzipped_export_reads_the_same():
    data = mal_export((9253, 9, "Completed"))
    assert parse_mal_export(gzip.compress(data)) == parse_mal_export(data)


def test_malformed_entries_are_counted_and_the_rest_kept():
    bad = ("<anime><series_animedb_id>x</series_animedb_id><my_score>5</my_score></anime>"  # id not a number
           "<anime><series_animedb_id>7</series_animedb_id><my_score>11</my_score></anime>"  # score over 10
           "<anime><series_animedb_id>1234567890</series_animedb_id></anime>"  # id too long
           "<anime><series_animedb_id>8</series_animedb_id><my_score>-1</my_score></anime>"  # negative score
           "<anime><series_animedb_id>0</series_animedb_id><my_score>6</my_score></anime>")  # no MAL id is 0
    entries, malformed = parse_mal_export(mal_export((1, 7, "Dropped"), extra=bad))
    assert entries == [MalEntry(1, "t1", 7, "dropped")] and malformed == 5
    assert parse_mal_export(mal_export(extra="<anime><series_animedb_id>3</series_animedb_id></anime>")) == (
        [MalEntry(3, "", 0, "")], 0)  # no score is 0, no status is ""


@pytest.mark.parametrize(("data", "reason"), [
    (b"<myanimelist></myanimelist>", "^the export lists no anime$"),
    (b"<html><body>login</body></html>", r"^this is not a MyAnimeList export \(it starts with <html>\)$"),
    (b"<myanimelist><anime>", r"^the file is not well-formed XML \(line 1, column 20\)$"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><myanimelist/>', "declares a DTD or entities"),
    (b'<?xml version="1.0" encoding="x-bogus"?><myanimelist/>', "declares a text encoding I cannot read"),
    (b"\x1f\x8bnot really gzip", "^the file looks gzipped but cannot be decompressed$"),
    (b" " * (MAX_BYTES + 1), r"^the file is larger than 5 MB \(about 6,000 titles\), more than I can take$"),
    (gzip.compress(b" " * (MAX_BYTES + 1)), "^the export is larger than 5 MB once decompressed"),
    (b"", "^the file is empty: export your list at myanimelist.net/panel.php"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "^that is not an XML file: a MyAnimeList export is the .xml.gz"),
    (b"anime_id,score\n5114,10\n", "^that is not an XML file"),
    # Saved again as Windows-1252 with no encoding declared: the bytes are the trouble, not the XML.
    ("<myanimelist><anime><series_title>Pokémon</series_title></anime></myanimelist>".encode("cp1252"),
     "^the file is not UTF-8 text"),
])
def test_a_file_that_cannot_be_imported_says_why(data, reason):
    with pytest.raises(MalImportError, match=reason):
        parse_mal_export(data)
