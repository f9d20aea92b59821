"""The error reply every command, view and tree shares: a private line for the member, the traceback
of anything unexpected in the log."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from animerec.bot import limits
from animerec.bot.limits import clip
from animerec.bot.service import SOMETHING_WENT_WRONG, member_message

log = logging.getLogger(__name__)
PUBLIC_DEFER = "public_defer"  # interaction.extras key: the "thinking…" placeholder is public


def user_message(error: BaseException) -> str | None:
    """The message for the member when the error is theirs or expected; None for a bug."""
    original = getattr(error, "original", error)  # CommandInvokeError wraps what the callback raised
    if (message := member_message(original)) is not None:
        return message
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission for that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That only works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that here."
    return None


async def report_error(interaction: discord.Interaction, error: BaseException,
                       view: discord.ui.View | None = None) -> None:
    """Tell the member something useful, privately, with the view to act on it if any ("did you mean" choices);
    log the traceback of anything unexpected."""
    message = user_message(error)
    if message is None:
        where = interaction.command.qualified_name if interaction.command else \
            interaction.data.get("custom_id") if interaction.data else None
        log.error("interaction %s failed", where, exc_info=getattr(error, "original", error))
        message = SOMETHING_WENT_WRONG
    message = clip(message, limits.CONTENT)
    with_view: dict = {} if view is None else {"view": view}
    try:
        if interaction.response.is_done():
            if interaction.extras.get(PUBLIC_DEFER):
                # A first followup would only complete the public placeholder (its visibility is fixed
                # at the defer), and one after deleting it is refused: complete it with a neutral line,
                # answer in a new private followup, then delete the placeholder.
                await interaction.edit_original_response(content="(no result)")
                await interaction.followup.send(message, ephemeral=True, **with_view)
                await interaction.delete_original_response()
            else:
                await interaction.followup.send(message, ephemeral=True, **with_view)
        else:
            await interaction.response.send_message(message, ephemeral=True, **with_view)
    except discord.HTTPException:
        log.warning("could not deliver an error reply for interaction %s", interaction.id, exc_info=True)
