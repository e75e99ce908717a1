"""``manage.py reach_sandbox_channels``: point every messaging channel (DingTalk, WeCom, Feishu,
SMS, voice; app messages and group robots) at the sandbox providers (``make run``)."""

import os

from django.core.management.base import BaseCommand

from integrations.reach import sandbox_channels_configure
from integrations.sandbox.app import DEFAULT_TOKEN


class Command(BaseCommand):
    help = "Wire every messaging channel to the sandbox providers (KEEL_SANDBOX_URL)."

    def handle(self, *args, **options):
        count = sandbox_channels_configure(
            sandbox_url=os.environ.get("KEEL_SANDBOX_URL", "http://127.0.0.1:8765"),
            token=os.environ.get("KEEL_SANDBOX_TOKEN", DEFAULT_TOKEN),
            callback_base_secret=os.environ.get(
                "KEEL_SANDBOX_WEBHOOK_SECRET", "sandbox-webhook-secret"
            ),
        )
        self.stdout.write(f"{count} messaging providers point at the sandbox.")
