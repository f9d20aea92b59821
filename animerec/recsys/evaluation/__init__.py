"""Offline evaluation: splits, metrics, the protocols (p80, cold5, /similar, title search), the training
engines compared, and the report (bars, tables, docs/evaluation.md)."""
