"""Role-aware navigation and the unread badge for every page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .selectors import employee_of, has_role, unread_notification_count

# (url name, label, roles that see it; empty = everyone logged in)
NAV_ITEMS = [
    # One's own page (issue 17 §2): crisis duties, training and drill currency, commissions.
    ("hrcore:my_page", _("My page"), ()),
    ("crisis:list", _("Crises"), ()),
    ("crisis:dashboard", _("Dashboard"), (Role.EXECUTIVE, Role.HR_ADMIN)),
    ("responsibilities:map_list", _("Responsibility maps"), ()),
    ("competency:home", _("Training"), ()),
    (
        "integrations:customer_list",
        _("Customers"),
        (Role.MANAGER, Role.EXECUTIVE, Role.HR_ADMIN, Role.STAFF),
    ),
    ("org_chart", _("Organisation"), ()),
    ("questions_mine", _("Questions"), ()),
    # Not "Administration": in Chinese that reads as the administration department (行政).
    ("admin:index", _("System administration"), (Role.HR_ADMIN,)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, roles in NAV_ITEMS:
        if roles and not has_role(user, *roles):
            continue
        url = reverse(name)
        items.append(
            {"url": url, "label": label, "active": request.path.startswith(url) and url != "/"}
        )
    return {
        "nav_items": items,
        "current_employee": employee_of(user),
        "unread_count": unread_notification_count(user),
    }
