"""The calendar's anime seasons: which one a day falls in, and its name (SEASONS, their order, is the catalog's)."""

from __future__ import annotations

from datetime import date

from animerec.recsys.catalog.catalog import SEASONS


def season_of(day: date) -> tuple[int, str]:
    """(year, season) airing on a day: winter is January to March, and so on."""
    return day.year, SEASONS[(day.month - 1) // 3]


def season_name(year: int, season: str) -> str:
    """(2026, "fall") -> "Fall 2026"."""
    return f"{season.capitalize()} {year}"
