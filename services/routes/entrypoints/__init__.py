"""Entrypoints of the routes service (the composition root)."""
