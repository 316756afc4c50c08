"""Entry points of the diagnostics service (the composition root)."""
