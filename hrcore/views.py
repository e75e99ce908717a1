"""Pages of the organisation app and the site-wide ones (home, preferences, inbox, health)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import paging, selectors
from .errors import ValidationFailed
from .forms import ContactChannelsForm, PreferencesForm
from .models import Heartbeat
from .person_page import sections_for
from .security import session_mfa_satisfied
from .services import notifications as notifications_services
from .services import org, sessions


@login_required
def home(request):
    from .home import home_for

    return render(request, "hrcore/home.html", home_for(request.user, now=timezone.now()))


@login_required
def org_chart(request):
    return render(request, "hrcore/org_chart.html", {"roots": selectors.org_chart(request.user)})


@login_required
def preferences(request):
    employee = selectors.employee_of(request.user)
    initial = {
        "language": translation.get_language(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    return _preferences_page(request, employee, form)


def _preferences_page(request, employee, form, contact_form=None):
    """The preferences page; ``contact_form`` is the bound contact form after a failed save."""
    if request.method == "POST" and contact_form is None and form.is_valid():
        try:
            org.user_preferences_update(user=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            translation.activate(form.cleaned_data["language"])
            messages.success(request, _("Your preferences were saved."))
            return redirect("preferences")
    return render(
        request,
        "hrcore/preferences.html",
        {
            "form": form,
            "employee": employee,
            "contact_form": contact_form
            or (
                ContactChannelsForm(initial=ContactChannelsForm.initial_of(employee))
                if employee
                else None
            ),
            "tokens": selectors.api_tokens_of(request.user),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def preferences_contact(request):
    """Save the person's own contact channels (a card of the preferences page)."""
    from .contact_services import contact_channels_update

    employee = selectors.employee_of(request.user)
    if employee is None:
        messages.error(request, _("Your account has no employee record to hold contact channels."))
        return redirect("preferences")
    contact_form = ContactChannelsForm(request.POST)
    if contact_form.is_valid():
        try:
            contact_channels_update(
                employee=employee, actor=request.user, **contact_form.cleaned_data
            )
        except ValidationFailed as exc:
            for field, message in exc.errors.items():
                contact_form.add_error(field if field in contact_form.fields else None, message)
        else:
            messages.success(request, _("Your contact channels were saved."))
            return redirect("preferences")
    initial = {
        "language": translation.get_language(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    response = _preferences_page(
        request, employee, PreferencesForm(initial=initial), contact_form=contact_form
    )
    response.status_code = 400
    return response


@login_required
@require_POST
def logout_everywhere(request):
    """End every session of this user, this one included (API tokens stay as they are)."""
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that every session should end."))
        return redirect("preferences")
    ended = sessions.user_sessions_end_all(user=request.user)
    logout(request)
    messages.success(
        request,
        _("You were logged out everywhere (%(count)s sessions ended). API tokens were not touched.")
        % {"count": ended},
    )
    return redirect("account_login")


logger = logging.getLogger(__name__)


def admin_login(request):
    """The admin has no password form of its own: everyone logs in through allauth (password,
    then TOTP, with its lock-out), then comes back to the admin page they asked for."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        raise PermissionDenied(_("Your account may not open the administration."))
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


@require_POST
def set_language(request):
    """Switch the UI language; stored on the employee so it follows the user everywhere."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return redirect("home")
    if request.user.is_authenticated:
        org.user_preferences_update(user=request.user, language=language)
    response_to = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(response_to, allowed_hosts={request.get_host()}):
        response_to = "/"
    response = redirect(response_to)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


@login_required
def inbox(request):
    notifications = list(selectors.notifications_for(request.user)[:100])
    if request.method == "POST":
        notifications_services.notification_mark_read(user=request.user)
        return redirect("inbox")
    return render(request, "hrcore/inbox.html", {"notifications": notifications})


def healthz(request):
    """Database, broker and the age of the last timer tick, as JSON (503 when unhealthy)."""
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": "unreachable", "detail": str(exc)[:200]}
    checks["broker"] = _broker_check()
    beat = None
    if checks["database"]["ok"]:
        beat = Heartbeat.objects.filter(name="tick").first()
    if beat is None:
        checks["tick"] = {"ok": False, "error": "no tick recorded yet"}
    else:
        age = (timezone.now() - beat.at).total_seconds()
        checks["tick"] = {
            "ok": age <= settings.KEEL_TICK_STALE_AFTER.total_seconds(),
            "age_seconds": round(age, 1),
            "last": beat.at.isoformat(),
        }
    if checks["database"]["ok"]:
        checks["sweeps"] = _sweeps_check(beat)
        # Apps add their own checks (e.g. crisis: timers failing to fire).
        for name, path in getattr(settings, "KEEL_HEALTH_CHECKS", {}).items():
            try:
                checks[name] = import_string(path)()
            except Exception as exc:
                checks[name] = {
                    "ok": False,
                    "error": "the check failed",
                    "detail": f"{type(exc).__name__}: {exc}"[:200],
                }
    healthy = all(c["ok"] for c in checks.values())
    if not healthy and not _may_read_failure_details(request):
        checks = _without_failure_details(checks)
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )


# A failing check's ``detail`` (an exception message, a timer's last error) can carry internal
# text: the public probe names the failing check; staff whose session passed MFA read the detail.
def _may_read_failure_details(request) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_staff and session_mfa_satisfied(request, user))


