"""Settings invariants checked at startup (``manage.py check``, runserver, gunicorn via Django).

keel.E001: every outbox channel's worst-case send time is shorter than the outbox lease. A
relay claims a message for ``KEEL_OUTBOX_LEASE_SECONDS``; a send still hanging when the lease
runs out is claimed and sent again by another relay — the same e-mail or webhook twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

# Round trips one send may wait on, each bounded by the channel's timeout: SMTP connect,
# EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA, QUIT; httpx connect, write, read, pool.
SMTP_OPERATIONS = 8
HTTP_OPERATIONS = 4


def channel_worst_cases() -> dict[str, float | None]:
    """Worst-case seconds per channel (None: unbounded)."""
    email_timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    webhook_timeout = getattr(settings, "KEEL_WEBHOOK_TIMEOUT_SECONDS", None)
    return {
        "email (EMAIL_TIMEOUT)": None if email_timeout is None else email_timeout * SMTP_OPERATIONS,
        "webhook (KEEL_WEBHOOK_TIMEOUT_SECONDS)": (
            None if webhook_timeout is None else webhook_timeout * HTTP_OPERATIONS
        ),
    }


@register()
def channel_timeouts_below_lease(app_configs, **kwargs) -> list[Error]:
    lease = float(settings.KEEL_OUTBOX_LEASE_SECONDS)
    errors = []
    for channel, worst in channel_worst_cases().items():
        if worst is None or worst >= lease:
            errors.append(
                Error(
                    f"{channel}: a send may take "
                    f"{'forever' if worst is None else f'{worst:g} s'}, not less than the "
                    f"outbox lease of {lease:g} s (KEEL_OUTBOX_LEASE_SECONDS): a hung send "
                    "would be delivered twice.",
                    hint="Set the channel's timeout so that the worst case (timeout × round "
                    "trips) stays below the lease, or lengthen the lease.",
                    id="keel.E001",
                )
            )
    return errors
