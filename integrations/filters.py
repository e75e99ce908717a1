"""Filters of the customer list, shared by the page and the API (django-filter)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from hrcore.api.filters import WholeNumberFilter


class CustomerFilter(filters.FilterSet):
    overdue_days_min = WholeNumberFilter(
        field_name="overdue_days", lookup_expr="gte", min_value=0, max_value=100_000
    )
    credit_status = filters.CharFilter()
    unit = filters.CharFilter(field_name="unit__code")
