"""Models of the crisis app."""
