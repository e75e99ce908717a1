"""``manage.py reencrypt_credentials``: re-encrypt partner credentials with the current key."""

from django.core.management.base import BaseCommand, CommandError

from integrations.services import credentials


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored partner credential (API tokens, webhook and subscription "
        "secrets) with the current SECRET_KEY. Run it after moving the old key into "
        "DJANGO_SECRET_KEY_FALLBACKS; then the old key can be dropped."
    )

    def handle(self, *args, **options):
        report = credentials.credentials_reencrypt()
        self.stdout.write(
            f"re-encrypted {report.reencrypted}, already current {report.current}, "
            f"unreadable {len(report.unreadable)}"
        )
        if report.unreadable:
            for line in report.unreadable:
                self.stderr.write(f"cannot decrypt: {line}")
            raise CommandError(
                "Some credentials cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS: "
                "add the key they were written with to DJANGO_SECRET_KEY_FALLBACKS, or enter "
                "them again in the admin."
            )
