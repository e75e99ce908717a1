"""The crisis page's "changing course" actions (issue 15 §4): POST, call the service, back to
the crisis page with a message. The panel itself is ``templatetags/crisis_course.py``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hrcore.api.errors import forbidden
from hrcore.errors import KeelError, PermissionDenied

from . import course_forms
from .choices import TaskKind
from .selectors import access as access_selectors
from .selectors import crises as crises_selectors
from .selectors import people as people_selectors
from .services import course as course_services
from .services import status_updates as status_services
from .services.added_tasks import task_add
from .services.tasks import task_cancel


def _run(request, crisis_pk: int, form, act, *, invalid: str):
    """Validate ``form``, run ``act(data)`` (a service call returning the success message),
    show the outcome and go back to the crisis page; a refusal by role answers 403."""
    if not form.is_valid():
        messages.error(request, invalid)
    else:
        try:
            done = act(form.cleaned_data)
        except PermissionDenied as exc:
            return forbidden(request, exc)
        except KeelError as exc:
            details = "; ".join(
                " ".join(str(p) for p in (v if isinstance(v, (list, tuple)) else [v]))
                for v in (exc.errors or {}).values()
            )
            messages.error(request, f"{exc.message} ({details})" if details else exc.message)
        else:
            messages.success(request, done)
    return redirect("crisis:detail", pk=crisis_pk)


def _crisis(request, pk: int):
    crisis = crises_selectors.crisis_for_page(request.user, pk)
    if crisis is None:
        raise Http404(_("No such crisis, or you may not see it."))
    return crisis


@require_POST
@login_required
def add_task(request, pk: int):
    crisis = _crisis(request, pk)
    form = course_forms.AdhocTaskForm(
        request.POST, people=people_selectors.reassign_candidates(crisis)
    )

    def act(data):
        task_add(
            crisis=crisis,
            kind=TaskKind.ADHOC,
            assignee=people_selectors.employee_by_id(int(data["assignee"])),
            action=data["action"],
            deadline_minutes=data["deadline_minutes"],
            actor=request.user,
        )
        return _("Task added; its owner has been notified and the clock runs.")

    return _run(request, crisis.pk, form, act, invalid=_("Say what, who and by when."))


def _crisis_action(form_class, act, *, done, invalid):
    """A POST view on one crisis: ``act(request, crisis, cleaned_data)`` calls the service;
    ``done`` and ``invalid`` are the (lazy) messages of success and of an incomplete form."""

    @require_POST
    @login_required
    def view(request, pk: int):
        crisis = _crisis(request, pk)

        def run(data):
            act(request, crisis, data)
            return str(done)

        return _run(request, crisis.pk, form_class(request.POST), run, invalid=str(invalid))

    return view


change_severity = _crisis_action(
    course_forms.SeverityForm,
    lambda request, crisis, data: course_services.crisis_severity_change(
        crisis=crisis, severity=data["severity"], actor=request.user
    ),
    done=gettext_lazy("Severity changed; open tasks' deadlines follow it and everyone was told."),
    invalid=gettext_lazy("Choose a severity."),
)
invite = _crisis_action(
    course_forms.InviteForm,
    lambda request, crisis, data: course_services.crisis_invite_username(
        crisis=crisis, username=data["username"], actor=request.user
    ),
    done=gettext_lazy("Invited: they see this crisis, and nothing else."),
    invalid=gettext_lazy("Give the guest's user name."),
)
uninvite = _crisis_action(
    course_forms.InviteForm,
    lambda request, crisis, data: course_services.crisis_uninvite(
        crisis=crisis, username=data["username"], actor=request.user
    ),
    done=gettext_lazy("Invitation withdrawn."),
    invalid=gettext_lazy("Give the guest's user name."),
)
link = _crisis_action(
    course_forms.LinkForm,
    lambda request, crisis, data: course_services.crises_link(
        crisis=crisis, other_id=data["crisis"], actor=request.user
    ),
    done=gettext_lazy("Crises linked."),
    invalid=gettext_lazy("Give the related crisis's number."),
)
unlink = _crisis_action(
    course_forms.LinkForm,
    lambda request, crisis, data: course_services.crises_unlink(
        crisis=crisis, other_id=data["crisis"], actor=request.user
    ),
    done=gettext_lazy("Link removed."),
    invalid=gettext_lazy("Give the related crisis's number."),
)
reopen = _crisis_action(
    course_forms.ReasonForm,
    lambda request, crisis, data: course_services.crisis_reopen(
        crisis=crisis, reason=data["reason"], actor=request.user
    ),
    done=gettext_lazy(
        "Crisis reopened. Tasks cancelled at closing stay cancelled: add what is to do."
    ),
    invalid=gettext_lazy("Say why the crisis reopens."),
)
status_update = _crisis_action(
    course_forms.StatusUpdateForm,
    lambda request, crisis, data: status_services.status_update_post(
        crisis=crisis, body=data["body"], actor=request.user
    ),
    done=gettext_lazy("Status update posted to everyone taking part."),
    invalid=gettext_lazy("Write where things stand."),
)


@require_POST
@login_required
def cancel_task(request, pk: int):
    task = access_selectors.tasks_visible_to(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404(_("No such task, or you may not see it."))

    def act(data):
        task_cancel(task=task, actor=request.user, reason=data["reason"])
        return _("Task cancelled.")

    form = course_forms.ReasonForm(request.POST)
    return _run(request, task.crisis_id, form, act, invalid=_("Say why the task is cancelled."))


urlpatterns = [
    path("<int:pk>/course/task/", add_task, name="course_add_task"),
    path("<int:pk>/course/severity/", change_severity, name="course_severity"),
    path("<int:pk>/course/invite/", invite, name="course_invite"),
    path("<int:pk>/course/uninvite/", uninvite, name="course_uninvite"),
    path("<int:pk>/course/link/", link, name="course_link"),
    path("<int:pk>/course/unlink/", unlink, name="course_unlink"),
    path("<int:pk>/reopen/", reopen, name="reopen"),
    path("<int:pk>/status-update/", status_update, name="status_update"),
    path("tasks/<int:pk>/cancel/", cancel_task, name="task_cancel"),
]
