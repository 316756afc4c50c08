"""MongoDB / FerretDB adapters of the indicators service's repositories."""
