"""Event payloads and event classes, one module per bounded context."""
