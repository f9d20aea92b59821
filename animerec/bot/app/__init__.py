"""The Discord side of the bot: the client and its command tree, interaction helpers, embeds,
Discord's limits and the heartbeat."""
