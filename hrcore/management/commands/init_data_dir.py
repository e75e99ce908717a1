"""Create the embedded default's data folder: the folder itself, the filesystem broker's folders,
the static root and the generated secret key (idempotent; `make run` runs it first).

Importing settings writes nothing; this explicit step does the writing once.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create KEEL_DATA_DIR, the broker folders and a secret key file if missing (idempotent)."
    requires_system_checks: list[str] = []

    def handle(self, *args, **options):
        data_dir = Path(settings.DATA_DIR)
        folders = [data_dir, Path(settings.STATIC_ROOT)]
        if settings.CELERY_BROKER_URL.startswith(("filesystem", "keelfs")):
            options_ = settings.CELERY_BROKER_TRANSPORT_OPTIONS
            folders += [
                Path(options_[name])
                for name in (
                    "data_folder_in",
                    "data_folder_out",
                    "processed_folder",
                    "control_folder",
                )
            ]
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        key_file = Path(settings.SECRET_KEY_FILE)
        try:
            # O_EXCL: two first runs at once cannot overwrite each other's key.
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            self.stdout.write(f"{data_dir}: ready (secret key kept)")
            return
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        self.stdout.write(f"{data_dir}: ready (secret key generated in {key_file})")
