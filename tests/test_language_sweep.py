"""One language at a time (issue 18 item 3): every page every role can open, and every
notification kind, in Chinese and in English, shows no text of the other language outside
user-entered content (``tests/language_text.py`` says what counts).

The pages are those of the permission matrix's world (``tests/test_permission_matrix.py``: a
debt-collection emergency with deliverables, a second crisis, a published map, customers),
plus the demo of ``make run`` (maps, partners, crises, training), plus every page a link crawl
from the start page reaches for the role. ``test_every_page_route_is_swept`` keeps the set
honest: a page route none of the roles opened must be named here with its reason. The same
crawl checks that no link a role is shown leads to a 404 or a 500.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from tests.conftest import CAST
from tests.html_forms import links_of, page_pattern
from tests.language_text import foreign_text, product_text
from tests.test_permission_matrix import (
    MATRIX,
    _route_names,
    build_world,
    login,
    read_from_the_sweep,
)

# One worker runs the module: its tests read one crawl (the ``sweep`` fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("language-sweep")]

LANGUAGES = ("zh-hans", "en")
SKIP = ("/admin/", "/api/", "/accounts/", "/static/", "/media/", "/healthz", "/i18n/")

# Page routes the sweep does not open, each with its reason.
NOT_SWEPT = {
    "integrations:commission_payroll_csv": "a CSV download, not a page",
    "integrations:commission_payroll_push": "a POST (the button is on integrations:commissions)",
    "integrations:commission_statement_of": "a person's statement, the same page as "
    "integrations:commission_statement (tests/integrations/test_commission_loop.py)",
    "integrations:crisis_roll_call_send": "a POST (the form is on the crisis page, swept)",
    "integrations:crisis_war_room_open": "a POST (the button is in the war-room panel, swept)",
    "integrations:crisis_war_room_panel": "a fragment of the crisis page, loaded by htmx "
    "(tests/integrations/test_reach_pages.py)",
    "crisis:obligation_file": "a POST (the form is in the crisis page's clocks, swept)",
    "crisis:obligation_adjust": "a POST (the form is in the crisis page's clocks, swept)",
    "crisis:obligation_proof": "a file download, not a page",
    "competency:authoring_replay": "a POST that opens the draft in the editor (swept there)",
    "competency:redrill_schedule": "a POST (its button is in the Training page's due list, "
    "swept with competency:home)",
    "competency:crisis_replay_panel": "a fragment of a closed crisis's page for HR admins "
    "(tests/competency/test_replay.py)",
    "crisis:drill_report": "needs a drill (tests/crisis/test_drill_pages.py: both languages)",
    "crisis:stop_drill": "a POST (its button is on a drill's page)",
    "competency:assignment_start": "a POST that starts a run (its page is competency:play)",
    "competency:run_start": "a POST that starts a run",
    "competency:answer": "a POST (the answer partial is part of competency:play)",
    "competency:rate": "a POST (the rating form is on competency:home)",
    "competency:result": "needs a finished run (its texts are tests/competency's)",
    "integrations:commission_decide": "a POST (the buttons are on integrations:commissions)",
    "integrations:complaint_outcome": "a POST (its form is on the person page)",
    "absence_self_cancel": "a POST (its button is on absence_self)",
    "integrations:customer_roi_refresh": "a POST (its button is on integrations:customer_roi)",
    "crisis:walk_in_outcome": "a POST (its form is on the crisis and person pages)",
    "integrations:handover_execute": "a POST (its page is integrations:offboarding)",
    "integrations:handover_revert": "a POST (its page is integrations:offboarding)",
    "crisis:deliverable": "a file download, not a page",
    "crisis:report_csv": "a CSV download, not a page",
    "crisis:review_finding_lesson": "a POST (the button is on crisis:review)",
    "crisis:review_finding_propose": "a POST that redirects to the map editor",
    "crisis:review_action_done": "a POST (the button is on crisis:review)",
    "set_language": "a POST that switches the language",
    "logout_everywhere": "a POST",
    "admin_login": "the Django admin's login (allauth's form, swept as account_login)",
    "preferences_contact": "a POST (its form is a card of the preferences page, swept)",
    "integrations:crisis_decision_ack": "a POST (the button is in the decision panel, swept)",
    "integrations:crisis_decision_remind": "a POST (the button is in the decision panel, swept)",
    "integrations:rollcall_answer_page": "a signed one-tap link (tests/integrations/test_roll_calls.py)",
    "reach_ack": "a signed one-tap link (tests/integrations/test_reach_ladder.py)",
    "performance_refresh": "a POST (the button is on performance_page, swept)",
    "question_answer": "a POST (the answer form is on questions_team, swept)",
}


def _page_rows():
    """The permission matrix's GET rows of pages (not the API)."""
    return [row for row in MATRIX if row.method == "GET" and not row.api]


def _key(path: str) -> str:
    """One page per URL pattern (ids, codes and slugs alike) and query."""
    parts = urlsplit(path)
    return page_pattern(parts.path) + ("?" + parts.query if parts.query else "")


