"""What the service raises at a member, and how any error reads to them."""

from __future__ import annotations

from animerec.bot.store import StoreBusy
from animerec.recsys.catalog.catalog import Anime, UnknownFilter

SOMETHING_WENT_WRONG = "Something went wrong on my side; it has been logged. Please try again."


class UserError(Exception):
    """Something the member can fix; str(error) is the message to show them."""


class WarmingUp(UserError):
    pass


class TitleChoice(UserError):
    """Free text that names no title clearly, with the titles it may mean: nothing was done, and each
    front end offers the candidates as choices that redo the command on the one picked (`text` is the
    title as it was given, to be replaced by the pick)."""

    def __init__(self, heading: str, text: str, candidates: tuple[Anime, ...]) -> None:
        super().__init__(f"{heading} Did you mean: {'; '.join(a.name for a in candidates)}?")
        self.heading = heading  # the message without the candidates, for a front end that lists them itself
        self.text = text
        self.candidates = candidates


def member_message(error: BaseException) -> str | None:
    """What to tell a member about an error the service raised, on Discord and in the console alike:
    the message of their own mistake or of an expected condition; None for a bug (log it, then say
    SOMETHING_WENT_WRONG)."""
    if isinstance(error, UserError | UnknownFilter):  # recsys words an unknown genre or type for members
        return str(error)
    if isinstance(error, StoreBusy):
        return "My database is busy right now; please try again in a moment. Nothing was lost."
    return None
