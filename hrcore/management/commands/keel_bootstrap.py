"""Day one of a real installation: install the standard library and the first HR admin.

Safe in production and idempotent: it creates no demo person, never overwrites what the group has
changed (adapted maps, tuned trigger rules, edited positions) and can be re-run after an upgrade
to install what a newer library adds. See README "Deploy" and docs/settings.md.
"""

from __future__ import annotations

import getpass
import importlib
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hrcore import library
from hrcore.errors import KeelError

PASSWORD_ENV = "KEEL_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = (
        "Install the standard library (positions, scenarios with published maps, trigger rules, "
        "the competency framework and simulations) and create the first HR admin, who enrols "
        f"TOTP at first log-in. The password comes from ${PASSWORD_ENV} or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--admin-username", default=os.environ.get("KEEL_ADMIN_USERNAME", ""))
        parser.add_argument("--admin-email", default=os.environ.get("KEEL_ADMIN_EMAIL", ""))
        parser.add_argument("--admin-name-zh", default=os.environ.get("KEEL_ADMIN_NAME_ZH", ""))
        parser.add_argument("--admin-name-en", default=os.environ.get("KEEL_ADMIN_NAME_EN", ""))
        parser.add_argument("--group-code", default=os.environ.get("KEEL_GROUP_CODE", "group"))
        parser.add_argument("--group-name-zh", default=os.environ.get("KEEL_GROUP_NAME_ZH", "集团"))
        parser.add_argument(
            "--group-name-en", default=os.environ.get("KEEL_GROUP_NAME_EN", "Group")
        )
        parser.add_argument(
            "--no-input", action="store_true", help="never prompt (fail if a value is missing)"
        )

    def _password(self, username: str, no_input: bool) -> str | None:
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(username=username).exists():
            return None  # an existing account keeps its password
        password = os.environ.get("KEEL_ADMIN_PASSWORD", "")
        if password:
            return password
        if no_input or not sys.stdin.isatty():
            raise CommandError(
                f"Set {PASSWORD_ENV} (or run interactively) to give the new HR admin a password."
            )
        first = getpass.getpass(f"Password for {username}: ")
        if first != getpass.getpass("Again: "):
            raise CommandError("The passwords differ.")
        return first

    def handle(self, *args, **options):
        username = options["admin_username"].strip()
        if not username:
            raise CommandError("Give --admin-username (or KEEL_ADMIN_USERNAME).")
        password = self._password(username, options["no_input"])
        try:
            with transaction.atomic():  # all or nothing: a failure leaves no half-installed library
                self._install(options, username, password)
        except KeelError as exc:
            raise CommandError(exc.message)

    def _install(self, options, username: str, password: str | None) -> None:
        group, group_created = library.group_ensure(
            code=options["group_code"],
            name_zh=options["group_name_zh"],
            name_en=options["group_name_en"],
        )
        positions = library.positions_install()
        user, admin_created = library.hr_admin_ensure(
            username=username,
            email=options["admin_email"],
            password=password,
            unit=group,
            name_zh=options["admin_name_zh"],
            name_en=options["admin_name_en"],
        )
        maps = importlib.import_module("responsibilities.library").library_install(scope=group)
        rules = importlib.import_module("crisis.library").trigger_rules_install()
        obligations = importlib.import_module("crisis.library").obligations_install()
        competency = importlib.import_module("competency.library").library_install(author=user)
        say = self.stdout.write
        say(f"group: {group.code} ({'created' if group_created else 'kept'})")
        say(f"positions: {positions} created")
        say(f"HR admin: {user.username} ({'created' if admin_created else 'kept'})")
        for outcome, codes in maps.items():
            say(f"maps {outcome}: {', '.join(codes) or '-'}")
        say(f"trigger rules: {rules['created']} created, {rules['existing']} kept")
        say(
            f"statutory obligations: {obligations['created']} created, {obligations['existing']} kept"
        )
        say(
            f"competency: framework {competency['framework'].code} v{competency['framework'].version}, "
            f"{competency['profiles']} profiles created, "
            f"simulations: {', '.join(competency['simulations']) or '-'}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Keel is ready. {user.username} enrols TOTP at the first log-in, then adds people."
            )
        )
