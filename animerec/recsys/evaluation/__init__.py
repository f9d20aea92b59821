"""Offline evaluation: splits, metrics, protocols, the baselines' figures and the report."""
