"""animerec: a Discord bot that recommends anime with collaborative filtering.

Two parts: `animerec.recsys`, the recommender (a plain library), and `animerec.bot`, the Discord glue."""
