"""One package per feature, as python-discord/bot keeps one per extension: its service (rules, no
Discord types), its cog (parse, call, render) and what it draws."""
