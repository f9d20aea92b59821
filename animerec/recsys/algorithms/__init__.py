"""The scorers behind the model: ALS (numba, or Spark), item-item, the /similar embeddings and their Annoy
index; and the baselines the evaluation measures the model against."""
