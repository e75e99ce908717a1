"""Issue a bearer token for a user; the token is printed on the last line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from hrcore.api.permissions import SCOPES
from hrcore.errors import ValidationFailed
from hrcore.services.tokens import api_token_issue


class Command(BaseCommand):
    help = (
        "Print a new API token for <username> on the last line. --scopes read,write restricts it; "
        "it expires after --expires-days (default 90)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scopes", default="", help=f"comma-separated, from: {', '.join(SCOPES)}, *"
        )
        parser.add_argument("--name", default="")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args, username, scopes, name, expires_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        try:
            token, key = api_token_issue(
                user=user, scopes=wanted, name=name, expires_in_days=expires_days
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message)
        self.stderr.write(
            f"Token {token.prefix}… for {username}, scopes: {', '.join(token.scopes) or 'all'}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}"
        )
        self.stdout.write(key)
