"""One Chinese word for "commission" across the product (issue 17 §3/§5): 佣金, the wording the
catalogs used most; 提成 appeared beside it on the same person page. Every catalog entry whose
English names a commission says 佣金, and no catalog, template or source text says 提成."""

from __future__ import annotations

import re
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
APPS = ["hrcore", "responsibilities", "customers", "crisis", "competency", "integrations"]


def _catalogs() -> list[Path]:
    return [
        p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
    ]


def test_every_commission_msgid_says_yongjin():
    wrong = []
    for path in _catalogs():
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not re.search(r"\bcommissions?\b", entry.msgid, re.I):
                continue
            texts = [entry.msgstr, *entry.msgstr_plural.values()]
            if not any("佣金" in t for t in texts if t):
                wrong.append((path.relative_to(ROOT).as_posix(), entry.msgid, texts))
    assert wrong == []


def test_no_product_text_says_ticheng():
    found = []
    for path in [
        *_catalogs(),
        *(p for app in [*APPS, "templates"] for p in (ROOT / app).rglob("*")),
    ]:
        if (
            path.suffix not in {".po", ".py", ".html", ".txt", ".yaml"}
            or "migrations" in path.parts
        ):
            continue
        if "提成" in path.read_text(encoding="utf-8"):
            found.append(path.relative_to(ROOT).as_posix())
    assert found == []


def test_earlier_commission_event_summaries_are_reworded_and_back(db, users):
    import importlib

    from django.apps import apps

    from hrcore.models import PerformanceEvent

    migration = importlib.import_module("hrcore.migrations.0018_commission_wording")
    staff = users["staff"].employee
    rows = [
        ("commission", "提成获批:订单 SO-1", "commission:SO-1"),
        ("commission", "提成冲销:订单 SO-2", "commission:SO-2:reversed"),
        ("complaint", "提成获批:不是佣金事件", "complaint:X"),  # another kind: untouched
    ]
    for kind, text, key in rows:
        PerformanceEvent.objects.create(
            employee=staff,
            kind=kind,
            variant="",
            source_key=key,
            points=1,
            summary_zh=text,
            occurred_at="2026-11-02T09:00:00Z",
            period="2026-11",
        )

    def summaries():
        return list(PerformanceEvent.objects.order_by("pk").values_list("summary_zh", flat=True))

    migration.forwards(apps, None)
    assert summaries() == ["佣金获批:订单 SO-1", "佣金冲销:订单 SO-2", "提成获批:不是佣金事件"]
    migration.backwards(apps, None)
    assert summaries() == [text for _k, text, _key in rows]
