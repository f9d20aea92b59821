"""The console: the bot's commands in a terminal, as one local member, on the same service layer as Discord."""
