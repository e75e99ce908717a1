"""Models of the competency app."""
