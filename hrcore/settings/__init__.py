"""Settings package: ``base`` (environment-driven), ``local`` (embedded default), ``production``, ``test``."""
