"""What a duty needs to know (pure, no ORM): a duty's information items, in the words of the
responsibility map ("付款记录 / Payment records"), mapped to the dossier sources that hold that
information. Staff who hold a task in a crisis see the dossier sources their duty's items name
and nothing else of the customer (``crisis.selectors.access.crisis_access``).

Items are free text written by HR in either language; each rule is a set of keywords (lower
case, Chinese and English) and the sources it opens. An item naming nothing known opens
nothing: least privilege fails closed, and the map editor can name the information plainly."""

from __future__ import annotations

from collections.abc import Iterable

# (keywords, dossier sources) — the sources are integrations.choices.SOURCE_ORDER codes.
RULES: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("payment", "付款", "回款", "paid"), frozenset({"payments", "credit"})),
    (("invoice", "发票"), frozenset({"invoices", "credit"})),
    (("amount", "欠款", "金额", "overdue", "逾期", "credit", "信用"), frozenset({"credit"})),
    (
        ("contract", "合同", "legal", "法律", "法务", "correspondence", "函件"),
        frozenset({"legal_guide"}),
    ),
    (("contact", "联系"), frozenset({"contacts"})),
    (("complaint", "投诉"), frozenset({"complaints"})),
    (("order", "订单"), frozenset({"orders"})),
    (("on site", "现场", "attendance", "考勤", "who is present"), frozenset({"attendance"})),
)


def sources_for_items(items: Iterable[str]) -> frozenset[str]:
    """The dossier sources the information items name (empty when they name none)."""
    found: set[str] = set()
    for item in items or ():
        text = str(item).lower()
        for keywords, sources in RULES:
            if any(keyword in text for keyword in keywords):
                found |= sources
    return frozenset(found)
