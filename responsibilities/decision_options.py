"""A decision duty's options (issue 15 §1): their shape, checks, labels and the editor's text
form. Pure (no ORM): the map services, the editor and the crisis engine share it.

One option: ``{"code": "disclose", "label": {"zh": "…", "en": "…"}, "follow_ups": [...],
"credit": 1.0}``;
a follow-up the option pre-fills: ``{"action": {"zh": "…", "en": "…"}, "function":
"<department function>", "deadline_minutes": 120}``. Free text ("other") is always possible
besides the map's options, so "other" is no option code.

``credit`` (optional, 0–1) is what choosing the option is worth in a drill (issue 16): 1 marks a
preferred option, e.g. 0.5 an acceptable one, 0 a poor one. Once any option of a duty carries a
credit, an option without one earns nothing; a duty with no credit at all is not scored."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
        entry = {"code": code, "label": label, "follow_ups": clean_follow_ups}
        credit = option.get("credit")
        if credit is not None:
            if not _is_credit(credit):
                errors[key] = _("%(where)s: the credit must be a number from 0 to 1.") % {
                    "where": where
                }
            else:
                entry["credit"] = float(credit)
        clean.append(entry)
    return clean, errors


def _is_credit(value) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and 0 <= value <= 1
    )


# --- Decision quality (issue 16): the option chosen in a drill against the map's credits ------


@dataclass(frozen=True)
class DecisionQuality:
    """How good a drill's decision was by the map: ``score`` 0–1, or None when the map rates no
    option or the decision was free text (a person has to judge that one)."""

    chosen: str
    preferred: tuple[str, ...]
    score: float | None


def preferred_codes(options: Sequence[Mapping]) -> list[str]:
    """The options marked preferred (full credit), in map order."""
    return [str(o.get("code")) for o in options or [] if o.get("credit") == 1]


def without_credits(options: Sequence[Mapping]) -> list[dict]:
    """``options`` as someone who may not see the map's credits reads them (the people a drill
    scores must not learn the preferred options from the map)."""
    return [{k: v for k, v in o.items() if k != "credit"} for o in options or []]


def is_rated(options: Sequence[Mapping]) -> bool:
    return any(o.get("credit") is not None for o in options or [])


def decision_quality(options: Sequence[Mapping], chosen: str | None) -> DecisionQuality:
    """Score the option ``chosen`` against ``options``' credits (see the module's docstring)."""
    chosen = (chosen or "").strip()
    preferred = tuple(preferred_codes(options))
    if not is_rated(options) or chosen in ("", FREE_TEXT):
        return DecisionQuality(chosen, preferred, None)
    credit = next((o.get("credit") for o in options if o.get("code") == chosen), None)
    return DecisionQuality(chosen, preferred, float(credit or 0.0))


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


def credit_to_text(options: Sequence[Mapping]) -> str:
    """The editor's "preferred options" text: "code" for full credit, "code = 0.5" otherwise."""
    lines = []
    for option in options or []:
        credit = option.get("credit")
        if credit is None:
            continue
        lines.append(
            str(option.get("code")) if credit == 1 else f"{option.get('code')} = {credit:g}"
        )
    return "\n".join(lines)


def credit_from_text(text: str, options: Sequence[Mapping]) -> tuple[list[dict], str | None]:
    """The editor's "preferred options" text applied to ``options`` (copies, every credit set
    from the text), or a problem: an unknown code, a bad number, a code named twice."""
    codes = [str(o.get("code")) for o in options]
    credits: dict[str, float] = {}
    for n, line in enumerate((text or "").replace(",", "\n").splitlines(), start=1):
        if not line.strip():
            continue
        code, sep, number = (p.strip() for p in line.replace(":", "=").partition("="))
        if code not in codes:
            return [], _("“%(code)s” is not one of this duty's options (%(codes)s).") % {
                "code": code[:64],
                "codes": ", ".join(codes) or "—",
            }
        if code in credits:
            return [], _("“%(code)s” is named twice.") % {"code": code[:64]}
        try:
            credit = float(number) if sep else 1.0
        except ValueError:
            credit = -1.0
        if not _is_credit(credit):
            return [], _("Line %(n)d: the credit must be a number from 0 to 1.") % {"n": n}
        credits[code] = credit
    clean = []
    for option in options:
        option = {k: v for k, v in option.items() if k != "credit"}
        if option.get("code") in credits:
            option["credit"] = credits[option["code"]]
        clean.append(option)
    return clean, None


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
