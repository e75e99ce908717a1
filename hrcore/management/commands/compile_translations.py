"""Compile every .po file (project and apps) to .mo with polib: no GNU gettext needed."""

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogs() -> list[Path]:
    roots = [Path(p) for p in settings.LOCALE_PATHS]
    roots += [
        Path(cfg.path) / "locale"
        for cfg in apps.get_app_configs()
        if Path(cfg.path).parent == Path(settings.BASE_DIR)  # Keel's own apps, not site-packages
    ]
    return sorted({po for root in roots if root.is_dir() for po in root.glob("*/LC_MESSAGES/*.po")})


class Command(BaseCommand):
    help = "Compile the translation catalogs (.po → .mo)."

    def handle(self, *args, **options):
        for po_path in catalogs():
            catalog = polib.pofile(str(po_path))
            catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
            self.stdout.write(
                f"{po_path.relative_to(settings.BASE_DIR)}: {len(catalog.translated_entries())} messages"
            )
