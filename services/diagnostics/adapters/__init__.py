"""Adapters of the diagnostics service: MongoDB documents and the repository over them."""
