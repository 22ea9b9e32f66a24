"""Organizations, API tokens and who may do what."""
