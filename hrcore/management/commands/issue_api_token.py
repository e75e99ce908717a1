"""Issue a bearer token for a user; the token is printed on the last line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from hrcore.services import api_token_issue

SCOPES = {"read", "write", "crisis:file", "webhooks", "evidence:write", "*"}


class Command(BaseCommand):
    help = (
        "Print a new API token for <username> on the last line. --scopes read,write restricts it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scopes", default="", help=f"comma-separated, from: {', '.join(sorted(SCOPES))}"
        )
        parser.add_argument("--name", default="")

    def handle(self, *args, username, scopes, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = set(wanted) - SCOPES
        if unknown:
            raise CommandError(
                f"Unknown scope(s): {', '.join(sorted(unknown))}. Known: {', '.join(sorted(SCOPES))}."
            )
        token, key = api_token_issue(user=user, scopes=wanted, name=name)
        self.stderr.write(
            f"Token {token.prefix}… for {username}, scopes: {', '.join(token.scopes) or 'all'}"
        )
        self.stdout.write(key)
