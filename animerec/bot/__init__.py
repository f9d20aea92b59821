"""animerec's Discord bot: `python -m animerec.bot`, or `from animerec.bot import create_bot`."""

from animerec.bot.app.client import create_bot

__all__ = ["create_bot"]
