"""The portal: the platform's face for people (pages, documents, uploads) and an HTTP
ingestion API for systems that cannot speak Kafka. A read side over the indicators
service and its aggregate feed, and a publishing system of its own for what people send."""
