"""E-mail as a channel (``smtp``): through Django's mail backend, so the SMTP host, port, user,
password and TLS are the deployment's ``EMAIL_*`` settings (and tests use the locmem backend).

The Message-ID is derived from the ledger row's idempotency key: every retry of one message
carries the same one, so mail systems that dedupe on it show it once. Timeouts are the
backend's (``EMAIL_TIMEOUT``); transient SMTP failures are retried a few times with backoff
inside the partner's circuit breaker, refused recipients are permanent.
"""

from __future__ import annotations

import hashlib
import smtplib

import pybreaker
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from .base import CircuitOpen, PermanentError, TransientError, breaker_for, register
from .messaging import ChannelAdapter, ChannelMessage, SendReceipt


def message_id_for(key: str, domain: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.keel@{domain or 'keel.local'}>"


@register("channel", "smtp")
class SmtpChannelAdapter(ChannelAdapter):
    channel = "email"
    dedupes = True  # the Message-ID

    def _send_once(self, message: ChannelMessage, message_id: str) -> None:
        from django.core.mail import EmailMessage

        body = message.text
        if message.link:
            body += f"\n\n{message.link_label or ''} {message.link}".rstrip()
        try:
            EmailMessage(
                subject=" ".join(f"[Keel] {message.title}".split()),  # one line
                body=body,
                to=[message.to],
                headers={"Message-ID": message_id},
            ).send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"the mail server refused {message.to!r}") from exc
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as exc:
            raise PermanentError(f"the mail server refused our login: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"mail server unreachable or busy: {exc}") from exc

    def send(self, message: ChannelMessage) -> SendReceipt:
        if "@" not in (message.to or ""):
            raise PermanentError(f"not an e-mail address: {message.to!r}")
        from django.conf import settings

        domain = (settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "keel.local").strip("> ")
        message_id = message_id_for(message.idempotency_key or message.to + message.title, domain)
        breaker = breaker_for(self.config)

        def attempt() -> None:
            try:
                breaker.call(self._send_once, message, message_id)
            except pybreaker.CircuitBreakerError as exc:
                raise CircuitOpen("mail server circuit open after repeated failures") from exc

        for step in Retrying(
            stop=stop_after_attempt(max(1, self.config.max_attempts)),
            wait=wait_exponential(multiplier=self.config.backoff_seconds, max=5),
            retry=retry_if_exception(
                lambda e: isinstance(e, TransientError) and not isinstance(e, CircuitOpen)
            ),
            reraise=True,
        ):
            with step:
                attempt()
        return SendReceipt(provider_message_id=message_id)
