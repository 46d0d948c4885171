"""Work4Life reporting: a pseudonymous read model built only from events, and the indicators."""
