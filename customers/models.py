"""Customer master data: a customer of the group and its credit profile."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hrcore.i18n import Bilingual

from .choices import CreditStatus


class Customer(models.Model):
    """A customer of the group as known from the CRM and finance systems (its credit profile)."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    # The pinyin and initials of the Chinese name (hrcore.search_keys), kept by the services
    # that write names (``customers.services.customer_from_crm``): the list finds it by either.
    search_key = models.CharField(max_length=400, blank=True, default="", editable=False)
    unit = models.ForeignKey(
        "hrcore.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    account_owner = models.ForeignKey(
        "hrcore.Employee",
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    overdue_days = models.IntegerField(_("days overdue"), default=0)
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    outstanding_amount = models.DecimalField(
        _("outstanding amount"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    credit_status = models.CharField(
        _("credit status"),
        max_length=20,
        choices=CreditStatus.choices,
        default=CreditStatus.GOOD,
    )
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    last_contact_risk = models.BooleanField(_("last contact shows risk"), default=False)
    last_contact_note = models.TextField(_("last contact note"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-overdue_days", "external_id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["overdue_days"], name="customer_overdue_days")]
        # The table keeps the name it had when the model lived in integrations (moved without
        # copying a row; see migrations/0001).
        db_table = "integrations_customer"

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    name = Bilingual()
