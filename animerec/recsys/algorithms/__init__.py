"""The scorers behind the model: ALS (numba, or Spark), item-item, the /similar embeddings and their Annoy index."""
