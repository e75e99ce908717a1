from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from hrcore.services import register_outbox_handler

        from . import services

        register_outbox_handler("event", services.event_fan_out)
        register_outbox_handler(services.WEBHOOK_CHANNEL, services.webhook_deliver)
