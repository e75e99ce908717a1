from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetencyConfig(AppConfig):
    name = "competency"
    verbose_name = _("Competency and training")

    def ready(self) -> None:
        from crisis.hooks import closure_recognition_register

        from .hooks import CrisisClosureRecognition

        # Crisis closure feeds stars and review findings here (crisis does not import this app).
        closure_recognition_register(CrisisClosureRecognition())

        from . import home_panels

        home_panels.register()
