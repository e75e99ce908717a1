"""Create the demo group and every app's demo data (idempotent; refused in production)."""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Order matters: later apps build on the organisation and the maps.
DEMO_APPS = ["hrcore", "responsibilities", "integrations", "crisis", "competency"]


class Command(BaseCommand):
    help = "Load the Demo Group, its accounts (password keel-demo) and every app's demo data."

    def handle(self, *args, **options):
        if not getattr(settings, "KEEL_DEMO_ALLOWED", False):
            raise CommandError(
                "seed_demo refuses to run with production settings: demo accounts are never created there."
            )
        for label in DEMO_APPS:
            if not apps.is_installed(label):
                continue
            try:
                module = importlib.import_module(f"{label}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{label}.demo":
                    raise
                continue
            with transaction.atomic():
                summary = module.seed()
            self.stdout.write(f"{label}: {summary}")
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Every demo account's password is keel-demo.")
        )
