"""``{% course_panel %}``: the crisis page's "changing course" panel (issue 15 §4) — status
updates and their cadence, related crises, and for the crisis's managers the controls to add a
task, change severity, cancel a task, invite a guest, link crises or reopen."""

from __future__ import annotations

from django import template
from django.utils import timezone

from responsibilities.severity import severity_factor

from .. import course_forms, presenters
from ..choices import TASK_OPEN_STATES, LinkReason, Severity
from ..selectors import access as access_selectors
from ..selectors import course as course_selectors
from ..selectors import people as people_selectors
from ..services.course import link_reason, reopen_deadline

register = template.Library()


def _people_select(context, crisis):
    """The page's "To" select of every active employee, rendered once per page by the crisis
    view (``reassign_fields``); rendered here only when the page has none."""
    fields = context.get("reassign_fields") or {}
    if fields.get("assignee"):
        return fields["assignee"]
    form = course_forms.AdhocTaskForm(people=people_selectors.reassign_candidates(crisis))
    return form["assignee"].as_widget()


@register.inclusion_tag("crisis/partials/course_panel.html", takes_context=True)
def course_panel(context, crisis):
    request = context["request"]
    user = request.user
    now = timezone.now()
    manager = access_selectors.can_manage(user, crisis)
    cadences = course_selectors.status_cadences()
    due_at = course_selectors.status_update_due_at(crisis, cadences)
    panel = {
        "crisis": crisis,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "manage": manager and crisis.is_open,
        "status_updates": list(course_selectors.status_updates_of(crisis)[:5]),
        "status_due_at": due_at,
        "status_overdue": due_at is not None and due_at <= now,
        "status_every": course_selectors.status_cadence_of(crisis, cadences),
        "linked": course_selectors.linked_crises(crisis, user),
    }
    if manager and not crisis.is_open:
        deadline = reopen_deadline(crisis)
        panel["reopen_until"] = deadline
        panel["can_reopen"] = deadline is not None and now <= deadline
        panel["reopen_form"] = course_forms.ReasonForm(auto_id="id_reopen_%s")
    if not panel["manage"]:
        return panel
    factors = crisis.map.severity_factors
    current = severity_factor(factors, crisis.severity)
    open_tasks = crisis.tasks.filter(status__in=TASK_OPEN_STATES).select_related(
        "duty__assignee_position"
    )
    panel.update(
        {
            "status_form": course_forms.StatusUpdateForm(auto_id="id_status_%s"),
            "severity_form": course_forms.SeverityForm(
                initial={"severity": crisis.severity}, auto_id="id_severity_%s"
            ),
            "severity_scales": [
                (str(label), round(severity_factor(factors, code) / current, 2))
                for code, label in Severity.choices
            ],
            "adhoc_form": course_forms.AdhocTaskForm(auto_id="id_adhoc_%s"),
            "people_select": _people_select(context, crisis),
            "cancel_rows": [
                {
                    "task": t,
                    "department": presenters.task_department(t),
                    "what": presenters.task_what(t),
                }
                for t in open_tasks
            ],
            "invite_form": course_forms.InviteForm(auto_id="id_invite_%s"),
            "invited": course_selectors.invited_users(crisis),
            "candidates": [
                (c, LinkReason(link_reason(crisis, c)).label)
                for c in course_selectors.link_candidates(crisis, user)
            ],
        }
    )
    return panel
