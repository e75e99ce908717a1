"""The map editor for HR people: duty rows with pickers, the drawing redrawn as they edit (a
JSON preview the page's script asks for), and publishing after a page showing the diff.

Thin: the rows are a formset, every rule is the services' (the same for API, admin and editor),
and the service's field keys (``duties[1].deadline_minutes``) are turned into messages beside
the row and field they belong to."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrcore.errors import KeelError, ValidationFailed
from hrcore.selectors import is_hr_admin

from . import drawing, planning, selectors, wording
from .choices import MapStatus
from .competencies import competency_choices
from .forms import DutyForm, MapHeaderForm
from .services import maps, validation

MAX_ROWS = 100


def _require_hr_admin(request) -> None:
    if not is_hr_admin(request.user):
        raise DjangoPermissionDenied


def _formset(*, data=None, initial=None):
    """The duty rows, with pickers listing the positions and competencies by name."""
    positions = selectors.position_titles()
    if data is not None:
        try:
            total = min(int(data.get("duties-TOTAL_FORMS", 0)), MAX_ROWS)
        except ValueError:
            total = 0
        codes = [(data.get(f"duties-{i}-code") or "").strip() for i in range(total)]
    else:
        codes = [d["code"] for d in initial or []]
    form_kwargs = {
        "duty_codes": [c for c in codes if c],
        "positions": positions,
        "competencies": competency_choices(),
    }
    formset_class = forms.formset_factory(
        DutyForm, extra=0 if (initial or data is not None) else 1, max_num=MAX_ROWS
    )
    if data is not None:
        return formset_class(data, prefix="duties", form_kwargs=form_kwargs)
    return formset_class(initial=initial or [], prefix="duties", form_kwargs=form_kwargs)


def _rows(formset) -> tuple[list[dict], list[int]]:
    """The duties of the rows someone filled in (an untouched blank row is skipped), in order,
    and each duty's row number."""
    duties, index = [], []
    for i, form in enumerate(formset.forms):
        if not form.has_changed() or form.errors:
            continue
        duties.append(form.to_duty())
        index.append(i)
    return duties, index


def _place(
    errors: dict[str, str], index: list[int]
) -> tuple[dict[int, dict[str, str]], list[tuple[str, str]]]:
    """The service's errors by row and field of the editor, and (key, message) of the others."""
    by_row: dict[int, dict[str, str]] = {}
    whole: list[tuple[str, str]] = []
    for key, message in errors.items():
        if key.startswith("duties[") and "]" in key:
            i = int(key[len("duties[") : key.index("]")])
            name = key[key.index("]") + 2 :] if "." in key else ""
            if i < len(index):
                field = DutyForm.SERVICE_FIELDS.get(name, "__all__")
                by_row.setdefault(index[i], {})[field] = message
                continue
        whole.append((key, message))
    return by_row, whole


def _names() -> wording.Names:
    return wording.Names(
        positions=selectors.position_titles(), competencies=dict(competency_choices())
    )


def _drawn(duties: list[dict], title: str) -> str:
    """The drawing of what the rows say now (duties without a code or deadline left out)."""
    names = _names()
    seen: set[str] = set()
    drawable = []
    for d in duties:
        if d["code"] and d["deadline_minutes"] > 0 and d["code"] not in seen:
            seen.add(d["code"])
            drawable.append(d)
    try:
        plan = planning.schedule(drawable)
    except ValueError:
        return render_to_string(
            "responsibilities/_editor_drawing.html", {"cycle": True, "map_title": title}
        )
    labels = [
        {
            "code": d["code"],
            "label": wording.assignee(d, names),
            "sublabel": wording.value_text("deliverable", d["deliverable"], names),
            "title": d["action_en"] if get_language() == "en" else d["action_zh"] or d["action_en"],
            "deliverable": d["deliverable"],
            "warn_ratio": d["warn_ratio"],
            "after": d["after"],
        }
        for d in drawable
    ]
    drawn = drawing.draw(plan, labels) if drawable else None
    return render_to_string(
        "responsibilities/_editor_drawing.html",
        {"drawing": drawn, "map": {"title": title}, "plan": plan},
    )


def _header_initial(request, m) -> dict:
    if m is not None:
        return {
            "scenario": m.scenario,
            "scope": m.scope,
            "title_zh": m.title_zh,
            "title_en": m.title_en,
            "change_note": m.change_note,
        }
    code = request.GET.get("scenario")
    scenario = selectors.scenarios_visible_to(request.user).filter(code=code).first()
    return {"scenario": scenario} if scenario else {}


def _draft_or_none(request, pk: int | None):
    if pk is None:
        return None
    return get_object_or_404(selectors.maps_visible_to(request.user), pk=pk)


