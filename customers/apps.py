from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    """Customer master data; imports only hrcore (see docs/architecture.md)."""

    name = "customers"
    verbose_name = _("Customers")
