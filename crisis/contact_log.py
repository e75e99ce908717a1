"""Contact logs written before they were stored as fields: their text, frozen in the
submitter's language ("Who was contacted: …\\nHow: By phone\\nWhat was agreed: …"), parsed back
into ``Deliverable.fields`` (pure; the data migration and its test use it)."""

from __future__ import annotations

# The labels the old form wrote, in both languages, and the channel labels back to codes.
_LABELS = {
    "contact_person": ("Who was contacted", "联系对象"),
    "contact_channel": ("How", "方式"),
    "contact_outcome": ("What was agreed", "达成的约定"),
}
_CHANNELS = {
    "By phone": "phone",
    "电话": "phone",
    "Face to face": "in_person",
    "当面": "in_person",
    "Message / IM": "message",
    "消息 / 即时通讯": "message",
    "By e-mail": "email",
    "电子邮件": "email",
}


def parse_contact_note(note: str) -> tuple[dict, str] | None:
    """``(fields, rest of the note)`` of an old contact log's note, or ``None`` when the note
    is not in that shape (then it is kept as it is). A channel label not recognised is kept as
    typed text."""
    lines = (note or "").split("\n")
    fields: dict[str, str] = {}
    used = 0
    for name, labels in _LABELS.items():
        if used >= len(lines):
            break
        line = lines[used]
        for label in labels:
            for colon in (": ", "：", ":"):
                prefix = f"{label}{colon}"
                if line.startswith(prefix):
                    fields[name] = line[len(prefix) :].strip()
                    break
            if name in fields:
                break
        if name not in fields:
            return None
        used += 1
    if "contact_person" not in fields:
        return None
    channel = fields.get("contact_channel", "")
    fields["contact_channel"] = _CHANNELS.get(channel, channel)
    return {k: v for k, v in fields.items() if v}, "\n".join(lines[used:]).strip()


def render_contact_note(fields: dict, rest: str) -> str:
    """The old text again (in English labels), for the migration's way back."""
    channel_labels = {"phone": "By phone", "in_person": "Face to face", "message": "Message / IM"}
    channel_labels["email"] = "By e-mail"
    lines = [
        f"Who was contacted: {fields.get('contact_person', '')}",
        f"How: {channel_labels.get(fields.get('contact_channel', ''), fields.get('contact_channel', ''))}",
        f"What was agreed: {fields.get('contact_outcome', '')}",
    ]
    if rest:
        lines.append(rest)
    return "\n".join(lines)


CONTACT_FIELD_LIMITS = {"contact_person": 200, "contact_channel": 32, "contact_outcome": 4000}


def clean_deliverable_fields(kind: str, fields: dict | None) -> dict:
    """A deliverable's structured content, checked: only a contact log has fields, each a
    string within its limit, the channel one of ``ContactChannel``. Raises ``ValidationFailed``
    with the field named in ``errors``."""
    from django.utils.translation import gettext as _

    from hrcore.errors import ValidationFailed

    from .choices import ContactChannel, DeliverableKind

    if kind != DeliverableKind.CONTACT_LOG or not fields:
        return {}
    if not isinstance(fields, dict):
        raise ValidationFailed(_("The contact log is not valid."), errors={"fields": "object"})
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name, value in fields.items():
        limit = CONTACT_FIELD_LIMITS.get(name)
        if limit is None:
            errors[name] = _("Unknown field.")
        elif not isinstance(value, str):
            errors[name] = _("Enter text.")
        elif len(value) > limit:
            errors[name] = _("At most %(n)d characters.") % {"n": limit}
        elif value.strip():
            clean[name] = value.strip()
    channel = clean.get("contact_channel")
    if channel and channel not in ContactChannel.values:
        errors["contact_channel"] = _("Choose one of the channels.")
    if errors:
        raise ValidationFailed(_("The contact log is not valid."), errors=errors)
    return clean
