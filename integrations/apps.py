from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from hrcore.services.outbox import ledgered, register_outbox_handler

        from .services import webhooks_outbound

        register_outbox_handler("event", webhooks_outbound.event_fan_out)
        # The delivery ledger recognises retries; the delivery id (fixed when the outbox row is
        # written, sent in the signed delivery-id header) lets the subscriber dedupe them.
        register_outbox_handler(
            webhooks_outbound.WEBHOOK_CHANNEL,
            ledgered(
                webhooks_outbound.webhook_deliver, delivery_id=lambda m: m.payload["delivery_id"]
            ),
        )
        from . import reach

        reach.install()  # crisis messages reach people over the messaging providers
        # Commissions can be disputed through employee self-service (hrcore).
        from . import score_refs

        score_refs.register()
