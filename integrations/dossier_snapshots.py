"""The crisis dossier as it arrived, in words, for replaying a crisis as training (registered
with ``crisis.dossier_hooks`` in ``IntegrationsConfig.ready()``; competency reads it there).

One snapshot per assembled dossier of the crisis (every refresh is a new row): when it was
complete and a line per source — what finance, legal, the CRM and attendance said then, or that
the source was not available. Both languages, whatever the reader's."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from .choices import SOURCE_ORDER, DossierStatus, SourceStatus
from .models import Dossier

LANGUAGES = (("zh", "zh-hans"), ("en", "en"))
LINE_MAX = 160


def _local(item: dict, field: str, suffix: str) -> str:
    other = "en" if suffix == "zh" else "zh"
    return str(item.get(f"{field}_{suffix}") or item.get(f"{field}_{other}") or "")


def _source_label(source: str) -> str:
    labels = {
        "credit": _("Credit profile"),
        "invoices": _("Unpaid invoices"),
        "payments": _("Payment history"),
        "legal_guide": _("Legal guide"),
        "contacts": _("Last contacts"),
        "complaints": _("Complaints"),
        "orders": _("Orders"),
        "attendance": _("On site today"),
    }
    return str(labels.get(source, source))


def _count(data) -> int:
    return len(data) if isinstance(data, list) else 0


def _source_line(source: str, data, suffix: str) -> str:
    """What one source said (in the active language)."""
    if source == "credit" and isinstance(data, dict):
        return _("outstanding %(currency)s %(amount)s, %(days)s days overdue") % {
            "currency": data.get("currency") or "",
            "amount": data.get("outstanding_amount") or 0,
            "days": data.get("overdue_days") or 0,
        }
    if source == "legal_guide" and isinstance(data, dict):
        return _local(data, "title", suffix)
    if source == "attendance":
        rows = data if isinstance(data, list) else []
        on_site = sum(1 for r in rows if isinstance(r, dict) and r.get("status") == "on_site")
        return _("%(on_site)d of %(n)d on site") % {"on_site": on_site, "n": len(rows)}
    if source == "contacts" and _count(data):
        latest = data[0] if isinstance(data[0], dict) else {}
        return _("%(n)d, the latest: %(note)s") % {
            "n": len(data),
            "note": _local(latest, "note", suffix)[:LINE_MAX],
        }
    return str(_count(data))


def crisis_dossier_snapshots(crisis_id: int) -> list[dict]:
    """``[{"at", "text_zh", "text_en"}]``, one per complete dossier of the crisis, oldest first
    (two queries)."""
    rank = {code: i for i, code in enumerate(SOURCE_ORDER)}
    out = []
    for dossier in (
        Dossier.objects.filter(crisis_id=crisis_id, status=DossierStatus.COMPLETE)
        .exclude(completed_at=None)
        .prefetch_related("sources")
        .order_by("completed_at", "id")
    ):
        sources = sorted(dossier.sources.all(), key=lambda s: (rank.get(s.source, 99), s.pk))
        texts = {}
        for suffix, language in LANGUAGES:
            with translation.override(language):
                lines = []
                for row in sources:
                    label = _source_label(row.source)
                    if row.status == SourceStatus.FAILED or row.data is None:
                        lines.append(_("%(source)s: not available") % {"source": label})
                        continue
                    line = _source_line(row.source, row.data, suffix)
                    if row.status == SourceStatus.STALE:
                        line = _("%(line)s (older data)") % {"line": line}
                    lines.append(_("%(source)s: %(what)s") % {"source": label, "what": line})
                texts[suffix] = "\n".join(f"• {line}" for line in lines)
        out.append({"at": dossier.completed_at, "text_zh": texts["zh"], "text_en": texts["en"]})
    return out
