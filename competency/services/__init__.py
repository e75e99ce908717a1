"""Every write of the competency app, one module per concern (see each module's docstring)."""
