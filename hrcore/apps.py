from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HrcoreConfig(AppConfig):
    name = "hrcore"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .forms_json import install

        install()  # hrcore is the first app: this runs before the admin's autodiscover

        from django.db.backends.signals import connection_created

        from . import (
            checks,  # noqa: F401  registers the settings checks
            pg_types,
            signals,
        )

        # PostgreSQL: timestamps parsed by psycopg's C loader, not Django's Python one.
        connection_created.connect(pg_types.install, dispatch_uid="hrcore.pg_types")
        from .models import (
            Absence,
            AnswerWindow,
            BusinessCalendar,
            Employee,
            Holiday,
            OrgUnit,
            Position,
            Question,
        )

        for model in (
            OrgUnit,
            Position,
            Employee,
            Absence,
            BusinessCalendar,
            Holiday,
            AnswerWindow,
            Question,
        ):
            auditlog.register(model)
        signals.connect()
        from . import person_sections

        person_sections.register()  # the performance section of a person's page
        from . import performance_score_refs

        performance_score_refs.register()  # performance events can be disputed (self-service)
        from .reach_email import email_reached
        from .services.notifications import deliver_email, email_message_id
        from .services.outbox import (
            FAN_OUT_CHANNEL,
            OUTBOX_MAX_ATTEMPTS,
            deliver_fan_out,
            ledgered,
            register_outbox_handler,
        )

        # Crisis e-mails are also rows of the reach ledger (channel "email").
        register_outbox_handler(
            "email",
            ledgered(
                email_reached(deliver_email, max_attempts=OUTBOX_MAX_ATTEMPTS),
                delivery_id=email_message_id,
            ),
        )
        register_outbox_handler(FAN_OUT_CHANNEL, deliver_fan_out)
        # Every app's notification kinds (``<app>/notifications.py``), rendered at read time.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("notifications")
        # Role changes (roles are Django groups) and the account flags that grant power are
        # audited with actor, time and what changed; never the password hash.
        from django.contrib.auth import get_user_model

        auditlog.register(
            get_user_model(),
            include_fields=["username", "email", "is_active", "is_staff", "is_superuser"],
            m2m_fields={"groups"},
        )
