"""How often title search puts the intended title first, for what members actually type.

Two sets, each scored as top-1 of `Catalog.search(query, 1)`:

* English titles: the English title of each of the ENGLISH_TITLES most popular titles whose English
  title differs from the main name. A hit is that title first, or a more popular title with the same
  English title (normalize_name-equal): "Bakuman." is the English title of the second and third
  seasons of Bakuman. as well as of the first, and the first, the more popular, is the right first answer.
* Fan names: FAN_NAMES, abbreviations and names fans use, each with the MAL id it means, checked
  against the bundled data. Names of titles the 2018 data does not have ("demon slayer" for Kimetsu no
  Yaiba) and two-letter ones the data knows no title by ("tg", "cg") are left out.

Run: python -m animerec.recsys.evaluation.search
"""

from __future__ import annotations

from animerec.recsys.catalog.catalog import Catalog, normalize_name

ENGLISH_TITLES = 500
MISSES_SHOWN = 10

# (what a fan types, the MAL id they mean)
FAN_NAMES: tuple[tuple[str, int], ...] = (
    ("aot", 16498),
    ("snk", 16498),
    ("attack on titan", 16498),
    ("fma", 5114),  # the synonym of 121 and 5114 alike: the more popular is the one meant
    ("fmab", 5114),
    ("fma brotherhood", 5114),
    ("full metal alchemist", 121),
    ("hxh", 136),  # the data's "HxH" is the 1999 series; the 2011 one is "HxH (2011)"
    ("hxh 2011", 11061),
    ("hunter x hunter", 11061),
    ("hunter x hunter 2011", 11061),
    ("your name", 32281),
    ("kimi no na wa", 32281),
    ("the future diary", 10620),
    ("sao", 11757),
    ("opm", 30276),
    ("one punch man", 30276),
    ("dbz", 813),
    ("dbs", 30694),
    ("ttgl", 2001),
    ("gurren lagann", 2001),
    ("nge", 30),
    ("eva", 30),
    ("bnha", 31964),
    ("mha", 31964),
    ("my hero academia", 31964),
    ("dn", 1535),
    ("logh", 820),
    ("ohshc", 853),
    ("konosuba", 30831),
    ("re zero", 31240),
    ("rezero", 31240),
    ("toradora", 4224),
    ("jojo", 14719),
    ("jjba", 14719),
    ("steins gate", 9253),
    ("steinsgate", 9253),
    ("spirited away", 199),
    ("a silent voice", 28851),
    ("your lie in april", 23273),
    ("ngnl", 19815),
    ("oregairu", 14813),
    ("anohana", 9989),
    ("oreimo", 8769),
    ("yyh", 392),
    ("gits", 43),
    ("gto", 245),
    ("ygo", 481),
    ("knb", 11771),
    ("fmp", 71),
    ("code geass", 1575),
    ("madoka", 9756),
    ("mob psycho", 32182),
    ("erased", 31043),
    ("the seven deadly sins", 23755),
)


def _top1(catalog: Catalog, query: str) -> int | None:
    results = catalog.search(query, 1)
    return results[0].anime_id if results else None


def search_accuracy(catalog: Catalog) -> dict:
    """{"english_top1", "english_n", "abbrev_top1", "abbrev_n", "misses"}: the top-1 rates of the two
    sets (see the module docstring) and the first MISSES_SHOWN misses as (query, expected id, got id)."""
    misses: list[tuple[str, int, int | None]] = []  # fan names first: the curated set says more

    fan = [(query, anime_id) for query, anime_id in FAN_NAMES if anime_id in catalog]
    fan_hits = 0
    for query, anime_id in fan:
        got = _top1(catalog, query)
        fan_hits += got == anime_id
        if got != anime_id:
            misses.append((query, anime_id, got))

    english = [(a, a.english) for a in catalog if a.english is not None][:ENGLISH_TITLES]
    english_hits = 0
    for anime, title in english:
        got = _top1(catalog, title)
        top = catalog.get(got) if got is not None else None
        hit = got == anime.anime_id or (
            top is not None
            and top.members > anime.members
            and normalize_name(top.english or top.name) == normalize_name(title)
        )
        english_hits += hit
        if not hit:
            misses.append((title, anime.anime_id, got))

    return {
        "english_top1": english_hits / len(english) if english else 0.0,
        "english_n": len(english),
        "abbrev_top1": fan_hits / len(fan) if fan else 0.0,
        "abbrev_n": len(fan),
        "misses": misses[:MISSES_SHOWN],
    }


if __name__ == "__main__":
    import json

    print(json.dumps(search_accuracy(Catalog.load()), indent=2, ensure_ascii=False))
