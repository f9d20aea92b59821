"""/admin and /stats: retraining on demand and what the bot is serving."""
