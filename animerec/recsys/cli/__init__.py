"""`python -m animerec.recsys` (`animerec-recsys`): train, evaluate and query from a shell."""
