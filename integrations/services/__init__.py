"""Every write of the integrations app, one module per concern (see each module's docstring)."""