def _row_url(row, world) -> str:
    """The URL of a page row of the matrix in ``world``, with its query."""
    url = reverse(row.route, args=row.args(world))
    if row.query:
        url += "?" + urlencode(row.query)
    return url


def _pages_for(client, world) -> list[str]:
    """The matrix's pages with the world's ids, then every page a crawl reaches from them."""
    urls = [_row_url(row, world) for row in _page_rows()]
    urls.insert(0, "/")
    urls.append(reverse("inbox"))
    urls += world.get("extra_pages", [])
    return urls


def _crawl(client, start: list[str], limit: int = 160) -> tuple[dict, dict, dict]:
    """Visit ``start`` and every same-site page linked from what was visited (one URL per
    pattern). Returns {url: html} of the pages that answered 200 with HTML,
    {url: (status, the page it was linked from)} of every link followed, and {url: status} of
    the given pages (a role may be refused those: the permission matrix says which)."""
    seen: set[str] = set()
    pages: dict[str, str] = {}
    links: dict[str, tuple[int, str]] = {}
    opened: dict[str, int] = {}
    queue = [(url, "") for url in start]
    given = set(start)  # the given pages are each opened; links are opened once per pattern
    while queue and len(seen) < limit:
        url, found_on = queue.pop(0)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(SKIP) or "/download/" in parts.path:
            continue
        key = _key(url)
        if url in given:
            given.discard(url)
            key = url
        if key in seen:
            continue
        seen.add(key)
        response = client.get(url)
        if found_on:
            links[url] = (response.status_code, found_on)
        else:
            opened[url] = response.status_code
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        pages[url] = html
        for link in links_of(html):
            queue.append((link.split("#")[0] or url, url))
    assert len(seen) < limit, f"the crawl stopped at {limit} pages: raise the limit"
    return pages, links, opened


def _cast() -> dict:
    from django.contrib.auth import get_user_model

    cast = get_user_model().objects.filter(username__in=CAST).select_related("employee")
    return {u.username: u for u in cast}


def _sweep_world(users) -> dict:
    """The matrix's world plus the demo of ``make run`` (maps, partners, crises, training),
    and notifications of every kind the world's own actions write (filing, completing,
    deciding)."""
    import importlib

    world = build_world(users)
    for label in ("responsibilities", "integrations", "crisis", "competency"):
        importlib.import_module(f"{label}.demo").seed()
    from crisis.services.decisions import decision_make

    decision_make(
        crisis=world["crisis"],
        option="negotiate",
        text="Negotiate with the collectors",
        actor=users["vp"],
    )
    # Pages that need an object of their own: a map draft, a training run, a plan.
    from competency.models import Simulation
    from competency.services.attempts import run_start
    from integrations.services.plans import response_plan_generate
    from responsibilities.services.maps import responsibility_map_revise

    draft = responsibility_map_revise(responsibility_map=world["map"], actor=users["hradmin"])
    response_plan_generate(crisis_id=world["crisis"].pk, force=True)
    crisis_pk = world["crisis"].pk
    extra = [
        reverse("responsibilities:map_edit", args=[draft.pk]),
        reverse("responsibilities:map_publish", args=[draft.pk]),
        reverse("integrations:plan_edit", args=[crisis_pk]),
        reverse("integrations:crisis_decision_acks_panel", args=[crisis_pk]),
        reverse("integrations:crisis_roll_calls_panel", args=[crisis_pk]),
    ]
    simulation = Simulation.objects.filter(versions__status="published").first()
    if simulation is not None:
        for name in ("staff", "manager"):
            run = run_start(simulation=simulation, actor=users[name])
            extra.append(reverse("competency:play", args=[run.pk]))
    # Self-service (issue 17 §2): a question staff asked and one escalated to HR, so that the
    # question cards and answer forms are swept on "my", "team" and "escalated" pages.
    from hrcore.services.selfservice import question_ask, questions_sweep

    question_ask(user=users["staff"], kind="question", subject="年假", body="还有几天？")
    late = question_ask(user=users["legal"], kind="question", subject="加班", body="怎么算？")
    questions_sweep(now=late.window_closes_at)
    world["extra_pages"] = extra
    return world


def _set_language(users, language: str) -> None:
    from hrcore.models import Employee

    Employee.objects.filter(user__in=users.values()).update(language=language)


