"""Writes of a person's contact channels (the preferences page and the API of the person
themselves; HR admins edit the same fields in the admin through ``employee_save``)."""

from __future__ import annotations

from datetime import time

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from .errors import PermissionDenied, ValidationFailed
from .models import Employee

CONTACT_FIELDS = (
    "mobile",
    "dingtalk_user_id",
    "wecom_user_id",
    "feishu_open_id",
    "channel_order",
    "quiet_hours_start",
    "quiet_hours_end",
)


@transaction.atomic
def contact_channels_update(
    *,
    employee: Employee,
    actor: User,
    email: str,
    mobile: str = "",
    dingtalk_user_id: str = "",
    wecom_user_id: str = "",
    feishu_open_id: str = "",
    channel_order: str = "",
    quiet_hours_start: time | None = None,
    quiet_hours_end: time | None = None,
) -> Employee:
    """The person corrects their own contact channels: validated field by field (the same
    validators the admin runs), both or neither quiet-hour bound, saved together with the
    account's e-mail (audited through auditlog on both rows). Nothing is saved when any field
    is invalid."""
    if actor.pk != employee.user_id:
        raise PermissionDenied(_("You can only change your own contact channels."))
    values = {
        "mobile": mobile.strip(),
        "dingtalk_user_id": dingtalk_user_id.strip(),
        "wecom_user_id": wecom_user_id.strip(),
        "feishu_open_id": feishu_open_id.strip(),
        "channel_order": ",".join(p.strip().lower() for p in channel_order.split(",") if p.strip()),
        "quiet_hours_start": quiet_hours_start,
        "quiet_hours_end": quiet_hours_end,
    }
    email = email.strip()
    errors: dict[str, str] = {}
    for name, value in values.items():
        field = Employee._meta.get_field(name)
        try:
            field.clean(value, employee)
        except ValidationError as exc:
            errors[name] = " ".join(exc.messages)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            errors["email"] = " ".join(exc.messages)
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        errors["quiet_hours_end"] = _("Give both ends of your quiet hours, or neither.")
    if errors:
        raise ValidationFailed(_("The contact channels are not valid."), errors=errors)
    for name, value in values.items():
        setattr(employee, name, value)
    employee.save(update_fields=list(CONTACT_FIELDS))
    user = employee.user
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    return employee
