"""A decision duty's options (issue 15 §1): their shape, checks, labels and the editor's text
form. Pure (no ORM): the map services, the editor and the crisis engine share it.

One option: ``{"code": "disclose", "label": {"zh": "…", "en": "…"}, "follow_ups": [...]}``;
a follow-up the option pre-fills: ``{"action": {"zh": "…", "en": "…"}, "function":
"<department function>", "deadline_minutes": 120}``. Free text ("other") is always possible
besides the map's options, so "other" is no option code."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _

from hrcore.choices import DepartmentFunction
from hrcore.i18n import is_chinese

from .choices import MAX_DEADLINE_MINUTES

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
FREE_TEXT = "other"
MAX_OPTIONS = 12
MAX_FOLLOW_UPS = 8
MAX_LABEL = 200
MAX_FOLLOW_UP_ACTION = 500


def label_of(option: Mapping, language: str | None = None) -> str:
    """An option's label in the active (or given) language, falling back to the other one,
    then to its code."""
    label = option.get("label") or {}
    zh, en = str(label.get("zh") or ""), str(label.get("en") or "")
    first, second = (zh, en) if is_chinese(language) else (en, zh)
    return first or second or str(option.get("code") or "")


def _bilingual(raw, *, where: str, errors: dict, key: str, limit: int) -> dict[str, str]:
    if isinstance(raw, str):
        raw = {"zh": raw, "en": raw}
    if not isinstance(raw, Mapping):
        errors[key] = _("%(where)s: give the text in Chinese and English.") % {"where": where}
        return {"zh": "", "en": ""}
    value = {lang: str(raw.get(lang) or "").strip() for lang in ("zh", "en")}
    if not value["zh"] and not value["en"]:
        errors[key] = _("%(where)s: the text is missing.") % {"where": where}
    elif max(len(v) for v in value.values()) > limit:
        errors[key] = _("%(where)s: the text is longer than %(n)d characters.") % {
            "where": where,
            "n": limit,
        }
    return value


def normalise_options(raw, *, duty: str, prefix: str) -> tuple[list[dict], dict[str, str]]:
    """Check the options of one duty; clean options and errors keyed ``<prefix>.options``."""
    errors: dict[str, str] = {}
    key = f"{prefix}.options"
    if raw in (None, ""):
        return [], errors
    if not isinstance(raw, list | tuple):
        return [], {key: _("Duty %(duty)s: the options must be a list.") % {"duty": duty}}
    if len(raw) > MAX_OPTIONS:
        errors[key] = _("Duty %(duty)s: at most %(n)d options.") % {"duty": duty, "n": MAX_OPTIONS}
    clean: list[dict] = []
    seen: set[str] = set()
    for i, option in enumerate(raw[:MAX_OPTIONS]):
        where = _("Duty %(duty)s, option %(n)d") % {"duty": duty, "n": i + 1}
        if not isinstance(option, Mapping):
            errors[key] = _("%(where)s must be an object.") % {"where": where}
            continue
        code = str(option.get("code") or "").strip()
        if not code or not SLUG_RE.match(code) or len(code) > 64:
            errors[key] = _(
                "%(where)s: the code may only use letters, digits, hyphens and underscores "
                "(at most 64)."
            ) % {"where": where}
        elif code == FREE_TEXT:
            errors[key] = _(
                "%(where)s: “%(code)s” is reserved for free text, which is always possible."
            ) % {"where": where, "code": FREE_TEXT}
        elif code in seen:
            errors[key] = _("%(where)s: the code “%(code)s” is used twice.") % {
                "where": where,
                "code": code,
            }
        seen.add(code)
        label = _bilingual(
            option.get("label"), where=where, errors=errors, key=key, limit=MAX_LABEL
        )
        follow_ups = option.get("follow_ups") or []
        if not isinstance(follow_ups, list | tuple) or len(follow_ups) > MAX_FOLLOW_UPS:
            errors[key] = _("%(where)s: give at most %(n)d follow-ups as a list.") % {
                "where": where,
                "n": MAX_FOLLOW_UPS,
            }
            follow_ups = []
        clean_follow_ups = []
        for j, follow_up in enumerate(follow_ups):
            fwhere = _("%(where)s, follow-up %(n)d") % {"where": where, "n": j + 1}
            if not isinstance(follow_up, Mapping):
                errors[key] = _("%(where)s must be an object.") % {"where": fwhere}
                continue
            action = _bilingual(
                follow_up.get("action"),
                where=fwhere,
                errors=errors,
                key=key,
                limit=MAX_FOLLOW_UP_ACTION,
            )
            function = str(follow_up.get("function") or "").strip()
            if function not in DepartmentFunction.values:
                errors[key] = _(
                    "%(where)s: unknown department function “%(function)s”. Use one of: "
                    "%(choices)s."
                ) % {
                    "where": fwhere,
                    "function": function[:64],
                    "choices": ", ".join(DepartmentFunction.values),
                }
            minutes = follow_up.get("deadline_minutes")
            if (
                isinstance(minutes, bool)
                or not isinstance(minutes, int)
                or not 0 < minutes <= MAX_DEADLINE_MINUTES
            ):
                errors[key] = _(
                    "%(where)s: the deadline must be a whole number of minutes between 1 and "
                    "%(max)d."
                ) % {"where": fwhere, "max": MAX_DEADLINE_MINUTES}
                minutes = 0
            clean_follow_ups.append(
                {"action": action, "function": function, "deadline_minutes": minutes}
            )
        clean.append({"code": code, "label": label, "follow_ups": clean_follow_ups})
    return clean, errors


# The editor's text form: one option a line, "code | label in Chinese | label in English"; a
# follow-up of the option above on a line starting with ">": "> function | minutes | action in
# Chinese | action in English".


def options_to_text(options: Sequence[Mapping]) -> str:
    lines = []
    for option in options or []:
        label = option.get("label") or {}
        lines.append(f"{option.get('code', '')} | {label.get('zh', '')} | {label.get('en', '')}")
        for f in option.get("follow_ups") or []:
            action = f.get("action") or {}
            lines.append(
                f"> {f.get('function', '')} | {f.get('deadline_minutes', '')} | "
                f"{action.get('zh', '')} | {action.get('en', '')}"
            )
    return "\n".join(lines)


def options_from_text(text: str) -> tuple[list[dict], str | None]:
    """The editor's text → options (unchecked: the services check them), or a problem."""
    options: list[dict] = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith(">"):
            parts = [p.strip() for p in line.lstrip()[1:].split("|")]
            if not options or len(parts) != 4:
                return [], _(
                    "Line %(n)d: a follow-up reads “> function | minutes | action in Chinese | "
                    "action in English” "
                    "under its option."
                ) % {"n": n}
            try:
                minutes = int(parts[1])
            except ValueError:
                return [], _("Line %(n)d: the minutes must be a whole number.") % {"n": n}
            options[-1]["follow_ups"].append(
                {
                    "function": parts[0],
                    "deadline_minutes": minutes,
                    "action": {"zh": parts[2], "en": parts[3]},
                }
            )
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            return [], _(
                "Line %(n)d: an option reads “code | label in Chinese | label in English”."
            ) % {"n": n}
        options.append(
            {"code": parts[0], "label": {"zh": parts[1], "en": parts[2]}, "follow_ups": []}
        )
    return options, None
