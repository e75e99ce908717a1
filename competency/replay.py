"""Replay a closed crisis as training (issue 16 §3): crisis facts in, a simulation spec out.

Pure: plain dicts in, plain dicts out (no ORM); ``replay_selectors.replay_facts`` reads the facts
and ``services.replay`` writes the spec through the authoring services.

The spec is a straight path through the crisis as it happened: the situation (start), the
information as it arrived (a narrative node per minute in which meaningful events happened, in
time order: something delivered, a deadline breached, an escalation; and each snapshot of the
dossier as it was assembled), a decision point at each real decision, and an
ending that carries the outcome and the review's findings. At a decision point the real choice
earns full credit on the deciding duty's competencies and is marked best; every other option of
the decision list earns partial credit; the review's findings are the feedback (what went well
on the real choice, what went wrong and the suggestions on the alternatives). Every choice leads
to the next step, so the graph is acyclic, fully reachable, and passes ``graph.validate_graph``.

Texts the participants typed (title, description, notes, decision text, findings) are used as
they are in both languages; the connecting sentences are Keel's, in Chinese and English.
"""

from __future__ import annotations

import itertools

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hrcore.durations import format_duration

LANGUAGES = (("zh", "zh-hans"), ("en", "en"))
PASS_MARK = 70
COMPETENCY_MINIMUM = 70
REAL_CREDIT = 10  # the real choice: full credit on the duty's competencies
ALTERNATIVE_CREDIT = 4  # another option of the list: partial credit
LABEL_MAX = 500  # SimChoice.label_* length
FEEDBACK_FINDINGS_MAX = 5  # findings quoted per feedback text

# Timeline kinds that carry information (the rest is bookkeeping: acknowledgements, comments…).
INFO_KINDS = ("delivered", "breached", "escalated")


def code_for(crisis_id: int) -> str:
    """The simulation code of a crisis's replay (one per crisis: what makes replaying idempotent)."""
    return f"replay-crisis-{crisis_id}"


def _both(message, *, minutes: float | None = None, **params) -> dict[str, str]:
    """``message`` with ``params`` in Chinese and English (``when`` is the elapsed time,
    formatted in each language)."""
    texts = {}
    for suffix, language in LANGUAGES:
        with translation.override(language):
            values = dict(params)
            if minutes is not None:
                values["when"] = format_duration(minutes=minutes)
            text = str(message)
            texts[suffix] = text % values if values else text
    return texts


def _pair(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh or en, "en": en or zh}


def _join(*parts: dict[str, str]) -> dict[str, str]:
    """Paragraphs per language (empty ones skipped)."""
    return {
        suffix: "\n\n".join(p[suffix] for p in parts if p.get(suffix))
        for suffix, _language in LANGUAGES
    }


def _typed(text: str) -> dict[str, str]:
    """User-typed text: the same words in both languages."""
    text = (text or "").strip()
    return {"zh": text, "en": text}


def _minutes_after(at, start) -> float:
    return max(0.0, (at - start).total_seconds() / 60)


def _effects(competencies: list[str], credit: int) -> dict[str, int]:
    return dict.fromkeys(competencies, credit)


def _findings_text(findings: list[dict], kinds: tuple[str, ...]) -> str:
    texts = [f["text"].strip() for f in findings if f["kind"] in kinds and f["text"].strip()]
    return "\n".join(f"• {t}" for t in texts[:FEEDBACK_FINDINGS_MAX])


def _event_text(event: dict, filed_at) -> dict[str, str]:
    duty = _pair(event.get("action_zh", ""), event.get("action_en", "")) or {}
    what = duty if (duty["zh"] or duty["en"]) else _typed(event.get("duty", ""))
    minutes = _minutes_after(event["at"], filed_at)
    if event["kind"] == "delivered":
        head = _both(_("After %(when)s — delivered: %(what)s"), minutes=minutes, what="%(what)s")
    elif event["kind"] == "breached":
        head = _both(
            _("After %(when)s — deadline missed, nothing delivered yet: %(what)s"),
            minutes=minutes,
            what="%(what)s",
        )
    else:
        head = _both(
            _("After %(when)s — escalated (step %(step)s): %(what)s"),
            minutes=minutes,
            step=event.get("step") or 1,
            what="%(what)s",
        )
    head = {s: head[s].replace("%(what)s", what[s]) for s in head}
    return _join(head, _typed(event.get("note", "")))


