"""Discord's limits that shape what the bot sends, in one place, clip() to fit text to one, and
plural() for the counts in that text."""

CHOICES = 25  # autocomplete choices, options in a select menu, fields in an embed
CHOICE_NAME = 100  # an autocomplete choice's name, a select option's label, a command option's description
PLACEHOLDER = 150  # a select menu's placeholder
CUSTOM_ID = 100  # a component's custom_id: all a persistent component knows when clicked after a restart
CONTENT = 2000  # a message's text
DISPLAY_NAME = 32  # a member's display name
EMBED_TITLE, EMBED_DESCRIPTION, FIELD_NAME, FIELD_VALUE, EMBED_FOOTER, EMBED_TOTAL = 256, 4096, 256, 1024, 2048, 6000


def clip(text: str, limit: int) -> str:
    """text cut to limit characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(n: int, word: str) -> str:
    """"1 rating", "2 ratings", "1,500 ratings" (words that take an s)."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
