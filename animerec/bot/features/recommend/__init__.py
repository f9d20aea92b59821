"""/recommend: picks folded in on the member's ratings, after the fan rules."""
