"""Issue 16 §1: a drill's dossier is a frozen snapshot of the last real one, and a drill writes
nothing to any partner — over real HTTP to the sandbox partners, which record every write."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from werkzeug import Response

from crisis.services.closure import crisis_close
from crisis.services.decisions import decision_make
from crisis.services.drills import drill_stop
from crisis.services.filing import crisis_file
from customers.models import Customer
from hrcore.models import OutboxMessage
from hrcore.services.outbox import outbox_relay_due
from integrations import adapters
from integrations.adapters import PayLine
from integrations.models import Dossier, Partner, ResponsePlan
from integrations.services import dossiers
from integrations.services import partners as partners_services

from .conftest import SANDBOX_TOKEN, webhook_secret_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def write_partners(partners, sandbox):
    """Performance and payroll partners besides the dossier's, on the same sandbox."""
    user = partners["finance"].service_user
    for kind in ("performance", "payroll"):
        partners_services.partner_save(
            slug=f"sandbox-{kind}",
            name=f"Sandbox {kind}",
            kind=kind,
            base_url=sandbox.url,
            token=SANDBOX_TOKEN,
            webhook_secret=webhook_secret_of(kind),
            timeout_seconds=2.0,
            max_attempts=2,
            enabled=True,
            service_user=user,
        )
    return partners


def _file_drill(users, capture, **kwargs):
    with capture(execute=True):
        return crisis_file(
            scenario=kwargs.pop("scenario", "debt-collection"),
            title="演练：催收人员到访",
            actor=users["hradmin"],
            drill=True,
            drill_speed=4,
            **kwargs,
        )


def _every_partner_write():
    """Each write a partner adapter can make, to every enabled partner that takes one."""
    tried = []
    for partner in Partner.objects.filter(enabled=True).order_by("kind"):
        adapter = adapters.adapter_for(partner.config())
        if partner.kind == "performance":
            tried.append(
                lambda a=adapter: a.record_event(
                    employee="sh-manager", kind="crisis_duty", reference="drill", points=1
                )
            )
        elif partner.kind == "payroll":
            line = PayLine("drill-1", "E001", "王经理", "2026-11", Decimal("100.00"), "CNY")
            tried.append(lambda a=adapter, line=line: a.submit(line))
    return tried


def test_a_drill_copies_the_last_real_dossier_and_writes_to_no_partner(
    write_partners, sandbox, file_crisis, users, django_capture_on_commit_callbacks
):
    real = file_crisis()
    real_dossier = Dossier.objects.get(crisis=real)
    assert real_dossier.status == "complete"
    real_data = dict(real_dossier.sources.values_list("source", "data"))

    drill = _file_drill(users, django_capture_on_commit_callbacks, customer_external_id="CUST-1001")
    snapshot = Dossier.objects.get(crisis=drill)
    assert (snapshot.status, snapshot.reason, snapshot.snapshot_of_id) == (
        "complete",
        "drill",
        real_dossier.pk,
    )
    assert snapshot.snapshot_taken_at == real_dossier.completed_at
    assert dict(snapshot.sources.values_list("source", "data")) == real_data
    assert ResponsePlan.objects.filter(crisis_id=drill.pk, dossier=snapshot).exists()
    # Refreshed (the page's button, a partner's webhook, the retry sweep): the same snapshot.
    assert dossiers.dossier_request(crisis_id=drill.pk, reason="refresh") == snapshot
    assert dossiers.dossier_retry_failed() == 0
    assert Dossier.objects.filter(crisis=drill).count() == 1

    writes_before = sandbox.writes
    tried = _every_partner_write()
    assert len(tried) == 2
    with adapters.partner_writes_refused(f"drill #{drill.pk}"):
        for write in tried + _every_partner_write():  # adapters made before and inside
            with pytest.raises(adapters.PartnerWriteRefused):
                write()
    with django_capture_on_commit_callbacks(execute=True):
        decision_make(crisis=drill, text="协商", option="negotiate", actor=users["vp"])
        drill_stop(crisis=drill, actor=users["hradmin"])
    assert sandbox.writes == writes_before == []
    assert sandbox.app.performance == [] and sandbox.app.payroll == {}
    # The same write outside a drill reaches the partner: the guard is what stopped it above.
    tried[-1]()
    assert sandbox.writes == [("POST", "/performance/events")]


def test_a_drill_with_no_real_dossier_pulls_read_only_and_leaves_the_customer_alone(
    write_partners, sandbox, users, django_capture_on_commit_callbacks
):
    customer = Customer.objects.get(external_id="CUST-2001")
    Customer.objects.filter(pk=customer.pk).update(overdue_days=1, outstanding_amount=0)
    drill = _file_drill(users, django_capture_on_commit_callbacks, customer_external_id="CUST-2001")
    dossier = Dossier.objects.filter(crisis=drill).get()
    if dossier.status != "complete":
        dossier = dossiers.dossier_assemble(dossier_id=dossier.pk)
    assert dossier.snapshot_of_id is None and dossier.status == "complete"
    assert dossier.sources.get(source="credit").status == "fresh"  # reads are allowed
    customer.refresh_from_db()
    assert (customer.overdue_days, customer.outstanding_amount) == (1, Decimal("0"))
    with django_capture_on_commit_callbacks(execute=True):
        crisis_close(crisis=drill, outcome="演练结束", actor=users["hradmin"])
    # The only partner writes are the drill's results on the participants' performance records
    # (issue 17 §1: drill results are performance events); nothing of the drill's response.
    assert set(sandbox.writes) <= {("POST", "/performance/events")}
    assert {event["kind"] for event in sandbox.app.performance} <= {"drill"}


def test_a_drills_webhooks_carry_the_drill_mark(
    partners, users, httpserver, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    received = []
    httpserver.expect_request("/hooks", method="POST").respond_with_handler(
        lambda request: received.append(json.loads(request.get_data())) or Response("ok", 200)
    )
    partners_services.subscription_save(
        partner=partners["crm"],
        url=httpserver.url_for("/hooks"),
        events=["crisis.filed"],
        secret="subscriber-secret",
    )
    drill = _file_drill(users, django_capture_on_commit_callbacks)
    real = crisis_file(scenario="debt-collection", title="Real", actor=users["manager"])
    for _ in range(3):
        OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        outbox_relay_due()
    by_crisis = {body["crisis_id"]: body for body in received}
    assert by_crisis[drill.pk]["drill"] is True
    assert "drill" not in by_crisis[real.pk]
