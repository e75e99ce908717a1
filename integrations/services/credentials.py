"""Re-encrypting stored partner credentials under the current key."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import crypto
from ..crypto import CredentialUnreadable
from ..models import (
    Partner,
    WebhookSubscription,
)


@dataclass
class ReencryptReport:
    reencrypted: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)


def credentials_reencrypt() -> ReencryptReport:
    """Re-encrypt every stored partner credential with the current SECRET_KEY (after a rotation
    the old key can then leave SECRET_KEY_FALLBACKS). Each row is its own transaction; a value no
    key can decrypt is reported, never overwritten."""
    report = ReencryptReport()
    targets = [
        (Partner, ("credentials_encrypted", "webhook_secret_encrypted")),
        (WebhookSubscription, ("secret_encrypted",)),
    ]
    for model, columns in targets:
        for obj in model.objects.order_by("pk"):
            updates = {}
            for column in columns:
                value = getattr(obj, column)
                if crypto.is_current(value):
                    report.current += bool(value)
                    continue
                try:
                    updates[column] = crypto.reencrypt(value, what=f"{obj} {column}")
                except CredentialUnreadable:
                    report.unreadable.append(f"{model._meta.model_name} {obj.pk} ({obj}): {column}")
            if updates:
                # compare-and-set: a value re-entered meanwhile is left alone
                same = {column: getattr(obj, column) for column in updates}
                if model.objects.filter(pk=obj.pk, **same).update(**updates):
                    report.reencrypted += len(updates)
    return report
