"""/watchparty: one list for a group, and its persistent vote."""
