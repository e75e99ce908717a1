"""Responsibility-map notification kinds (``hrcore.notification_kinds``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hrcore.notification_kinds import listing, local, register

from .coverage import GAP_LABELS

register(
    "responsibility_map.published",
    subject=lambda p: (
        _(
            "Responsibility map “%(title)s” v%(version)s is published: your crisis duties were "
            "added or changed"
        )
        % {"title": local(p.get("title")), "version": p.get("version")}
    ),
    body=lambda p: _(
        "Please read what your position owes in this scenario: actions, deadlines, deliverables."
    ),
    example={"title": {"zh": "催收人员闯入", "en": "Debt-collection emergency"}, "version": 2},
)


def _gap_line(gap: dict) -> str:
    kinds = ", ".join(str(GAP_LABELS.get(k, k)) for k in gap.get("gaps", []))
    return _("%(who)s in %(unit)s: %(kinds)s") % {
        "who": local(gap.get("who")),
        "unit": local(gap.get("unit")),
        "kinds": kinds,
    }


register(
    "responsibility_map.coverage_dropped",
    subject=lambda p: (
        _("Coverage of the critical scenario “%(scenario)s” fell to %(score)s %%")
        % {"scenario": local(p.get("scenario")), "score": p.get("score")}
    ),
    body=lambda p: (
        _(
            "No holder or deputy can act on these duties (%(count)s in all): %(gaps)s. "
            "The maps page names every gap."
        )
        % {"count": p.get("count", 0), "gaps": listing([_gap_line(g) for g in p.get("gaps", [])])}
    ),
    example={
        "scenario": {"zh": "债务催收（紧急）", "en": "Debt collection (emergency)"},
        "score": 80,
        "count": 1,
        "gaps": [
            {
                "duty": "finance-records",
                "who": {"zh": "财务部", "en": "Finance"},
                "unit": {"zh": "上海子公司", "en": "Shanghai Co."},
                "gaps": ["untrained"],
            }
        ],
    },
)
