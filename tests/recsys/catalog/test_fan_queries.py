"""The bars on resolving titles as fans type them (fan_queries.csv, described in fan_queries.README.md).

A rating is stored on what resolve_choice returns, so a wrong resolution is a wrong rating stored
silently: none is allowed. Of the rows with an id, at least 97% must resolve to it; the rest must
resolve to nothing (the member then picks among hints).
"""

import csv
from pathlib import Path

import pytest

from animerec.recsys.catalog.catalog import Catalog

FAN_QUERIES = Path(__file__).with_name("fan_queries.csv")
TOP1_BAR = 0.97


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[dict[str, str], int | None]]:
    catalog = Catalog.load()
    with FAN_QUERIES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    resolved = [catalog.resolve_choice(row["query"]) for row in rows]
    return [(row, None if r is None else r.anime.anime_id) for row, r in zip(rows, resolved)]


def expected(row: dict[str, str]) -> int | None:
    return int(row["expected_anime_id"]) if row["expected_anime_id"] else None


def test_the_set_is_the_one_described(outcomes):
    assert len(outcomes) == 441
    assert sum(expected(row) is not None for row, _ in outcomes) == 370


def test_no_silent_wrong_resolution(outcomes):
    wrong = [(row["query"], expected(row), got) for row, got in outcomes if got is not None and got != expected(row)]
    assert wrong == []


def test_top1_bar(outcomes):
    with_id = [(row, got) for row, got in outcomes if expected(row) is not None]
    right = sum(got == expected(row) for row, got in with_id)
    missed = [row["query"] for row, got in with_id if got != expected(row)]
    assert right / len(with_id) >= TOP1_BAR, missed
