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
        from hrcore.services.performance import PERFORMANCE_CHANNEL, performance_puller_register

        from .services import performance

        # Performance events to the performance/OKR partner (issue 17 §1), through the ledger;
        # goals and reviews pulled back by HR's refresh button.
        register_outbox_handler(
            PERFORMANCE_CHANNEL,
            ledgered(
                performance.performance_event_deliver,
                delivery_id=performance.performance_delivery_id,
            ),
        )
        performance_puller_register(performance.performance_pull)
        from . import person_sections, reach

        reach.install()  # crisis messages reach people over the messaging providers
        person_sections.register()  # customers, complaints, commissions on a person's page
        from crisis.dossier_hooks import dossier_snapshots_register

        from .dossier_snapshots import crisis_dossier_snapshots

        # A crisis replayed as training shows the dossier as it arrived (competency reads it).
        dossier_snapshots_register(crisis_dossier_snapshots)
        # Commissions can be disputed through employee self-service (hrcore).
        from . import score_refs

        score_refs.register()
