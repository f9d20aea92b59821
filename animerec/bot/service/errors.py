"""What the service raises at a member, and how any error reads to them."""

from __future__ import annotations

from animerec.bot.store import StoreBusy
from animerec.recsys.catalog.catalog import UnknownFilter

SOMETHING_WENT_WRONG = "Something went wrong on my side; it has been logged. Please try again."


class UserError(Exception):
    """Something the member can fix; str(error) is the message to show them."""


class WarmingUp(UserError):
    pass


def member_message(error: BaseException) -> str | None:
    """What to tell a member about an error the service raised, on Discord and in the console alike:
    the message of their own mistake or of an expected condition; None for a bug (log it, then say
    SOMETHING_WENT_WRONG)."""
    if isinstance(error, UserError | UnknownFilter):  # recsys words an unknown genre or type for members
        return str(error)
    if isinstance(error, StoreBusy):
        return "My database is busy right now; please try again in a moment. Nothing was lost."
    return None
