"""Each adapter against the sandbox over real HTTP: success, timeout, 5xx, malformed payload,
circuit open and recovery."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from integrations import adapters

from .conftest import config


def test_finance_success(sandbox):
    finance = adapters.adapter_for(config(sandbox.url, "finance"))
    invoices = finance.unpaid_invoices("CUST-1001")
    assert [i.number for i in invoices] == ["INV-1001-04", "INV-1001-03"]
    assert sum(i.amount for i in invoices) == Decimal("1280000.00")
    payments = finance.payment_history("CUST-1001")
    assert [p.invoice for p in payments] == ["INV-1001-02", "INV-1001-01"]
    profile = finance.credit_profile("CUST-1001")
    assert profile.overdue_days == 35
    assert profile.outstanding_amount == Decimal("1280000.00")
    assert profile.overdue_since == date.today().fromordinal(date.today().toordinal() - 35)


def test_legal_success_both_languages(sandbox):
    legal = adapters.adapter_for(config(sandbox.url, "legal"))
    guide = legal.guide("debt-collection-emergency", "overdue-payment")
    assert guide.title_en == "Collectors on site: emergency script and legal basis"
    assert guide.title_zh == "催收人员到场：紧急应对话术与法律依据"
    assert guide.legal_basis[0].law_en == "Civil Code of the PRC, Article 577"
    assert "Never admit an amount or promise a payment date on the spot." in guide.never_say_en


def test_crm_success(sandbox):
    crm = adapters.adapter_for(config(sandbox.url, "crm"))
    assert crm.customer("CUST-2001").owner == "manager2"
    contacts = crm.contacts("CUST-1001", limit=2)
    assert len(contacts) == 2 and contacts[0].risk is True
    assert [c.id for c in crm.complaints("CUST-1002")] == ["CMP-1002-1"]
    assert {o.status for o in crm.orders("CUST-1004")} == {"paid"}


def test_unknown_customer_is_permanent_not_retried(sandbox):
    crm = adapters.adapter_for(config(sandbox.url, "crm"))
    before = sandbox.requests
    with pytest.raises(adapters.PermanentError, match="404"):
        crm.customer("NOPE")
    assert sandbox.requests - before == 1


def test_bad_credentials_are_permanent(sandbox):
    crm = adapters.adapter_for(config(sandbox.url, "crm", token="wrong"))
    with pytest.raises(adapters.PermanentError, match="credentials"):
        crm.customer("CUST-1001")


@pytest.mark.parametrize("kind", ["finance", "legal", "crm"])
def test_timeout_is_transient_and_retried(sandbox, kind):
    sandbox.knobs(**{kind: {"mode": "hang", "hang_seconds": 1.5}})
    adapter = adapters.adapter_for(config(sandbox.url, kind, timeout_seconds=0.2, max_attempts=2))
    call = {
        "finance": lambda: adapter.unpaid_invoices("CUST-1001"),
        "legal": lambda: adapter.guide("debt-collection"),
        "crm": lambda: adapter.contacts("CUST-1001"),
    }[kind]
    before = sandbox.requests
    with pytest.raises(adapters.TransientError, match=r"timed out after 0\.2 s"):
        call()
    # Two attempts, each ended by the client's 0.2 s timeout, not the sandbox's 1.5 s hang.
    assert sandbox.requests - before == 2


@pytest.mark.parametrize("kind", ["finance", "legal", "crm"])
def test_5xx_is_retried_then_reported(sandbox, kind):
    sandbox.knobs(**{kind: {"mode": "error"}})
    adapter = adapters.adapter_for(config(sandbox.url, kind, max_attempts=3))
    before = sandbox.requests
    with pytest.raises(adapters.TransientError, match="HTTP 500"):
        if kind == "finance":
            adapter.payment_history("CUST-1001")
        elif kind == "legal":
            adapter.guide("debt-collection")
        else:
            adapter.orders("CUST-1001")
    assert sandbox.requests - before == 3


@pytest.mark.parametrize("kind", ["finance", "legal", "crm"])
def test_malformed_payload_is_permanent_and_not_retried(sandbox, kind):
    sandbox.knobs(**{kind: {"mode": "malformed"}})
    adapter = adapters.adapter_for(config(sandbox.url, kind))
    before = sandbox.requests
    with pytest.raises(adapters.MalformedPayload) as info:
        if kind == "finance":
            adapter.credit_profile("CUST-1001")
        elif kind == "legal":
            adapter.guide("debt-collection")
        else:
            adapter.contacts("CUST-1001")
    assert "missing field" in info.value.reason
    assert sandbox.requests - before == 1


def test_partial_records_are_rejected_with_the_field_named():
    with pytest.raises(adapters.MalformedPayload, match="“due_on”"):
        adapters.Invoice.from_payload(
            {"number": "X", "issued_on": "2026-01-01", "amount": "1", "status": "unpaid"}
        )
    with pytest.raises(adapters.MalformedPayload, match="not an amount"):
        adapters.Payment.from_payload({"reference": "P", "paid_on": "2026-01-01", "amount": "abc"})
    with pytest.raises(adapters.MalformedPayload, match="time zone"):
        adapters.Contact.from_payload({"at": "2026-01-01T10:00:00", "risk": False})


@pytest.mark.parametrize("kind", ["finance", "legal", "crm"])
def test_circuit_opens_then_recovers(sandbox, kind):
    cfg = config(sandbox.url, kind, max_attempts=1, breaker_fail_max=2, breaker_reset_seconds=30)
    adapter = adapters.adapter_for(cfg)

    def call():
        if kind == "finance":
            return adapter.credit_profile("CUST-1001")
        if kind == "legal":
            return adapter.guide("debt-collection")
        return adapter.customer("CUST-1001")

    # The reset timeout is crossed by moving a frozen clock, not by sleeping through it.
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        sandbox.knobs(**{kind: {"mode": "error"}})
        for _ in range(2):
            with pytest.raises(adapters.TransientError):
                call()
        before = sandbox.requests
        with pytest.raises(adapters.CircuitOpen):
            call()
        assert sandbox.requests == before  # open: failed fast without calling the partner
        sandbox.knobs(**{kind: {"mode": "ok"}})
        clock.shift(29)
        with pytest.raises(adapters.CircuitOpen):
            call()  # still inside the reset timeout
        clock.shift(2)
        assert call() is not None  # half-open trial succeeds and closes the breaker
    assert adapters.breaker_for(cfg).current_state == "closed"


def test_registry_knows_every_kind():
    kinds = {kind for kind, _protocol in adapters.registered()}
    assert kinds == {
        "finance",
        "legal",
        "crm",
        "performance",
        "attendance",
        "im",
        "channel",
        "hr",
        "payroll",
    }
    assert [p for k, p in adapters.registered() if k == "im"] == ["dingtalk-robot", "wecom-robot"]
    with pytest.raises(adapters.PermanentError, match="no adapter"):
        adapters.adapter_for(config("http://x", "finance", protocol="soap"))


def test_every_record_is_read_by_the_one_mechanism():
    """Typed partner records declare their fields; none hand-writes its own parser."""
    from integrations.adapters import records

    kinds = [
        value
        for value in vars(records).values()
        if isinstance(value, type)
        and issubclass(value, records.Record)
        and value is not records.Record
    ]
    assert len(kinds) >= 10
    assert all("from_payload" not in kind.__dict__ for kind in kinds)
    with pytest.raises(adapters.MalformedPayload, match="attendance: unknown status 'gone'"):
        adapters.AttendanceRecord.from_payload(
            {"username": "u", "date": "2026-01-01", "status": "gone"}
        )
    with pytest.raises(adapters.MalformedPayload, match="on site without"):
        adapters.AttendanceRecord.from_payload(
            {"username": "u", "date": "2026-01-01", "status": "on_site"}
        )


def test_the_tls_context_trusts_ssl_cert_file_as_httpx_does(monkeypatch, tmp_path):
    """Partner calls and webhook deliveries share one TLS context; like httpx's default it
    trusts ``SSL_CERT_FILE`` (or ``SSL_CERT_DIR``) when set — a group's private CA — else
    certifi's bundle."""
    import certifi

    from integrations.adapters import base

    monkeypatch.setattr(base, "_ssl_context", None)  # restored after the test
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(OSError):
        base.tls_context()
    bundle = tmp_path / "group-ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    context = base.tls_context()
    assert context.cert_store_stats()["x509_ca"] > 0
    assert base.tls_context() is context  # built once