def _dossier_text(snapshot: dict, filed_at, *, first: bool) -> dict[str, str]:
    minutes = _minutes_after(snapshot["at"], filed_at)
    head = (
        _both(_("After %(when)s — the dossier arrived:"), minutes=minutes)
        if first
        else _both(_("After %(when)s — the dossier was refreshed:"), minutes=minutes)
    )
    return _join(head, _pair(snapshot.get("text_zh", ""), snapshot.get("text_en", "")))


def _decision_node(index: int, decision: dict, facts: dict, next_key: str) -> dict:
    competencies = decision["competencies"]
    # The deciding duty's own options where the map has them, else the engine's fixed list.
    options = decision.get("options") or facts["options"]  # [{"code", "zh", "en"}]
    labels = {o["code"]: o for o in options}
    chosen = decision.get("option") or ""
    text = (decision.get("text") or "").strip()
    if chosen in labels and chosen != "other":
        real_label = _pair(labels[chosen]["zh"], labels[chosen]["en"])
    else:
        real_label = _typed(text[:LABEL_MAX] or chosen)
    went_well = _findings_text(facts["findings"], ("went_well",))
    to_improve = _findings_text(facts["findings"], ("went_wrong", "suggestion"))
    real_feedback = _join(
        _both(_("This is what was decided in the real crisis.")),
        _typed(text) if text and text != real_label["en"] else {},
        _join(_both(_("What the review found went well:")), _typed(went_well)) if went_well else {},
    )
    alternative_feedback = _join(
        _both(_("In the real crisis the decision was: %(real)s"), real="%(real)s"),
        _join(_both(_("What the review found to improve:")), _typed(to_improve))
        if to_improve
        else {},
    )
    alternative_feedback = {
        s: alternative_feedback[s].replace("%(real)s", real_label[s]) for s in alternative_feedback
    }
    choices = [
        {
            "label_zh": real_label["zh"],
            "label_en": real_label["en"],
            "next": next_key,
            "effects": _effects(competencies, REAL_CREDIT),
            "feedback_zh": real_feedback["zh"],
            "feedback_en": real_feedback["en"],
            "best": True,
            "option": chosen,
        }
    ]
    for option in options:
        if option["code"] in (chosen, "other"):
            continue
        choices.append(
            {
                "label_zh": option["zh"],
                "label_en": option["en"],
                "next": next_key,
                "effects": _effects(competencies, ALTERNATIVE_CREDIT),
                "feedback_zh": alternative_feedback["zh"],
                "feedback_en": alternative_feedback["en"],
                "best": False,
                "option": option["code"],
            }
        )
    minutes = _minutes_after(decision["at"], facts["filed_at"])
    duty = _pair(decision.get("action_zh", ""), decision.get("action_en", ""))
    question = _join(
        _both(_("After %(when)s — decision point %(n)d."), minutes=minutes, n=index),
        duty if (duty["zh"] or duty["en"]) else {},
        _both(_("You have the information above. What do you decide?")),
    )
    return {
        "key": f"decision-{index}",
        "kind": "decision",
        "text_zh": question["zh"],
        "text_en": question["en"],
        "choices": choices,
    }


def _continue(next_key: str) -> dict:
    label = _both(_("Continue"))
    return {
        "label_zh": label["zh"],
        "label_en": label["en"],
        "next": next_key,
        "effects": {},
        "feedback_zh": "",
        "feedback_en": "",
        "best": False,
        "option": "",
    }


