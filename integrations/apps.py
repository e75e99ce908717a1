from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from hrcore.services import ledgered, register_outbox_handler

        from . import services

        register_outbox_handler("event", services.event_fan_out)
        # The delivery ledger recognises retries; the delivery id (fixed when the outbox row is
        # written, sent in the signed delivery-id header) lets the subscriber dedupe them.
        register_outbox_handler(
            services.WEBHOOK_CHANNEL,
            ledgered(services.webhook_deliver, delivery_id=lambda m: m.payload["delivery_id"]),
        )
        from . import reach

        reach.install()  # crisis messages reach people over the messaging providers
