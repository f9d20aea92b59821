"""The Discord side of the bot: the client and its command tree, the error reply, interaction helpers,
embeds and the heartbeat."""
