"""Models of the responsibilities app."""
