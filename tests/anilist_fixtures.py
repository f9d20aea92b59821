"""AniList answers in the shape its GraphQL API documents (https://docs.anilist.co): a Page with
pageInfo and media, each media with the fields the refresh queries."""

from __future__ import annotations

import json
from pathlib import Path

# Ids the bundled catalog does not have (checked in test_catalog_update.py).
NEW_TV, NEW_FILM = 60_000, 60_001
FRIEREN_2 = 59_978  # bundled: Sousou no Frieren 2nd Season


def media(mal: int | None, romaji: str, *, english: str | None = None, native: str | None = None,
          synonyms: tuple[str, ...] = (), fmt: str = "TV", season: str = "FALL", year: int = 2026,
          popularity: int = 1000, score: int | None = 75, adult: bool = False, genres: tuple[str, ...] = ("Action",),
          tags: tuple[tuple[str, int], ...] = (), relations: tuple[tuple[str, int], ...] = (),
          status: str = "RELEASING") -> dict:
    return {
        "id": 900_000 + (mal or 0), "idMal": mal,
        "title": {"romaji": romaji, "english": english, "native": native},
        "synonyms": list(synonyms), "format": fmt, "episodes": 12, "status": status,
        "startDate": {"year": year, "month": 10, "day": 4}, "endDate": {"year": None, "month": None, "day": None},
        "season": season, "seasonYear": year, "genres": list(genres),
        "tags": [{"name": n, "rank": r, "isAdult": False} for n, r in tags],
        "popularity": popularity, "averageScore": score, "isAdult": adult, "source": "MANGA",
        "studios": {"nodes": [{"name": "Studio Test"}]},
        "relations": {"edges": [{"relationType": t, "node": {"idMal": i, "type": "ANIME"}} for t, i in relations]},
    }


def page(*items: dict, has_next: bool = False, current: int = 1) -> dict:
    return {"data": {"Page": {"pageInfo": {"currentPage": current, "hasNextPage": has_next}, "media": list(items)}}}


def write(path: Path, *answers: dict) -> Path:
    path.write_text(json.dumps(list(answers)), encoding="utf-8")
    return path
