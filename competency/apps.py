from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetencyConfig(AppConfig):
    name = "competency"
    verbose_name = _("Competency and training")

    def ready(self) -> None:
        from . import home_panels

        home_panels.register()
