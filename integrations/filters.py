"""Filters of the customer list, shared by the page and the API (django-filter)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from customers.selectors import customers_matching
from hrcore.api.filters import WholeNumberFilter


class CustomerFilter(filters.FilterSet):
    overdue_days_min = WholeNumberFilter(
        field_name="overdue_days", lookup_expr="gte", min_value=0, max_value=100_000
    )
    credit_status = filters.CharFilter()
    unit = filters.CharFilter(field_name="unit__code")
    # Name (Chinese or English), pinyin, initials or code: 华东建材 by "hdjc" or "huadong".
    q = filters.CharFilter(method="search", max_length=100)

    def search(self, queryset, name, value):
        return customers_matching(queryset, value)
