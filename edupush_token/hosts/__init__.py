"""One adapter per host server; each is the only code that imports its host."""