@pytest.fixture(scope="module")
def sweep(django_db_setup, django_db_blocker, tmp_path_factory):
    """The sweep's world and every role's crawl in each language, built once for the module
    inside a transaction rolled back at its end (each test's own writes roll back to a
    savepoint inside it, as in tests/test_api_schema_fuzz.py). The crawl is the sweep's cost
    (some 2,500 pages rendered and read); the language test and the route test read the same
    one instead of crawling twice, on worlds built three times."""
    from django.db import transaction
    from django.test import override_settings

    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            users = _cast()
            world = _sweep_world(users)
            crawls: dict[tuple[str, str], dict[str, str]] = {}
            links: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}
            opened: dict[tuple[str, str], dict[str, int]] = {}
            for language in LANGUAGES:
                _set_language(users, language)
                for name in CAST:
                    client = login(users[name])
                    found = _crawl(client, _pages_for(client, world))
                    crawls[language, name], links[language, name], opened[language, name] = found
            yield {
                "users": users,
                "world": world,
                "crawls": crawls,
                "links": links,
                "opened": opened,
            }
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_every_page_in_one_language_for_every_role(sweep):
    failures: list[str] = []
    for (language, name), pages in sweep["crawls"].items():
        assert len(pages) >= 10, (name, language, sorted(pages))
        for url, html in pages.items():
            if "<html" in html:  # a full page, not a polled partial
                assert f'<html lang="{language}">' in html, (url, name, language)
            for text in foreign_text(product_text(html, language), language):
                failures.append(f"{language} {name} {url}: {text[:160]}")
    assert {language for language, _name in sweep["crawls"]} == set(LANGUAGES)
    assert not failures, f"{len(failures)} pieces of the other language:\n" + "\n".join(
        sorted(set(failures))
    )


def test_every_page_route_is_swept(sweep):
    """Each page route (not the API, the admin or allauth) is opened by some role, or is named
    in ``NOT_SWEPT`` with its reason."""
    opened: set[str] = set()
    for name in CAST:
        for url in sweep["crawls"]["en", name]:
            with contextlib.suppress(Resolver404):
                opened.add(resolve(urlsplit(url).path).view_name)
    pages = {
        name
        for name in _route_names()
        if not name.startswith(("admin:", "account_", "mfa_"))
        and "-" not in name.split(":")[-1]  # DRF routes are named "crisis-detail" etc.
        and not name.startswith(("api", "healthz", "integrations-webhook"))
    }
    post_only = {row.route for row in MATRIX if row.method != "GET"} - {
        row.route for row in MATRIX if row.method == "GET"
    }
    missing = sorted(pages - opened - set(NOT_SWEPT) - post_only)
    assert not missing, f"page routes no role opened in the sweep: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_notification_kind_in_one_language(language):
    """Each registered kind, from its example parameters, as the inbox shows it (user text
    marked) and as plain text (the e-mail) once the user text is taken out."""
    from hrcore.notification_kinds import kinds, render

    registered = kinds()
    assert len(registered) >= 18
    failures = []
    for kind, entry in registered.items():
        shown = render(kind, entry.example, language, html=True)
        html = f"<div>{shown.subject}</div><div>{shown.body}</div>"
        for text in foreign_text(product_text(html, language), language):
            failures.append(f"{kind}: {text}")
        plain = render(kind, entry.example, language)
        assert plain.subject, kind
        assert "<span" not in plain.subject + plain.body, kind
    assert not failures, "\n".join(failures)


def test_the_worlds_notifications_are_rendered_in_the_readers_language(sweep):
    """The rows the world's actions wrote (filing, completing, deciding) are stored as kind and
    parameters and each reader's inbox shows them in the reader's language."""
    from hrcore.models import Notification

    users = sweep["users"]
    rows = list(Notification.objects.all())
    assert rows
    assert all(row.params for row in rows), [r.kind for r in rows if not r.params]
    for language in LANGUAGES:
        _set_language(users, language)
        for name in CAST:
            html = login(users[name]).get(reverse("inbox")).content.decode()
            bad = foreign_text(product_text(html, language), language)
            assert not bad, (name, language, bad[:5])


@pytest.mark.parametrize("username", CAST)
def test_no_link_leads_to_a_404_for_the_role_that_sees_it(sweep, username):
    """Every link a role is shown, on every page it can open, in either language, leads to
    something other than a 404 or a 500 (the crawl above follows each kind of link once)."""
    for language in LANGUAGES:
        followed = sweep["links"][language, username]
        assert len(followed) >= 8, followed  # the crawl did get through the product
        broken = {url: r for url, r in followed.items() if r[0] in (404, 500)}
        assert not broken, (language, broken)


def test_permission_matrix_pages(sweep):
    """The permission matrix's page rows (GET, not the API; ``tests/test_permission_matrix.py``
    checks the others), read from the sweep's crawl, which opens each of them for every role in
    both languages: every cell is the matrix's expected status, in either language."""
    wrong = []
    rows = [row for row in _page_rows() if read_from_the_sweep(row)]
    assert len(rows) >= 50, len(rows)
    for row in rows:
        url = _row_url(row, sweep["world"])
        for language in LANGUAGES:
            got = tuple(sweep["opened"][language, name].get(url) for name in CAST)
            if got != row.expect:
                wrong.append(
                    f"{row.route} {row.note} ({language})\n"
                    f"    expected {row.expect}\n    got      {got}"
                )
    assert not wrong, f"{len(wrong)} rows differ (columns: {CAST}):\n" + "\n".join(wrong)
