"""The portal's HTTP entrypoints: pages for people and the ingestion API for systems."""
