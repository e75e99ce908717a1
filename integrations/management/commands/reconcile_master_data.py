"""``manage.py reconcile_master_data``: pull the HR roster and the CRM's customers now, apply
the differences and record each in the event ledger (what the hourly beat task does)."""

import json

from django.core.management.base import BaseCommand

from integrations.services import reconciliation


class Command(BaseCommand):
    help = "Diff the HR roster and the CRM's customers with Keel; apply and record differences."

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=("hr", "crm"), help="reconcile one system only")

    def handle(self, *args, only=None, **options):
        if only == "hr":
            result = {"hr": reconciliation.hr_reconcile()}
        elif only == "crm":
            result = {"crm": reconciliation.crm_reconcile()}
        else:
            result = reconciliation.master_data_reconcile()
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
        if any(part.get("error") for part in result.values()):
            self.stderr.write(
                "reconciliation incomplete: "
                + "; ".join(
                    f"{name}: {part['error']}" for name, part in result.items() if part.get("error")
                )
            )
