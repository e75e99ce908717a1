from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HrcoreConfig(AppConfig):
    name = "hrcore"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import (
            checks,  # noqa: F401  registers the settings checks
            signals,
        )
        from .models import Absence, Employee, OrgUnit, Position

        for model in (OrgUnit, Position, Employee, Absence):
            auditlog.register(model)
        signals.connect()
