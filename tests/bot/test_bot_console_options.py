"""The console's option parsing: values as people type them."""

import pytest

from animerec.bot.console.console import RECOMMEND_OPTIONS, SIMILAR_OPTIONS, split_options
from animerec.bot.service import UserError


@pytest.mark.parametrize("text, keys, expected", [
    ("genre=Slice of Life count=5", RECOMMEND_OPTIONS, ("", {"genre": "Slice of Life", "count": "5"})),
    ('genre="Slice of Life"', RECOMMEND_OPTIONS, ("", {"genre": "Slice of Life"})),
    ("Steins;Gate count=3 type=TV", SIMILAR_OPTIONS, ("Steins;Gate", {"count": "3", "type": "TV"})),
    ("Fullmetal Alchemist: Brotherhood genre=Action", SIMILAR_OPTIONS,
     ("Fullmetal Alchemist: Brotherhood", {"genre": "Action"})),
    ("Loups=Garous", SIMILAR_OPTIONS, ("Loups=Garous", {})),
    ("Loups=Garous count=2", SIMILAR_OPTIONS, ("Loups=Garous", {"count": "2"})),
    ("'Steins;Gate' GENRE=Sci-Fi", SIMILAR_OPTIONS, ("Steins;Gate", {"genre": "Sci-Fi"})),
    ("discover=yes", RECOMMEND_OPTIONS, ("", {"discover": "yes"})),
])
def test_options_run_to_the_next_key_and_titles_keep_their_equals_signs(text, keys, expected):
    assert split_options(text, keys) == expected


@pytest.mark.parametrize("text, message", [
    ("count=3 count=4", "count= is given twice"),
    ("genre= count=3", "genre= needs a value"),
])
def test_options_that_cannot_be_parsed_say_why(text, message):
    with pytest.raises(UserError, match=message):
        split_options(text, RECOMMEND_OPTIONS)
