"""The permission matrix: role × object × action over the pages and the API, as one table.

Each row is one route (a URL name), one object and one method, with the status every member of
the fixed cast (``tests/conftest.py``: manager, manager2, finance, legal, admin, vp, hradmin,
staff) must get. Every request runs in a savepoint that is rolled back, so every cell starts
from the same world: a debt-collection emergency in Shanghai filed by ``manager`` about
CUST-1001, finance and legal have delivered (finance a file), the VP's decision is due.

A new endpoint must join: ``test_every_route_is_in_the_matrix`` enumerates the URL patterns
and fails on any route that is neither in ``MATRIX`` nor in ``EXEMPT`` (with its reason).

Status legend: 200 page/JSON, 201 created, 202 accepted, 302 done and redirected (or sent to
the login/MFA page), 400 refused input, 403 refused, 404 not visible (the object's existence
is not revealed), 405 method not allowed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crisis.services.filing import crisis_file
from crisis.services.tasks import task_complete
from tests.conftest import CAST, pass_second_factor

pytestmark = pytest.mark.django_db

SCENARIO = "debt-collection-emergency"


def login(user) -> Client:
    """A test client logged in as ``user`` whose session passed the second factor (the record
    allauth writes after the TOTP step), as executives, HR admins and admin users need."""
    client = Client()
    client.force_login(user)
    pass_second_factor(client, user)
    return client


@dataclass(frozen=True)
class Row:
    """One action on one object: ``route`` (URL name), ``args`` from the world, the request
    ``data``, and the expected status per cast member (in ``CAST`` order)."""

    route: str
    method: str
    expect: tuple[int, ...]
    args: Callable[[dict], list] = lambda w: []
    data: Callable[[dict], dict] = lambda w: {}
    api: bool = False
    note: str = ""
    query: dict = field(default_factory=dict)


def crisis_args(w):
    return [w["crisis"].pk]


def crisis_id(w):
    return {"crisis_id": w["crisis"].pk}


def crisis_pk(w):
    return {"crisis_pk": w["crisis"].pk}


def other_crisis_args(w):
    return [w["other"].pk]


def task(name):
    return lambda w: [w[name].pk]


def subscription_args(w):
    return [w["subscription"].pk]


def customer(w):
    return {"external_id": "CUST-1001"}


#                 manager manager2 finance legal admin  vp  hradmin staff
ALL_200 = (200, 200, 200, 200, 200, 200, 200, 200)
CRISIS_SEEN = (200, 404, 200, 200, 200, 200, 200, 404)  # filer, task holders, VP, HR
DASHBOARD = (403, 403, 403, 403, 403, 200, 200, 403)
HR_ONLY = (403, 403, 403, 403, 403, 403, 200, 403)
HR_ONLY_CREATED = (403, 403, 403, 403, 403, 403, 201, 403)

# --- changing course (issue 15 §4): the crisis's managers (filer, its managers and executives,
# HR admins); task holders are refused, people who do not see the crisis get a 404. Refusals of
# the state (a link to a crisis one does not see, reopening an open crisis) are messages on the
# page and 404/409 in the API.
MANAGE_PAGE = (302, 404, 403, 403, 403, 302, 302, 404)
MANAGE_API = (201, 404, 403, 403, 403, 201, 201, 404)
MANAGE_API_200 = (200, 404, 403, 403, 403, 200, 200, 404)
COURSE_ROWS: list[Row] = [
    Row(
        "crisis:course_add_task",
        "POST",
        MANAGE_PAGE,
        args=crisis_args,
        data=lambda w: {
            "action": "Call the landlord",
            "assignee": str(w["legal_employee"].pk),
            "deadline_minutes": "15",
        },
    ),
    Row(
        "crisis:course_severity",
        "POST",
        MANAGE_PAGE,
        args=crisis_args,
        data=lambda w: {"severity": "low"},
    ),
    Row(
        "crisis:course_invite",
        "POST",
        MANAGE_PAGE,
        args=crisis_args,
        data=lambda w: {"username": "staff"},
    ),
    Row(
        "crisis:course_uninvite",
        "POST",
        MANAGE_PAGE,
        args=crisis_args,
        data=lambda w: {"username": "staff"},
    ),
    Row(
        "crisis:course_link",
        "POST",
        MANAGE_PAGE,
        args=crisis_args,
        data=lambda w: {"crisis": w["other"].pk},
    ),
    Row(
        "crisis:course_unlink",
        "POST",
        MANAGE_PAGE,
        args=crisis_args,
        data=lambda w: {"crisis": w["other"].pk},
    ),
    Row("crisis:reopen", "POST", MANAGE_PAGE, args=crisis_args, data=lambda w: {"reason": "back"}),
    Row(
        "crisis:status_update",
        "POST",
        MANAGE_PAGE,
        args=crisis_args,
        data=lambda w: {"body": "Calm"},
    ),
    Row(
        "crisis:task_cancel",
        "POST",
        MANAGE_PAGE,
        args=task("admin_task"),
        data=lambda w: {"reason": "x"},
    ),
    Row(
        "crisis-tasks",
        "POST",
        MANAGE_API,
        api=True,
        args=crisis_args,
        data=lambda w: {"action": "Call the landlord", "assignee": "legal", "deadline_minutes": 15},
    ),
    Row(
        "crisis-detail",
        "PATCH",
        MANAGE_API_200,
        api=True,
        args=crisis_args,
        data=lambda w: {"severity": "low"},
    ),
    Row(
        "crisis-close",
        "POST",
        MANAGE_API_200,
        api=True,
        args=crisis_args,
        data=lambda w: {"outcome": "Settled"},
    ),
    Row(
        "crisis-reopen",
        "POST",
        (409, 404, 403, 403, 403, 409, 409, 404),
        api=True,
        args=crisis_args,
        data=lambda w: {"reason": "back"},
        note="the crisis is open",
    ),
    Row("crisis-invitations", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row(
        "crisis-invitations",
        "POST",
        MANAGE_API,
        api=True,
        args=crisis_args,
        data=lambda w: {"username": "staff"},
    ),
    Row(
        "crisis-uninvite",
        "DELETE",
        (404, 404, 403, 403, 403, 404, 404, 404),
        api=True,
        args=lambda w: [w["crisis"].pk, "staff"],
        note="nobody is invited yet",
    ),
    Row("crisis-links", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row(
        "crisis-links",
        "POST",
        (404, 404, 403, 403, 403, 201, 201, 404),
        api=True,
        args=crisis_args,
        data=lambda w: {"crisis": w["other"].pk},
        note="the other crisis (Shenzhen) is not visible to the filer",
    ),
    Row(
        "crisis-unlink",
        "DELETE",
        (404, 404, 403, 403, 403, 404, 404, 404),
        api=True,
        args=lambda w: [w["crisis"].pk, w["other"].pk],
        note="not linked",
    ),
    Row("crisis-status-updates", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row(
        "crisis-status-updates",
        "POST",
        MANAGE_API,
        api=True,
        args=crisis_args,
        data=lambda w: {"body": "Calm"},
    ),
    Row(
        "task-cancel",
        "POST",
        MANAGE_API_200,
        api=True,
        args=task("admin_task"),
        data=lambda w: {"reason": "x"},
    ),
]

MATRIX: list[Row] = [
    # --- crisis pages -------------------------------------------------------------------------
    Row("crisis:list", "GET", ALL_200),
    Row("crisis:file", "GET", ALL_200),
    Row(
        "crisis:file",
        "POST",
        (302, 400, 403, 403, 403, 302, 302, 400),
        data=lambda w: {
            "scenario": SCENARIO,
            "title": "Matrix",
            "unit": w["shanghai"].code,
            "customer": "CUST-1001",
        },
        note="file about CUST-1001: only who may file there and may see the customer",
    ),
    Row("crisis:detail", "GET", CRISIS_SEEN, args=crisis_args),
    Row("crisis:detail", "GET", (404, 200, 404, 404, 404, 200, 200, 404), args=other_crisis_args),
    Row("crisis:detail_live", "GET", CRISIS_SEEN, args=crisis_args),
    Row("crisis:detail_timeline", "GET", CRISIS_SEEN, args=crisis_args),
    Row("crisis:brief", "GET", CRISIS_SEEN, args=crisis_args),
    Row(
        "crisis:pause",
        "POST",
        (302, 404, 403, 403, 403, 302, 302, 404),
        args=crisis_args,
        data=lambda w: {"reason": "waiting for the customer"},
    ),
    Row("crisis:resume", "POST", (302, 404, 403, 403, 403, 302, 302, 404), args=crisis_args),
    Row(
        "crisis:decide",
        "POST",
        (403, 404, 403, 403, 403, 302, 403, 404),
        args=crisis_args,
        data=lambda w: {"option": "negotiate", "text": "Negotiate a plan"},
        note="only deciders decide",
    ),
    Row("crisis:close", "GET", (200, 404, 403, 403, 403, 200, 200, 404), args=crisis_args),
    Row(
        "crisis:close",
        "POST",
        (302, 404, 403, 403, 403, 302, 302, 404),
        args=crisis_args,
        data=lambda w: {"outcome": "Settled", "lessons": "Call legal first"},
    ),
    Row(
        "crisis:task_acknowledge",
        "POST",
        (403, 404, 403, 403, 302, 403, 403, 404),
        args=task("admin_task"),
    ),
    Row(
        "crisis:task_complete",
        "POST",
        (403, 404, 403, 403, 302, 403, 403, 404),
        args=task("admin_task"),
        data=lambda w: {f"t{w['admin_task'].pk}-location": "Reception"},
    ),
    Row(
        "crisis:task_complete",
        "POST",
        (403, 404, 403, 403, 403, 302, 403, 404),
        args=task("decision_task"),
        data=lambda w: {f"t{w['decision_task'].pk}-note": "Negotiate"},
        note="the decision task: only its decider",
    ),
    Row(
        "crisis:task_comment",
        "POST",
        (302, 404, 302, 302, 302, 302, 302, 404),
        args=task("admin_task"),
        data=lambda w: {f"c{w['admin_task'].pk}-body": "On my way"},
    ),
    Row(
        "crisis:task_reassign",
        "POST",
        (302, 404, 403, 403, 403, 302, 302, 404),
        args=task("admin_task"),
        data=lambda w: {"mode": "reassign", "assignee": str(w["legal_employee"].pk)},
    ),
    Row(
        "crisis:task_reassign",
        "POST",
        (403, 404, 403, 403, 403, 403, 403, 404),
        args=task("decision_task"),
        data=lambda w: {"mode": "reassign", "assignee": str(w["manager_employee"].pk)},
        note="a decision task never goes to a manager",
    ),
    Row(
        "crisis:deliverable",
        "GET",
        (200, 404, 200, 404, 404, 200, 200, 404),
        args=lambda w: [w["deliverable"].pk],
        note="need to know: finance's file for finance and who sees everything",
    ),
    # Issue 15 §5: the review (participants, executives, HR), its findings (participants; the
    # matrix's crisis is open, so a permitted write is refused as a conflict and redirected) and
    # action items (the crisis's managers), the lessons library, the monthly report.
    Row("crisis:review", "GET", CRISIS_SEEN, args=crisis_args),
    Row(
        "crisis:review_finding_add",
        "POST",
        (302, 404, 302, 302, 302, 302, 302, 404),
        args=crisis_args,
        data=lambda w: {"kind": "went_well", "text": "Finance was quick"},
    ),
    Row(
        "crisis:review_action_add",
        "POST",
        (302, 404, 403, 403, 403, 302, 302, 404),
        args=crisis_args,
        data=lambda w: {
            "title": "Night contact",
            "owner": str(w["legal_employee"].pk),
            "due_on": "2026-12-31",
        },
    ),
    Row("crisis:lessons", "GET", ALL_200),
    Row("crisis:report", "GET", DASHBOARD),
    Row("crisis:report_csv", "GET", DASHBOARD),
    Row("crisis:dashboard", "GET", DASHBOARD),
    Row("crisis:dashboard_live", "GET", DASHBOARD),
    # Issue 15 §3: the library of statutory obligations is the HR admins'.
    Row("crisis:obligations_library", "GET", HR_ONLY),
    # Issue 16: the drills page is the HR admins'.
    Row("crisis:drills", "GET", HR_ONLY),
    Row("crisis:obligation_new", "GET", HR_ONLY),
    # --- crisis dossier pages -------------------------------------------------------------------
    Row("integrations:crisis_dossier_panel", "GET", CRISIS_SEEN, args=crisis_args),
    # Issue 13: the delivery ledger is for the crisis's managers and executives (and HR).
    Row(
        "crisis-deliveries",
        "GET",
        (200, 404, 403, 403, 403, 200, 200, 404),
        api=True,
        args=crisis_args,
    ),
    Row(
        "integrations:crisis_deliveries_panel",
        "GET",
        (200, 404, 404, 404, 404, 200, 200, 404),
        args=crisis_args,
    ),
    Row("integrations:crisis_dossier", "GET", CRISIS_SEEN, args=crisis_args),
    Row(
        "integrations:crisis_dossier_refresh",
        "POST",
        (302, 404, 302, 302, 302, 302, 302, 404),
        args=crisis_args,
    ),
    Row(
        "integrations:plan_edit", "GET", (302, 404, 302, 302, 302, 302, 302, 404), args=crisis_args
    ),
    Row(
        "integrations:plan_share",
        "POST",
        (302, 404, 302, 302, 302, 302, 302, 404),
        args=crisis_args,
    ),
    # --- customers ----------------------------------------------------------------------------
    Row("integrations:customer_list", "GET", ALL_200),
    Row(
        "integrations:customer_dossier",
        "GET",
        (200, 404, 200, 200, 200, 200, 200, 404),
        args=lambda w: ["CUST-1001"],
    ),
    Row(
        "integrations:customer_dossier_fragment",
        "GET",
        (200, 404, 200, 200, 200, 200, 200, 404),
        args=lambda w: ["CUST-1001"],
    ),
    Row(
        "integrations:customer_dossier_refresh",
        "POST",
        (302, 404, 302, 302, 302, 302, 302, 404),
        args=lambda w: ["CUST-1001"],
    ),
    # --- maps -----------------------------------------------------------------------------------
    Row("responsibilities:map_list", "GET", ALL_200),
    Row("responsibilities:map_detail", "GET", ALL_200, args=lambda w: [w["map"].pk]),
    Row("responsibilities:map_versions", "GET", ALL_200, args=lambda w: [w["map"].pk]),
    Row("responsibilities:map_new", "GET", (403, 403, 403, 403, 403, 403, 200, 403)),
    Row(
        "responsibilities:map_edit",
        "GET",
        (403, 403, 403, 403, 403, 403, 302, 403),
        note="a published map is not edited: HR is sent to revise it",
        args=lambda w: [w["map"].pk],
    ),
    Row(
        "responsibilities:map_revise",
        "POST",
        (403, 403, 403, 403, 403, 403, 302, 403),
        args=lambda w: [w["map"].pk],
    ),
    Row(
        "responsibilities:map_archive",
        "POST",
        (403, 403, 403, 403, 403, 403, 302, 403),
        args=lambda w: [w["map"].pk],
    ),
    Row(
        "responsibilities:map_preview",
        "POST",
        (403, 403, 403, 403, 403, 403, 200, 403),
        note="the editor's live drawing and checks: HR admins only",
        data=lambda w: {
            "duties-TOTAL_FORMS": "1",
            "duties-INITIAL_FORMS": "0",
            "duties-0-code": "look",
            "duties-0-assignee": "function:finance",
            "duties-0-deliverable": "document",
            "duties-0-deadline": "30",
            "duties-0-deadline_unit": "minutes",
            "duties-0-warn_percent": "80",
        },
    ),
    Row(
        "responsibilities:map_publish",
        "GET",
        (403, 403, 403, 403, 403, 403, 302, 403),
        note="the confirmation page; a published map sends HR back to the map",
        args=lambda w: [w["map"].pk],
    ),
    Row(
        "responsibilities:map_publish",
        "POST",
        (403, 403, 403, 403, 403, 403, 302, 403),
        args=lambda w: [w["map"].pk],
    ),
    Row("responsibilities:scenario_new", "GET", (403, 403, 403, 403, 403, 403, 200, 403)),
    Row(
        "responsibilities:coverage_recompute",
        "POST",
        (403, 403, 403, 403, 403, 403, 302, 403),
    ),
    Row("responsibilities:scenario_manual", "GET", ALL_200, args=lambda w: [SCENARIO]),
    Row("responsibilities:position_duties", "GET", ALL_200, args=lambda w: ["department-manager"]),
    # --- the rest of the pages ------------------------------------------------------------------
    Row("home", "GET", ALL_200),
    Row("org_chart", "GET", ALL_200),
    Row("position_detail", "GET", ALL_200, args=lambda w: ["department-manager"]),
    Row("hrcore:people", "GET", ALL_200, note="the people whose page one may open"),
    Row("hrcore:my_page", "GET", ALL_200, note="one's own page"),
    Row(
        "hrcore:person",
        "GET",
        (404, 404, 404, 200, 404, 200, 200, 404),
        args=lambda w: [w["legal_employee"].pk],
        note="the person, their supervisor chain, HR admins and executives",
    ),
    Row("preferences", "GET", ALL_200),
    Row(
        "performance_page",
        "GET",
        (404, 404, 404, 200, 404, 200, 200, 404),
        args=lambda w: [w["legal_employee"].pk],
        note="legal's record: the person, their supervisor (vp), HR admins",
    ),
    Row(
        "performance_refresh",
        "POST",
        (404, 404, 404, 404, 404, 404, 302, 404),
        args=lambda w: [w["legal_employee"].pk],
        note="HR admins pull goals and reviews (the partner's answer is a message)",
    ),
    Row(
        "performance_rules",
        "GET",
        (404, 404, 404, 404, 404, 404, 200, 404),
        note="HR admins set the points",
    ),
    Row(
        "performance_rules",
        "POST",
        (404, 404, 404, 404, 404, 404, 400, 404),
        note="empty form: refused, nothing saved",
    ),
    Row("inbox", "GET", ALL_200),
    # --- employee self-service (issue 17 §2): one's own, one's team's, HR's escalated list
    Row("questions_mine", "GET", ALL_200, note="one's own questions"),
    Row("questions_team", "GET", ALL_200, note="the questions one answers"),
    Row("questions_escalated", "GET", HR_ONLY, note="HR admins"),
    Row("absence_self", "GET", ALL_200, note="one's own leave"),
    Row(
        "integrations:offboarding",
        "GET",
        (200, 200, 404, 404, 404, 404, 200, 404),
        note="HR and managers (for their own people)",
    ),
    Row("integrations:commissions", "GET", ALL_200),
    Row("integrations:commission_statement", "GET", ALL_200, note="one's own statement"),
    Row("integrations:customer_roi", "GET", ALL_200, note="the customers one may see"),
    Row(
        "integrations:customer_roi_refresh",
        "POST",
        (403, 403, 302, 403, 403, 302, 302, 403),
        note="finance, executives and HR admins ask the partners again",
    ),
    Row(
        "integrations:commission_rules",
        "GET",
        (404, 404, 404, 404, 404, 404, 200, 404),
        note="HR admins set commission rules",
    ),
    Row(
        "integrations:commission_payroll_csv",
        "GET",
        (404, 404, 200, 404, 404, 404, 200, 404),
        note="finance and HR export to payroll",
    ),
    Row("competency:home", "GET", ALL_200),
    Row("competency:recognition", "GET", ALL_200),
    Row("competency:readiness", "GET", (200, 200, 200, 200, 200, 200, 200, 200)),
    Row("competency:answers_rate", "GET", (200, 200, 200, 200, 200, 200, 200, 200)),
    Row("competency:rating_agreement", "GET", (404, 404, 404, 404, 404, 404, 200, 404)),
    Row("competency:authoring_list", "GET", (404, 404, 404, 404, 404, 404, 200, 404)),
    Row(
        "competency:redrill_schedule",
        "POST",
        (404, 404, 404, 404, 404, 404, 302, 404),
        data=lambda w: {"scenario": "debt-collection-emergency", "unit": "sh"},
        note="HR admins book the next drill from the Training page's due list",
    ),
    # --- API (session auth, the same rules as a token with every scope) ------------------------
    Row("crisis-list", "GET", ALL_200, api=True),
    Row(
        "crisis-list",
        "POST",
        (201, 400, 403, 403, 403, 201, 201, 400),
        api=True,
        data=lambda w: {"scenario": SCENARIO, "title": "Matrix", "customer": "CUST-1001"},
        note="file about CUST-1001 in one's own unit",
    ),
    Row("crisis-detail", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row("crisis-tasks", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row("crisis-timeline", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row("crisis-decisions", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row(
        "crisis-decisions",
        "POST",
        (403, 404, 403, 403, 403, 201, 403, 404),
        api=True,
        args=crisis_args,
        data=lambda w: {"text": "Negotiate", "option": "negotiate"},
    ),
    Row(
        "crisis-review",
        "GET",
        (200, 404, 200, 200, 200, 200, 200, 404),
        api=True,
        args=crisis_args,
        note="participants, executives, HR (issue 15 §5)",
    ),
    Row(
        "crisis-action-items",
        "POST",
        (409, 404, 403, 403, 403, 409, 409, 404),
        api=True,
        args=crisis_args,
        data=lambda w: {"title": "Night contact", "owner": "legal", "due_on": "2026-12-31"},
        note="the crisis's managers; the matrix's crisis is open: 409 for them",
    ),
    Row("task-list", "GET", ALL_200, api=True),
    Row("task-detail", "GET", CRISIS_SEEN, api=True, args=task("admin_task")),
    Row(
        "task-acknowledge",
        "POST",
        (403, 404, 403, 403, 200, 403, 403, 404),
        api=True,
        args=task("admin_task"),
    ),
    Row(
        "task-complete",
        "POST",
        (403, 404, 403, 403, 200, 403, 403, 404),
        api=True,
        args=task("admin_task"),
        data=lambda w: {"location": "Reception"},
    ),
    Row(
        "task-complete",
        "POST",
        (403, 404, 403, 403, 403, 200, 403, 404),
        api=True,
        args=task("decision_task"),
        data=lambda w: {"note": "Negotiate"},
    ),
    Row("integrations-crisis-dossier", "GET", CRISIS_SEEN, api=True, args=crisis_args),
    Row("customer-list", "GET", ALL_200, api=True),
    Row("master-data-event-list", "GET", HR_ONLY, api=True),
    Row(
        "customer-detail",
        "GET",
        (200, 404, 200, 200, 200, 200, 200, 404),
        api=True,
        args=lambda w: ["CUST-1001"],
    ),
    Row(
        "customer-dossier",
        "GET",
        (202, 404, 202, 202, 202, 202, 202, 404),
        api=True,
        args=lambda w: ["CUST-1001"],
    ),
    Row(
        "customer-dossier-refresh",
        "POST",
        (202, 404, 202, 202, 202, 202, 202, 404),
        api=True,
        args=lambda w: ["CUST-1001"],
    ),
    Row(
        "api-token",
        "GET",
        (404,) * 8,
        api=True,
        note="a session carries no token (tokens: tests/hrcore/test_security_auth.py)",
    ),
    Row("org-unit-list", "GET", ALL_200, api=True),
    Row("position-list", "GET", ALL_200, api=True),
    Row("employee-list", "GET", ALL_200, api=True),
    Row(
        "employee-performance-events",
        "GET",
        (404, 404, 404, 200, 404, 200, 200, 404),
        api=True,
        args=lambda w: [w["legal_employee"].pk],
        note="the person, their supervisor (vp), HR admins",
    ),
    Row("notification-list", "GET", ALL_200, api=True, note="each user's own notifications"),
    Row("question-list", "GET", ALL_200, api=True, note="the questions one may see"),
    Row(
        "question-list",
        "POST",
        (201,) * 8,
        api=True,
        data=lambda w: {"kind": "question", "subject": "Leave", "body": "How many days?"},
        note="every employee asks their supervisor",
    ),
    Row("scenario-list", "GET", ALL_200, api=True),
    Row("responsibility-map-list", "GET", ALL_200, api=True),
    Row(
        "responsibility-map-publish",
        "POST",
        (403, 403, 403, 403, 403, 403, 409, 403),
        api=True,
        args=lambda w: [w["map"].pk],
        note="HR only (the map is published already: 409 for HR)",
    ),
    Row(
        "responsibility-map-coverage",
        "GET",
        (200, 200, 403, 403, 403, 200, 200, 403),
        api=True,
        args=lambda w: [w["map"].pk],
        note="HR admins and executives every unit, managers their own company",
    ),
    # --- outbound webhook subscriptions: HR admins only -----------------------------------------
    Row("webhook-subscription-list", "GET", HR_ONLY, api=True),
    Row(
        "webhook-subscription-list",
        "POST",
        HR_ONLY_CREATED,
        api=True,
        data=lambda w: {"partner": w["subscription"].partner.slug, "url": "https://h.example/k"},
    ),
    Row("webhook-subscription-detail", "GET", HR_ONLY, api=True, args=subscription_args),
    Row(
        "webhook-subscription-detail",
        "PATCH",
        HR_ONLY,
        api=True,
        args=subscription_args,
        data=lambda w: {"events": ["crisis.closed"]},
    ),
    Row(
        "webhook-subscription-detail",
        "DELETE",
        (403, 403, 403, 403, 403, 403, 204, 403),
        api=True,
        args=subscription_args,
        note="deactivates; the record and its log stay",
    ),
    Row("webhook-subscription-rotate-secret", "POST", HR_ONLY, api=True, args=subscription_args),
    Row("webhook-subscription-deliveries", "GET", HR_ONLY, api=True, args=subscription_args),
    *COURSE_ROWS,
]

# Routes deliberately not in the matrix, each with the reason.
EXEMPT: dict[str, str] = {
    "absence_self_cancel": "cancelling one's own leave (tests/hrcore/test_absence_cancel.py: "
    "someone else's 404 and unchanged, one already over refused)",
    "question_answer": "answering a question by who it is routed to, the supervisor or HR "
    "(tests/hrcore/test_selfservice.py: others 404, the asker 403, twice 409)",
    "question-detail": "a question by who may see it (tests/hrcore/test_selfservice.py)",
    "question-answer": "answering by who it is routed to, the supervisor or HR "
    "(tests/hrcore/test_selfservice.py)",
    "competency:authoring_replay": "HR admins replay a closed crisis; the matrix world's crisis "
    "is open (tests/competency/test_replay.py: HR admin, others 404, open crisis 409)",
    "competency:crisis_replay_panel": "the crisis page's replay button, HR admins on closed "
    "crises only (tests/competency/test_replay.py)",
    "healthz": "public health probe, no user data",
    "set_language": "language switch for anyone, no object",
    "api-schema": "public OpenAPI document",
    "api-docs": "public API documentation page",
    "integrations-webhook": "partner webhooks: HMAC-signed, no session (tests/integrations)",
    "admin_login": "the admin login goes through allauth's password and TOTP steps "
    "(tests/hrcore/test_security_auth.py, tests/browser/test_admin_login.py)",
    "logout_everywhere": "ends the user's own sessions (tests/hrcore/test_security_auth.py)",
    "preferences_contact": "the user's own contact channels (tests/hrcore/test_contact_channels.py)",
    "reach_ack": "signed one-message link, no session (tests/integrations/test_reach_ladder.py)",
    "reach-callback": "provider callbacks: HMAC-signed, no session "
    "(tests/integrations/test_reach_ledger.py)",
    "decision-acknowledge": "participants only (tests/integrations/test_decision_acks.py)",
    "integrations:crisis_decision_ack": "participants only (tests/integrations/test_decision_acks.py)",
    "integrations:crisis_decision_acks_panel": "tests/integrations/test_decision_acks.py",
    "integrations:crisis_decision_remind": "managers only (tests/integrations/test_decision_acks.py)",
    "integrations:crisis_roll_calls_panel": "managers only (tests/integrations/test_roll_calls.py)",
    "integrations:rollcall_answer_page": "signed one-person link (tests/integrations/test_roll_calls.py)",
    "roll-call-send": "managers only (tests/integrations/test_roll_calls.py)",
    "roll-call": "managers and recipients (tests/integrations/test_roll_calls.py)",
    "roll-call-answer": "recipients only (tests/integrations/test_roll_calls.py)",
    "war-room-open": "managers only, calls the IM (tests/integrations/test_war_room.py)",
    "integrations:crisis_roll_call_send": "managers only (tests/integrations/test_reach_pages.py)",
    "integrations:crisis_war_room_panel": "managers only (tests/integrations/test_reach_pages.py)",
    "integrations:crisis_war_room_open": "managers only, calls the IM "
    "(tests/integrations/test_reach_pages.py)",
    "integrations:handover_execute": "HR offboarding writes (tests/integrations/test_handover*)",
    "integrations:handover_revert": "HR offboarding writes (tests/integrations/test_handover*)",
    "integrations:commission_decide": "commission approvals (tests/integrations)",
    "integrations:complaint_outcome": "complaint outcomes (tests/integrations/test_performance_partner.py)",
    "crisis:walk_in_outcome": "walk-in complaint outcomes (tests/crisis/test_walk_in_outcome.py)",
    "integrations:commission_statement_of": "a person's statement by scope "
    "(tests/integrations/test_commission_loop.py)",
    "integrations:commission_payroll_push": "calls the payroll partner "
    "(tests/integrations/test_commission_loop.py)",
    "customer-roi": "the customers one may see (tests/integrations/test_customer_roi.py)",
    "commission-list": "commissions by scope (tests/integrations/test_commission_loop.py)",
    "commission-detail": "commissions by scope (tests/integrations/test_commission_loop.py)",
    "commission-approve": "finance then HR (tests/integrations/test_commission_loop.py)",
    "crisis:review_finding_lesson": "needs a finding of a closed crisis (tests/crisis/test_review.py)",
    "crisis:review_finding_propose": "needs a finding of a closed crisis (tests/crisis/test_review.py)",
    "crisis:review_action_done": "needs an action item of a closed crisis (tests/crisis/test_review.py)",
    "competency:rate": "competency rating form (tests/competency)",
    "competency:assignment_start": "needs a training assignment (tests/competency)",
    "competency:simulation_detail": "training content (tests/competency)",
    "competency:run_start": "training runs (tests/competency)",
    "competency:play": "a user's own training run (tests/competency)",
    "competency:answer": "a user's own training run (tests/competency)",
    "competency:result": "a user's own training run (tests/competency)",
    "competency:authoring_edit": "simulation authoring (tests/competency)",
    "org-unit-detail": "organisation reads (tests/hrcore/test_api.py)",
    "position-detail": "organisation reads (tests/hrcore/test_api.py)",
    "employee-detail": "organisation reads (tests/hrcore/test_api.py)",
    "notification-detail": "one's own notification (tests/test_language_sweep.py)",
    "scenario-detail": "map reads (tests/responsibilities/test_api.py)",
    "responsibility-map-detail": "map reads (tests/responsibilities/test_api.py)",
    "responsibility-map-archive": "map writes (tests/responsibilities/test_api.py)",
    "responsibility-map-diff": "map reads (tests/responsibilities/test_api.py)",
    "responsibility-map-dry-run": "map reads (tests/responsibilities/test_api.py)",
    "responsibility-map-revise": "map writes (tests/responsibilities/test_api.py)",
    "competency-framework-list": "competency API (tests/competency/test_api.py)",
    "competency-framework-detail": "competency API (tests/competency/test_api.py)",
    "position-profile-list": "competency API (tests/competency/test_api.py)",
    "position-profile-detail": "competency API (tests/competency/test_api.py)",
    "simulation-list": "competency API (tests/competency/test_api.py)",
    "simulation-detail": "competency API (tests/competency/test_api.py)",
    "training-assignment-list": "competency API (tests/competency/test_api.py)",
    "training-assignment-detail": "competency API (tests/competency/test_api.py)",
    "simulation-result-list": "competency API (tests/competency/test_api.py)",
    "simulation-result-detail": "competency API (tests/competency/test_api.py)",
    "competency-evidence-list": "competency API (tests/competency/test_api.py)",
    # Issue 15 §3: statutory clocks need a scenario that triggers one (the matrix's debt crisis
    # triggers none); their role × object cells are in tests/crisis/test_obligation_*.py.
    "crisis:obligation_edit": "HR admins only (tests/crisis/test_obligation_pages.py)",
    "crisis:obligation_file": "crisis managers file (tests/crisis/test_obligation_pages.py)",
    "crisis:obligation_adjust": "crisis managers (tests/crisis/test_obligation_pages.py)",
    "crisis:obligation_proof": "full access only (tests/crisis/test_obligation_pages.py)",
    "crisis-obligations": "participants read (tests/crisis/test_obligation_api.py)",
    "obligation-file": "crisis managers file (tests/crisis/test_obligation_api.py)",
    # Issue 16: drills need a drill crisis (the matrix's crisis is real); their cells are in
    # tests/crisis/test_drills.py and tests/crisis/test_drill_pages.py.
    "crisis:drill_report": "who sees the drill (tests/crisis/test_drill_pages.py)",
    "crisis:stop_drill": "HR admins, the unit's executive (tests/crisis/test_drill_pages.py)",
    "drill-report": "who sees the drill (tests/crisis/test_drills.py)",
    "crisis-stop-drill": "HR admins, the unit's executive (tests/crisis/test_drills.py)",
}
# Whole families with their own login and access machinery.
EXEMPT_PREFIXES = {
    "admin:": "the Django admin: staff only, ModelAdmin permissions (tests of each app's admin)",
    "account_": "django-allauth login, logout, password flows",
    "mfa_": "django-allauth two-factor flows",
}


def _route_names(patterns=None, namespace: str | None = None) -> set[str]:
    names: set[str] = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            names |= _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_route_is_in_the_matrix():
    """A new endpoint must join the matrix (or be exempted here with its reason)."""
    covered = {row.route for row in MATRIX}
    missing = sorted(
        name
        for name in _route_names()
        if name not in covered
        and name not in EXEMPT
        and not any(name.startswith(prefix) for prefix in EXEMPT_PREFIXES)
    )
    assert not missing, f"routes missing from the permission matrix: {missing}"
    stale = sorted((covered | set(EXEMPT)) - _route_names())
    assert not stale, f"the matrix names routes that do not exist: {stale}"


@pytest.fixture
def world(demo_org, users):
    """The objects of the matrix (see the module docstring)."""
    return build_world(users)


def build_world(users: dict) -> dict:
    """The matrix's world, on top of the demo world (also for module-scoped fixtures, which
    cannot use the ``world`` fixture)."""
    from crisis.models import Task
    from integrations import demo as integrations_demo
    from integrations.models import Partner, WebhookSubscription
    from responsibilities import demo as responsibilities_demo
    from responsibilities.models import ResponsibilityMap

    responsibilities_demo.seed()
    integrations_demo.seed()

    crisis = crisis_file(
        scenario=SCENARIO,
        title="Collectors in the office",
        customer_external_id="CUST-1001",
        actor=users["manager"],
    )
    other = crisis_file(scenario=SCENARIO, title="Collectors in Shenzhen", actor=users["manager2"])
    tasks = {t.duty_code: t for t in Task.objects.filter(crisis=crisis)}
    subscription = WebhookSubscription.objects.create(
        partner=Partner.objects.order_by("pk").first(),
        url="https://hooks.example/keel",
        events=["crisis.filed"],
    )
    task_complete(
        task=tasks["finance-records"],
        actor=users["finance"],
        note="records",
        file=SimpleUploadedFile("records.pdf", b"%PDF-1.4 x\n%%EOF", "application/pdf"),
    )
    task_complete(task=tasks["legal-support"], actor=users["legal"], note="script")
    return {
        "crisis": crisis,
        "other": other,
        "shanghai": users["manager"].employee.unit,
        "admin_task": tasks["admin-on-site"],
        "decision_task": tasks["vp-decision"],
        "deliverable": tasks["finance-records"].deliverables.get(),
        "manager_employee": users["manager"].employee,
        "legal_employee": users["legal"].employee,
        "map": ResponsibilityMap.objects.get(scenario__code=SCENARIO, status="published"),
        "subscription": subscription,
    }


def _request(client: Client, row: Row, world: dict) -> int:
    url = reverse(row.route, args=row.args(world))
    if row.method == "GET":
        return client.get(url, row.query).status_code
    if row.method in ("PATCH", "DELETE"):
        body = json.dumps(row.data(world))
        return client.generic(row.method, url, body, content_type="application/json").status_code
    if row.api:
        return client.post(url, row.data(world), content_type="application/json").status_code
    return client.post(url, row.data(world)).status_code


# Page rows the language sweep cannot stand in for, each with its reason.
NOT_FROM_THE_SWEEP = {
    "crisis:deliverable": "a file download, which the sweep's crawl does not open",
    "integrations:plan_edit": "its status depends on whether the crisis has a plan, and the "
    "sweep's world generates one",
}


def read_from_the_sweep(row: Row) -> bool:
    """Whether ``row`` is checked on the language sweep's crawl (a page, opened by every role
    in both languages: ``test_permission_matrix_pages`` in tests/test_language_sweep.py)."""
    return row.method == "GET" and not row.api and row.route not in NOT_FROM_THE_SWEEP


def test_permission_matrix(world, users):
    """Every cell of the matrix, each in a savepoint rolled back afterwards, but the page rows
    the language sweep opens for every role in both languages (``read_from_the_sweep``)."""
    clients = {name: login(users[name]) for name in CAST}
    got: dict[int, tuple[int, ...]] = {}
    rows = [(i, row) for i, row in enumerate(MATRIX) if not read_from_the_sweep(row)]
    for index, row in rows:
        statuses = []
        for name in CAST:
            with transaction.atomic():
                try:
                    statuses.append(_request(clients[name], row, world))
                except Exception as exc:  # a crash is a cell that fails, reported with the rest
                    statuses.append(f"{type(exc).__name__}")
                transaction.set_rollback(True)
        got[index] = tuple(statuses)
    wrong = [
        f"{row.route} {row.method} {row.note}\n    expected {row.expect}\n    got      {got[i]}"
        for i, row in rows
        if got[i] != row.expect
    ]
    if os.environ.get("KEEL_MATRIX_PRINT"):
        for i, row in rows:
            print(f"{row.route:45} {row.method:5} {got[i]}")
    assert not wrong, f"{len(wrong)} rows differ (columns: {CAST}):\n" + "\n".join(wrong)
