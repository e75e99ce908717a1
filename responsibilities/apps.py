from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponsibilitiesConfig(AppConfig):
    name = "responsibilities"
    verbose_name = _("Responsibility maps")

    def ready(self) -> None:
        from . import home_panels, signals

        home_panels.register()
        signals.connect()
