"""Report translation gaps: every catalog entry must have a non-empty, non-fuzzy msgstr."""

from django.core.management.base import BaseCommand, CommandError

from .compile_translations import catalogs


class Command(BaseCommand):
    help = (
        "Fail when any .po catalog has an untranslated or fuzzy entry (used by the test suite too)."
    )

    def handle(self, *args, **options):
        import polib

        problems = []
        for po_path in catalogs():
            catalog = polib.pofile(str(po_path))
            for entry in catalog:
                if entry.obsolete:
                    continue
                if "fuzzy" in entry.flags or not (
                    entry.msgstr or any(entry.msgstr_plural.values())
                ):
                    problems.append(f"{po_path.parent.parent.parent.parent.name}: {entry.msgid!r}")
        if problems:
            raise CommandError("Untranslated or fuzzy:\n" + "\n".join(problems))
        self.stdout.write("Every catalog entry is translated.")
