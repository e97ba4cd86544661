class WireError(ValueError):
    """A request or value that does not follow the eduPUSH wire format."""
