"""Test data shared by the bot tests."""

# Well-known MAL ids of the bundled catalog.
STEINS_GATE, COWBOY_BEBOP, FMA_BROTHERHOOD, DEATH_NOTE, CODE_GEASS = 9253, 1, 5114, 1535, 1575


def mal_export(*entries: tuple[int, int, str], extra: str = "") -> bytes:
    """A MyAnimeList export with (anime_id, score, status) entries."""
    body = "".join(
        f"<anime><series_animedb_id>{a}</series_animedb_id><series_title><![CDATA[t{a}]]></series_title>"
        f"<my_score>{score}</my_score><my_status>{status}</my_status></anime>"
        for a, score, status in entries
    )
    return (f'<?xml version="1.0" encoding="UTF-8" ?><myanimelist><myinfo><user_name>me</user_name></myinfo>'
            f"{body}{extra}</myanimelist>").encode()


class Clock:
    """A clock moved by hand, for cooldowns: calling it gives the time, `now += 60` moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
