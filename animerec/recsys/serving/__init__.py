"""What members see: the served model with its fan rules, /similar, and groups."""
