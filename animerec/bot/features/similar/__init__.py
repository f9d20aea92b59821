"""/similar: a title's neighbours from the Annoy index."""