def replay_spec(facts: dict) -> dict:
    """The simulation spec of a closed crisis.

    ``facts``: ``crisis_id``, ``title``, ``description``, ``filed_at``, ``scenario``
    (``{"code", "name_zh", "name_en", "description_zh", "description_en"}``), ``events``
    (``[{"at", "kind": "delivered" | "breached" | "escalated", "duty", "action_zh",
    "action_en", "note", "step"}]``), ``dossiers`` (``[{"at", "text_zh", "text_en"}]``: each
    snapshot of the crisis's dossier, ``crisis.dossier_hooks``), ``decisions`` (``[{"at", "option", "text", "action_zh",
    "action_en", "competencies": [code], "options"?: [{"code", "zh", "en"}]}]``: the duty's own
    options), ``options`` (the fallback list, ``[{"code", "zh", "en"}]``),
    ``findings`` (``[{"kind", "text"}]``), ``outcome``.

    Returns ``{"code", "title_zh", "title_en", "description_zh", "description_en",
    "scenario_code", "pass_mark", "competency_minimum", "nodes": [{"key", "kind", "text_zh",
    "text_en", "ending_tone"?, "choices": [{"label_zh", "label_en", "next", "effects",
    "feedback_zh", "feedback_en", "best", "option"}]}]}``, nodes in play order."""
    scenario = facts["scenario"]
    steps: list[tuple] = [
        (e["at"], 0, "info", e) for e in facts["events"] if e["kind"] in INFO_KINDS
    ]
    steps += [(d["at"], 0, "dossier", d) for d in facts.get("dossiers") or []]
    steps += [(d["at"], 1, "decision", d) for d in facts["decisions"]]
    steps.sort(key=lambda s: (s[0], s[1]))

    title = _typed(facts["title"])
    situation = _join(
        _join(_pair(scenario["name_zh"], scenario["name_en"]), title),
        _typed(facts.get("description", "")),
        _pair(scenario.get("description_zh", ""), scenario.get("description_en", "")),
        _both(_("The crisis has just been filed. Follow the information as it arrived.")),
    )
    nodes: list[dict] = [
        {"key": "situation", "kind": "narrative", "text_zh": situation["zh"],
         "text_en": situation["en"], "choices": []}
    ]  # fmt: skip
    info_n = decision_n = dossier_n = 0
    last_minute = None
    for at, _order, kind, item in steps:
        if kind == "dossier":
            # Each assembled dossier is a step of its own: what finance, legal, the CRM and
            # attendance said at that moment.
            last_minute = None
            dossier_n += 1
            text = _dossier_text(item, facts["filed_at"], first=dossier_n == 1)
            node = {"key": f"dossier-{dossier_n}", "kind": "narrative", "text_zh": text["zh"],
                    "text_en": text["en"], "choices": []}  # fmt: skip
        elif kind == "info":
            text = _event_text(item, facts["filed_at"])
            minute = int(_minutes_after(at, facts["filed_at"]))
            previous = nodes[-1]
            if minute == last_minute and previous["key"].startswith("info-"):
                # What arrived in the same minute (a breach and its escalations) is one step.
                previous["text_zh"] += "\n" + text["zh"]
                previous["text_en"] += "\n" + text["en"]
                continue
            info_n += 1
            last_minute = minute
            node = {"key": f"info-{info_n}", "kind": "narrative", "text_zh": text["zh"],
                    "text_en": text["en"], "choices": []}  # fmt: skip
        else:
            last_minute = None
            decision_n += 1
            node = _decision_node(decision_n, item, facts, next_key="")
        nodes.append(node)

    ending = _join(
        _both(_("The crisis was closed.")),
        _join(_both(_("Outcome:")), _typed(facts.get("outcome", "")))
        if (facts.get("outcome") or "").strip()
        else {},
        _join(
            _both(_("What the review found:")),
            _typed(_findings_text(facts["findings"], ("went_well", "went_wrong", "suggestion"))),
        )
        if facts["findings"]
        else {},
    )
    nodes.append(
        {"key": "ending", "kind": "ending", "text_zh": ending["zh"], "text_en": ending["en"],
         "ending_tone": "mixed", "choices": []}
    )  # fmt: skip
    for node, following in itertools.pairwise(nodes):
        if node["kind"] == "decision":
            for choice in node["choices"]:
                choice["next"] = following["key"]
        else:
            node["choices"] = [_continue(following["key"])]

    sim_title = {
        s: t % {"title": title[s]}
        for s, t in _both(_("Replay: %(title)s"), title="%(title)s").items()
    }
    description = _both(
        _(
            "A replay of crisis #%(id)d as it happened: the information as it arrived, the real "
            "decisions and the review's findings."
        ),
        id=facts["crisis_id"],
    )
    return {
        "code": code_for(facts["crisis_id"]),
        "title_zh": sim_title["zh"][:200],
        "title_en": sim_title["en"][:200],
        "description_zh": description["zh"],
        "description_en": description["en"],
        "scenario_code": scenario["code"],
        "pass_mark": PASS_MARK,
        "competency_minimum": COMPETENCY_MINIMUM,
        "nodes": nodes,
    }


def spec_graph(spec: dict) -> dict:
    """The spec as the graph ``graph.validate_graph`` checks."""
    return {
        "start": spec["nodes"][0]["key"] if spec["nodes"] else None,
        "nodes": {
            n["key"]: {
                "kind": n["kind"],
                "time_limit": None,
                "choices": [
                    {"id": i, "next": c["next"], "condition": None, "timeout": False,
                     "effects": c["effects"]}
                    for i, c in enumerate(n["choices"])
                ],
            }
            for n in spec["nodes"]
        },
    }  # fmt: skip
