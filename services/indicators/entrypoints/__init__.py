"""Entry points of the indicators service: `app.build()` is the composition root."""
