"""Reads of customer master data that depend on who is asking."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from hrcore.choices import DepartmentFunction, Role
from hrcore.search_keys import query_key
from hrcore.selectors import employee_of, has_role

from .models import Customer

# Departments whose people work on any customer matter of their subsidiary.
SUPPORT_FUNCTIONS = (
    DepartmentFunction.FINANCE,
    DepartmentFunction.LEGAL,
    DepartmentFunction.ADMINISTRATION,
    DepartmentFunction.CUSTOMER_SERVICE,
    DepartmentFunction.EXECUTIVE,
)


def subsidiary_path(unit) -> str:
    """The path of the unit's subsidiary (or the unit itself when it is one or the group)."""
    parts = [p for p in unit.path.strip("/").split("/") if p]
    return "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else unit.path


def customers_visible_to(user: AbstractBaseUser) -> QuerySet[Customer]:
    """Executives, HR admins and partner systems see every customer; managers their unit's
    subtree; finance/legal/admin/customer-service people their subsidiary's; everyone else the
    customers they own."""
    base = Customer.objects.select_related("unit", "account_owner__user", "account_owner__unit")
    if not user.is_authenticated:
        return Customer.objects.none()
    if user.is_superuser or has_role(user, Role.EXECUTIVE, Role.HR_ADMIN, Role.PARTNER):
        return base
    employee = employee_of(user)
    if employee is None:
        return Customer.objects.none()
    q = Q(account_owner=employee)
    if has_role(user, Role.MANAGER):
        q |= Q(unit__path__startswith=employee.unit.path)
    if employee.unit.function in SUPPORT_FUNCTIONS:
        q |= Q(unit__path__startswith=subsidiary_path(employee.unit))
    return base.filter(q)


def customer_by_id(pk: int) -> Customer | None:
    """A customer by primary key (no visibility check: for background work)."""
    return Customer.objects.select_related("unit", "account_owner").filter(pk=pk).first()


def customers_matching(customers: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Customers whose name (Chinese or English), its pinyin or initials, or code contains
    ``query``, case-insensitive; every one for an empty query."""
    query = (query or "").strip()
    if not query:
        return customers
    q = Q(name_zh__icontains=query) | Q(name_en__icontains=query) | Q(external_id__icontains=query)
    key = query_key(query)
    if key:
        q |= Q(search_key__icontains=key)
    return customers.filter(q)