@login_required
def map_edit(request, pk: int | None = None):
    """Build a new map, or edit a draft: the header, one row of pickers per duty, the drawing."""
    _require_hr_admin(request)
    m = _draft_or_none(request, pk)
    if m is not None and m.status != MapStatus.DRAFT:
        messages.error(request, _("Published versions are frozen; create the next version."))
        return redirect("responsibilities:map_detail", pk=m.pk)
    data = request.POST if request.method == "POST" else None
    header = MapHeaderForm(data, initial=_header_initial(request, m), locked=m is not None)
    if data is None:
        initial = [DutyForm.initial_from(d) for d in maps.map_duty_dicts(m)] if m else []
        formset = _formset(initial=initial)
    else:
        formset = _formset(data=data)
    map_errors: list[str] = []
    if data is not None and header.is_valid() and formset.is_valid():
        duties, index = _rows(formset)
        h = header.cleaned_data
        try:
            if m is None:
                m = maps.responsibility_map_create(
                    scenario=h["scenario"],
                    scope=h["scope"],
                    duties=duties,
                    title_zh=h["title_zh"],
                    title_en=h["title_en"],
                    change_note=h["change_note"],
                    actor=request.user,
                )
            else:
                maps.responsibility_map_update(
                    responsibility_map=m,
                    duties=duties,
                    title_zh=h["title_zh"],
                    title_en=h["title_en"],
                    change_note=h["change_note"],
                    actor=request.user,
                )
        except ValidationFailed as exc:
            by_row, whole = _place(exc.errors, index)
            for i, fields in by_row.items():
                for field, message in fields.items():
                    formset.forms[i].add_error(None if field == "__all__" else field, message)
            for key, message in whole:
                if key in header.fields and not header.fields[key].disabled:
                    header.add_error(key, message)
                else:
                    map_errors.append(message)
        except KeelError as exc:
            map_errors.append(exc.message)
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("responsibilities:map_detail", pk=m.pk)
    if data is not None and (header.errors or formset.total_error_count()) and not map_errors:
        map_errors.append(_("The map was not saved: see the marked rows and fields."))
    if data is not None:
        duties_now = [f.to_duty() for f in formset.forms if f.is_valid() and f.has_changed()]
    else:
        duties_now = [dict(d) for d in maps.map_duty_dicts(m)] if m else []
    title = m.title if m else _("New responsibility map")
    return render(
        request,
        "responsibilities/map_edit.html",
        {
            "map": m,
            "header": header,
            "formset": formset,
            "map_errors": map_errors,
            "drawing_html": _drawn(duties_now, title),
        },
    )


@login_required
@require_POST
def map_preview(request):
    """What the rows say now: the drawing and every problem, by row and field, without saving."""
    _require_hr_admin(request)
    formset = _formset(data=request.POST)
    formset.is_valid()
    rows: dict[int, dict[str, str]] = {}
    for i, form in enumerate(formset.forms):
        if form.has_changed() and form.errors:
            rows[i] = {field: " ".join(errs) for field, errs in form.errors.items()}
    duties, index = _rows(formset)
    _clean, errors = validation.duties_check(duties)
    by_row, whole = _place(errors, index)
    for i, fields in by_row.items():
        rows.setdefault(i, {}).update(fields)
    title = (request.POST.get("title_zh") if get_language() != "en" else "") or request.POST.get(
        "title_en", ""
    )
    return JsonResponse(
        {
            "drawing": _drawn(duties, title or _("New responsibility map")),
            "rows": {str(i): fields for i, fields in rows.items()},
            "map": [message for _key, message in whole],
        }
    )


def _effective_from(raw: str):
    """The optional "takes effect from" of the publish form (the reader's time zone), or None:
    now. A version published for a future date takes over at that date."""
    raw = raw.strip()
    if not raw:
        return None
    moment = parse_datetime(raw.replace(" ", "T"))
    if moment is None:
        raise ValidationFailed(
            _("Give the date and time the version takes effect, e.g. 2026-12-05 09:00."),
            errors={"effective_from": _("Not a date and time.")},
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
def map_publish(request, pk: int):
    """GET: the confirmation page with the diff to the version in force; POST: publish."""
    _require_hr_admin(request)
    m = get_object_or_404(selectors.map_with_duties(selectors.maps_visible_to(request.user)), pk=pk)
    if request.method == "POST":
        try:
            maps.responsibility_map_publish(
                responsibility_map=m,
                actor=request.user,
                effective_from=_effective_from(request.POST.get("effective_from", "")),
            )
        except KeelError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The map is published."))
        return redirect("responsibilities:map_detail", pk=m.pk)
    if m.status != MapStatus.DRAFT:
        messages.error(request, _("Only drafts can be published."))
        return redirect("responsibilities:map_detail", pk=m.pk)
    current = selectors.published_version_of(m)
    old = maps.map_duty_dicts(current) if current else []
    new = maps.map_duty_dicts(m)
    diff = wording.diff_in_words(
        planning.diff(old, new), old, new, _names(), english=get_language() == "en"
    )
    return render(
        request,
        "responsibilities/map_publish.html",
        {
            "map": m,
            "current": current,
            "diff": diff,
            "problems": maps.responsibility_map_validate(responsibility_map=m),
        },
    )
