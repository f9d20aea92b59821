"""animerec's Discord bot: `python -m bot`, or `from bot import create_bot`."""

from bot.client import create_bot

__all__ = ["create_bot"]
