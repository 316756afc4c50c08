"""Routes service: individual educational routes (ИОМ) and young-teacher support forms."""
