"""The portal's I/O: the indicators HTTP API, the aggregate feed, accounts, documents, Kafka."""
