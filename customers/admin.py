"""HR-admin configuration of customer master data (saved through
``hrcore.services.configuration``, audited)."""

from django.contrib import admin

from hrcore.admin import ServiceWritesMixin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(ServiceWritesMixin, admin.ModelAdmin):
    list_display = [
        "external_id",
        "name_zh",
        "name_en",
        "unit",
        "account_owner",
        "overdue_days",
        "outstanding_amount",
        "credit_status",
    ]
    list_filter = ["credit_status", "unit"]
    search_fields = ["external_id", "name_zh", "name_en"]
