from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HrcoreConfig(AppConfig):
    name = "hrcore"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .forms_json import install

        install()  # hrcore is the first app: this runs before the admin's autodiscover

        from .models import Absence, Employee, OrgUnit, Position

        for model in (OrgUnit, Position, Employee, Absence):
            auditlog.register(model)
