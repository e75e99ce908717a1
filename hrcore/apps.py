from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HrcoreConfig(AppConfig):
    name = "hrcore"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .forms_json import install

        install()  # hrcore is the first app: this runs before the admin's autodiscover

        from . import (
            checks,  # noqa: F401  registers the settings checks
            signals,
        )
        from .models import Absence, BusinessCalendar, Employee, Holiday, OrgUnit, Position

        for model in (OrgUnit, Position, Employee, Absence, BusinessCalendar, Holiday):
            auditlog.register(model)
        signals.connect()
        from .services.notifications import deliver_email, email_message_id
        from .services.outbox import (
            FAN_OUT_CHANNEL,
            deliver_fan_out,
            ledgered,
            register_outbox_handler,
        )

        register_outbox_handler("email", ledgered(deliver_email, delivery_id=email_message_id))
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
