"""Filters of the customer list, shared by the page and the API (django-filter)."""

from __future__ import annotations

from django_filters import rest_framework as filters


class CustomerFilter(filters.FilterSet):
    overdue_days_min = filters.NumberFilter(
        field_name="overdue_days",
        lookup_expr="gte",
        min_value=0,
        max_value=100_000,
        decimal_places=0,
    )
    credit_status = filters.CharFilter()
    unit = filters.CharFilter(field_name="unit__code")
