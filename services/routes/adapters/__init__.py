"""Adapters of the routes service: MongoDB store, competency titles."""
