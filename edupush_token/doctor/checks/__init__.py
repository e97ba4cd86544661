"""The doctor's checks, one module per area; each check returns a list of findings."""
