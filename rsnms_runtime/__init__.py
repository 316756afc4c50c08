"""The small common runtime every service shares: settings, logging, telemetry,
Kafka and MongoDB plumbing, the dead-letter path and the health/metrics endpoint.
It holds no domain rule; services own those."""