def _without_failure_details(checks: dict[str, dict]) -> dict[str, dict]:
    for name, check in checks.items():
        if "detail" in check:
            logger.warning("healthz: %s failing: %s", name, check["detail"])
    return {name: {k: v for k, v in c.items() if k != "detail"} for name, c in checks.items()}


def _sweeps_check(beat: Heartbeat | None) -> dict:
    """Failing when the tick's last run failed (a sweep raised) after its last success."""
    failed = Heartbeat.objects.filter(name="tick.failed").first()
    if failed is None or (beat is not None and beat.at >= failed.at):
        return {"ok": True}
    return {
        "ok": False,
        "error": "the last sweep failed",
        "detail": failed.detail[:500],
        "failed_at": failed.at.isoformat(),
    }


def _broker_check() -> dict:
    from .celery import app

    url = app.conf.broker_url or ""
    if url.startswith(("filesystem", "keelfs")):
        folder = app.conf.broker_transport_options.get("data_folder_in", "")
        import os

        ok = os.path.isdir(folder) and os.access(folder, os.W_OK)
        return (
            {"ok": ok, "transport": "filesystem"}
            if ok
            else {"ok": False, "error": "queue folder not writable"}
        )
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": conn.transport_cls}
    except Exception as exc:
        return {"ok": False, "error": "unreachable", "detail": str(exc)[:200]}


@login_required
def position_detail(request, code: str):
    """A position's job description (the responsibility maps add its crisis duties)."""
    from django.shortcuts import get_object_or_404

    position = get_object_or_404(selectors.positions_visible_to(request.user), code=code)
    holders = selectors.employees_visible_to(request.user).filter(position=position)
    return render(
        request, "hrcore/position_detail.html", {"position": position, "holders": holders}
    )


# --- People (issue 17 §5) ------------------------------------------------------------------


@login_required
def people_list(request):
    """The people whose page the reader may open, found by name, pinyin, initials or HR id."""
    query = request.GET.get("q", "").strip()[:100]
    people = selectors.people_matching(
        selectors.people_visible_to(request.user).filter(is_active=True), query
    ).order_by("unit__path", "-grade", "name_en", "pk")
    page = paging.page_of(people, request.GET.get("page"))
    return render(
        request,
        "hrcore/people_list.html",
        {"query": query, "people": page.object_list, "pager": paging.pager(page, request.GET)},
    )


@login_required
def my_page(request):
    """The reader's own page ("My page"): crisis duties, training currency, commissions."""
    employee = selectors.employee_of(request.user)
    if employee is None:
        messages.info(request, _("Your account has no employee record, so it has no page."))
        return redirect("hrcore:people")
    return _person_page(request, employee)


@login_required
def person_page(request, pk: int):
    """One view of a person; a person the reader may not see does not exist for them (404)."""
    person = selectors.person_by_id(pk)
    if person is None:
        raise Http404
    return _person_page(request, person)


def _person_page(request, person):
    access = selectors.person_page_access(request.user, person)
    if not access.allowed:
        raise Http404
    manager = person.manager
    return render(
        request,
        "hrcore/person.html",
        {
            "person": person,
            "access": access,
            "manager_visible": manager is not None
            and selectors.person_page_access(request.user, manager).allowed,
            "reports": selectors.direct_reports(person),
            "sections": sections_for(request.user, person, access, now=timezone.now()),
        },
    )
