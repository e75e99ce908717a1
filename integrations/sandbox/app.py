"""The sandbox partner systems (finance, legal, CRM, performance/OKR, attendance, HR) as one small WSGI app with its own token auth
and knobs for latency and failures. Pure werkzeug, no Django: it stands in for outside systems.

Run: ``python -m integrations.sandbox --port 8765``. Knobs: env ``KEEL_SANDBOX_LATENCY_MS`` and
``KEEL_SANDBOX_FAILURE_RATE`` (every service), or ``POST /_admin/knobs`` with
``{"finance": {"latency_ms": 300, "failure_rate": 0.0, "mode": "ok|error|malformed|hang"}}``;
``"together": n`` holds each request until n are in flight (tests of concurrent callers).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
import os
import random
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from werkzeug.exceptions import BadRequest, HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .. import signing
from . import data
from .hr import HrSystem
from .providers import PROVIDERS, Providers, callback_tls
from .providers import default_knobs as provider_knobs

SERVICES = ("finance", "legal", "crm", "performance", "attendance", "hr", "payroll")
# "answer_late": the request is handled (a write is recorded), then the answer waits
# ``hang_seconds`` — the client times out although the partner did the work.
MODES = ("ok", "error", "malformed", "hang", "answer_late")
DEFAULT_TOKEN = "sandbox-demo-token"
DEFAULT_PARTNER = "sandbox-finance"


def partner_secret(base: str, partner: str) -> str:
    """The demo webhook secret of one sandbox partner: every partner gets its own (derived from
    ``KEEL_SANDBOX_WEBHOOK_SECRET`` and its slug), so one partner's secret never signs for
    another. ``seed_demo`` stores the same value on Keel's side."""
    return hmac.new(
        base.encode(), f"keel-sandbox-partner:{partner}".encode(), hashlib.sha256
    ).hexdigest()


def _default_knobs() -> dict:
    latency = float(os.environ.get("KEEL_SANDBOX_LATENCY_MS", "0") or 0)
    rate = float(os.environ.get("KEEL_SANDBOX_FAILURE_RATE", "0") or 0)
    knobs = {s: {"latency_ms": latency, "failure_rate": rate, "mode": "ok"} for s in SERVICES}
    for provider in PROVIDERS:  # the messaging providers (providers.py)
        knobs[provider] = {"latency_ms": 0.0, "failure_rate": 0.0, "mode": "ok", **provider_knobs()}
    return knobs


class Sandbox:
    """The WSGI application; state (knobs, recorded payments) lives in memory per process."""

    def __init__(
        self,
        *,
        token: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ):
        self.token = token or os.environ.get("KEEL_SANDBOX_TOKEN", DEFAULT_TOKEN)
        self.webhook_url = webhook_url or os.environ.get("KEEL_SANDBOX_WEBHOOK_URL", "")
        self.webhook_secret = webhook_secret or os.environ.get("KEEL_SANDBOX_WEBHOOK_SECRET", "")
        self.lock = threading.Lock()
        self.barriers: dict[tuple[str, int], threading.Barrier] = {}  # the "together" knob
        self.knobs = _default_knobs()
        self.paid: dict[str, str] = {}  # invoice number -> paid_on (payments recorded here)
        self.performance: list[dict] = []  # events recorded through the API
        self.performance_keys: dict[str, tuple[str, dict]] = {}  # Idempotency-Key -> (body, event)
        self.payroll: dict[str, dict] = {}  # reference -> pay line recorded (idempotent)
        self.requests = 0
        self.hr = HrSystem()
        self.providers = Providers(
            self,
            callback_url=os.environ.get("KEEL_SANDBOX_CALLBACK_URL", ""),
            callback_base_secret=self.webhook_secret,
        )
        self.url_map = Map(
            [
                Rule("/healthz", endpoint="healthz"),
                Rule("/_admin/knobs", endpoint="knobs", methods=["GET", "POST"]),
                Rule("/_admin/reset", endpoint="reset", methods=["POST"]),
                Rule("/_admin/emit", endpoint="emit", methods=["POST"]),
                Rule("/finance/credit", endpoint="finance_credit_all"),
                Rule("/finance/revenue", endpoint="finance_revenue"),
                Rule(
                    "/finance/customers/<cid>/payments",
                    endpoint="finance_payments",
                    methods=["GET", "POST"],
                ),
                Rule("/finance/customers/<cid>/invoices", endpoint="finance_invoices"),
                Rule("/finance/customers/<cid>/credit", endpoint="finance_credit"),
                Rule("/legal/guides", endpoint="legal_guide"),
                Rule("/crm/customers", endpoint="crm_customers"),
                Rule("/crm/customers/<cid>", endpoint="crm_customer"),
                Rule("/crm/customers/<cid>/contacts", endpoint="crm_contacts"),
                Rule("/crm/customers/<cid>/complaints", endpoint="crm_complaints"),
                Rule("/crm/customers/<cid>/orders", endpoint="crm_orders"),
                Rule("/performance/events", endpoint="performance_record", methods=["POST"]),
                Rule("/performance/employees/<username>/events", endpoint="performance_events"),
                Rule("/performance/employees/<username>/goals", endpoint="performance_goals"),
                Rule("/performance/employees/<username>/reviews", endpoint="performance_reviews"),
                Rule("/attendance/today", endpoint="attendance_today"),
                Rule("/attendance/customer-visits", endpoint="attendance_visits"),
                Rule("/payroll/lines", endpoint="payroll_lines", methods=["GET", "POST"]),
                Rule("/hr/roster", endpoint="hr_roster"),
                Rule("/hr/employees/<eid>", endpoint="hr_employee"),
                Rule("/_admin/hr/roster", endpoint="hr_admin", methods=["POST"]),
                Rule("/_admin/providers/<action>", endpoint="providers", methods=["GET", "POST"]),
            ]
        )
        for rule in Providers.rules():
            self.url_map.add(rule)

    # --- plumbing ------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = self.json({"error": exc.name, "detail": exc.description}, exc.code)
        return response(environ, start_response)

    @staticmethod
    def json(body, status: int = 200) -> Response:
        return Response(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json; charset=utf-8",
        )

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        endpoint, args = adapter.match()
        if endpoint == "healthz":
            return self.json({"ok": True})
        if endpoint.startswith("p_"):  # messaging providers: each checks its own credentials
            return self.providers.dispatch(request, endpoint, args)
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return self.json({"error": "unauthorized"}, 401)
        with self.lock:
            self.requests += 1
        if endpoint in ("knobs", "reset", "emit"):
            return getattr(self, f"admin_{endpoint}")(request)
        if endpoint == "hr_admin":
            try:
                body = json.loads(request.get_data() or b"{}")
            except ValueError:
                return self.json({"error": "not JSON"}, 400)
            return self.json(self.hr.change(body if isinstance(body, dict) else {}))
        if endpoint == "providers":
            return self.providers.admin(request, args["action"])
        service = endpoint.split("_", 1)[0]
        knob = self.knobs[service]
        if knob["latency_ms"]:
            time.sleep(knob["latency_ms"] / 1000)
        if int(knob.get("together") or 0) > 1:
            self._meet(service, int(knob["together"]))
        mode = knob["mode"]
        if mode == "ok" and knob["failure_rate"] and random.random() < knob["failure_rate"]:
            mode = "error"
        if mode == "hang":
            time.sleep(float(knob.get("hang_seconds", 30)))
        if mode == "error":
            return self.json({"error": "internal error (sandbox failure knob)"}, 500)
        if mode == "malformed":
            return self.json({"unexpected": "shape", "data": [1, 2, 3]})
        if "cid" in args and args["cid"] not in data.CUSTOMERS_BY_ID:
            raise NotFound(f"unknown customer {args['cid']}")
        response = getattr(self, endpoint)(request, **args)
        if mode == "answer_late":
            time.sleep(float(knob.get("hang_seconds", 30)))
        return response

    def _meet(self, service: str, n: int) -> None:
        """The "together" knob: hold each request until ``n`` requests to ``service`` are in
        flight (at most 5 s), so a test can know that concurrent callers were all admitted
        before any of them got its answer."""
        with self.lock:
            barrier = self.barriers.get((service, n))
            if barrier is None or barrier.broken:
                barrier = self.barriers[(service, n)] = threading.Barrier(n)
        with contextlib.suppress(threading.BrokenBarrierError):  # fewer came: answer anyway
            barrier.wait(timeout=5)

    # --- admin ---------------------------------------------------------------------------

    def admin_knobs(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                body = json.loads(request.get_data() or b"{}")
            except ValueError:
                return self.json({"error": "not JSON"}, 400)
            with self.lock:
                for service, values in body.items():
                    targets = SERVICES if service == "*" else (service,)
                    for target in targets:
                        if target not in self.knobs or not isinstance(values, dict):
                            return self.json({"error": f"unknown service {service!r}"}, 400)
                        if values.get("mode", "ok") not in MODES:
                            return self.json({"error": f"mode must be one of {MODES}"}, 400)
                        self.knobs[target].update(values)
        return self.json(self.knobs)

    def admin_reset(self, request: Request) -> Response:
        with self.lock:
            self.knobs = _default_knobs()
            self.barriers.clear()
            self.paid.clear()
            self.performance.clear()
            self.performance_keys.clear()
            self.payroll.clear()
        self.providers.reset()
        self.hr.reset()
        return self.json({"ok": True})

    def admin_emit(self, request: Request) -> Response:
        """Push a signed webhook to Keel, as the real partner would: ``{"event": "...", ...}``.

        ``"partner"`` (default ``sandbox-finance``) picks which sandbox partner sends it: the
        ``{partner}`` in ``KEEL_SANDBOX_WEBHOOK_URL`` is replaced by it and the body is signed with
        that partner's own secret (``partner_secret``); ``"secret"`` overrides the secret."""
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return self.json({"error": "not JSON"}, 400)
        if not isinstance(body, dict):
            return self.json({"error": "send a JSON object"}, 400)
        partner = str(body.pop("partner", None) or DEFAULT_PARTNER)
        url = (body.pop("url", None) or self.webhook_url).replace("{partner}", partner)
        secret = body.pop("secret", None) or (
            partner_secret(self.webhook_secret, partner) if self.webhook_secret else ""
        )
        if not url or not secret:
            return self.json({"error": "no webhook URL/secret configured"}, 400)
        import httpx

        raw = json.dumps(body, ensure_ascii=False).encode()
        delivery = body.get("delivery_id") or f"sbx-{uuid.uuid4()}"
        self.hr.follow(body)  # the HR system's roster says what its events said
        headers = signing.signed_headers(
            secret, raw, delivery_id=delivery, event=body.get("event", "")
        )
        response = httpx.post(url, content=raw, headers=headers, timeout=10, verify=callback_tls())
        return self.json(
            {
                "partner": partner,
                "delivery_id": delivery,
                "status": response.status_code,
                "response": response.text[:500],
            }
        )

    # --- finance -------------------------------------------------------------------------

    def _invoices(self, cid: str) -> list[dict]:
        rows = copy.deepcopy(data.invoices_for(cid, date.today()))
        for row in rows:
            if row["number"] in self.paid:
                row["status"], row["paid_on"] = "paid", self.paid[row["number"]]
        return rows

    def _profile(self, cid: str) -> dict:
        today = date.today()
        unpaid = [i for i in self._invoices(cid) if i["status"] == "unpaid"]
        from decimal import Decimal

        outstanding = sum((Decimal(i["amount"]) for i in unpaid), Decimal("0"))
        overdue = [
            date.fromisoformat(i["due_on"])
            for i in unpaid
            if date.fromisoformat(i["due_on"]) < today
        ]
        oldest = min(overdue) if overdue else None
        return {
            "external_id": cid,
            "outstanding_amount": f"{outstanding:.2f}",
            "currency": "CNY",
            "overdue_days": (today - oldest).days if oldest else 0,
            "overdue_since": oldest.isoformat() if oldest else None,
        }

    def finance_payments(self, request: Request, cid: str) -> Response:
        if request.method == "POST":  # record a payment of the oldest unpaid invoice
            unpaid = sorted(
                (i for i in self._invoices(cid) if i["status"] == "unpaid"),
                key=lambda i: i["due_on"],
            )
            if not unpaid:
                return self.json({"error": "nothing unpaid"}, 409)
            with self.lock:
                self.paid[unpaid[0]["number"]] = date.today().isoformat()
            return self.json({"paid": unpaid[0]["number"], "credit": self._profile(cid)}, 201)
        payments = data.payments_for(cid, date.today())
        for number, paid_on in self.paid.items():
            inv = next((i for i in self._invoices(cid) if i["number"] == number), None)
            if inv:
                payments.insert(
                    0,
                    {
                        "reference": f"PAY-{number[4:]}",
                        "paid_on": paid_on,
                        "amount": inv["amount"],
                        "currency": "CNY",
                        "invoice": number,
                        "method": "bank transfer",
                    },
                )
        return self.json({"customer": cid, "payments": payments})

    def finance_invoices(self, request: Request, cid: str) -> Response:
        rows = self._invoices(cid)
        status = request.args.get("status")
        if status:
            rows = [r for r in rows if r["status"] == status]
        return self.json({"customer": cid, "invoices": rows})

    def finance_credit(self, request: Request, cid: str) -> Response:
        return self.json(self._profile(cid))

    def finance_credit_all(self, request: Request) -> Response:
        return self.json({"customers": [self._profile(c["external_id"]) for c in data.CUSTOMERS]})

    def _period(self, request: Request) -> tuple[date, date]:
        """``?since=&until=`` (ISO dates; default: the last 365 days up to today)."""
        today = date.today()
        try:
            until = date.fromisoformat(request.args.get("until") or today.isoformat())
            since = date.fromisoformat(
                request.args.get("since") or (until - timedelta(days=365)).isoformat()
            )
        except ValueError as exc:
            raise BadRequest("since and until are ISO dates") from exc
        if until < since:
            raise BadRequest("until is before since")
        return since, until

    def finance_revenue(self, request: Request) -> Response:
        """Revenue and gross margin per customer in ``?since=&until=`` (``?customer=`` one)."""
        since, until = self._period(request)
        wanted = request.args.get("customer", "")
        if wanted and wanted not in data.CUSTOMERS_BY_ID:
            raise NotFound(f"unknown customer {wanted}")
        ids = [wanted] if wanted else [c["external_id"] for c in data.CUSTOMERS]
        return self.json(
            {"customers": [data.revenue_for(c, since, until, date.today()) for c in ids]}
        )

    # --- legal ---------------------------------------------------------------------------

    def legal_guide(self, request: Request) -> Response:
        scenario = request.args.get("scenario", "")
        if not scenario:
            return self.json({"error": "scenario is required"}, 400)
        return self.json(data.legal_guide(scenario, request.args.get("dispute_type", "")))

    # --- CRM -----------------------------------------------------------------------------

    def _crm_customer(self, cid: str) -> dict:
        c = data.CUSTOMERS_BY_ID[cid]
        return {
            "external_id": cid,
            "name_zh": c["name_zh"],
            "name_en": c["name_en"],
            "owner": c["owner"],
            "unit": c["unit"],
            "last_contact": {**data.last_contact(cid, datetime.now(UTC)), "channel": "phone"},
        }

    def crm_customers(self, request: Request) -> Response:
        return self.json(
            {"customers": [self._crm_customer(c["external_id"]) for c in data.CUSTOMERS]}
        )

    def crm_customer(self, request: Request, cid: str) -> Response:
        return self.json(self._crm_customer(cid))

    def crm_contacts(self, request: Request, cid: str) -> Response:
        rows = data.contacts_for(cid, datetime.now(UTC))
        limit = int(request.args.get("limit", "20") or 20)
        return self.json({"customer": cid, "contacts": rows[:limit]})

    def crm_complaints(self, request: Request, cid: str) -> Response:
        return self.json(
            {"customer": cid, "complaints": data.complaints_for(cid, datetime.now(UTC))}
        )

    def crm_orders(self, request: Request, cid: str) -> Response:
        return self.json({"customer": cid, "orders": data.orders_for(cid, date.today())})

    # --- performance / OKR ---------------------------------------------------------------

    def performance_record(self, request: Request) -> Response:
        """Record an event against an employee. ``Idempotency-Key`` makes a retried POST (after a
        timeout or a 5xx) record the event once; the same key with another body is a 409."""
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return self.json({"error": "not JSON"}, 400)
        if not isinstance(body, dict):
            return self.json({"error": "expected an object"}, 400)
        employee, kind, points = body.get("employee"), body.get("kind"), body.get("points")
        if kind not in data.PERFORMANCE_KINDS:
            return self.json({"error": f"kind must be one of {data.PERFORMANCE_KINDS}"}, 400)
        if isinstance(points, bool) or not isinstance(points, int) or not -100 <= points <= 100:
            return self.json({"error": "points must be a whole number from -100 to 100"}, 400)
        if not isinstance(body.get("reference"), str) or not body["reference"]:
            return self.json({"error": "reference is required"}, 400)
        if not isinstance(employee, str) or not data.known_employee(employee):
            raise NotFound(f"unknown employee {employee!r}")
        key = request.headers.get("Idempotency-Key", "")
        canonical = json.dumps(body, sort_keys=True)
        with self.lock:
            if key and key in self.performance_keys:
                seen, event = self.performance_keys[key]
                if seen != canonical:
                    return self.json({"error": "Idempotency-Key reused with another body"}, 409)
                return self.json(event, 200)
            event = {
                "id": f"PE-{len(self.performance) + 1:06d}",
                "employee": employee,
                "kind": kind,
                "reference": body["reference"],
                "points": points,
                "recorded_at": datetime.now(UTC).isoformat(),
            }
            self.performance.append(event)
            if key:
                self.performance_keys[key] = (canonical, event)
        return self.json(event, 201)

    def performance_events(self, request: Request, username: str) -> Response:
        if not data.known_employee(username):
            raise NotFound(f"unknown employee {username!r}")
        seeded = [
            {"id": f"PE-SEED-{n}", **row}
            for n, row in enumerate(data.performance_events_seed(datetime.now(UTC)), start=1)
        ]
        with self.lock:
            rows = [e for e in seeded + self.performance if e["employee"] == username]
        return self.json(
            {"employee": username, "events": rows, "score": sum(e["points"] for e in rows)}
        )

    def performance_goals(self, request: Request, username: str) -> Response:
        if not data.known_employee(username):
            raise NotFound(f"unknown employee {username!r}")
        goals = data.performance_goals_for(username, date.today())
        return self.json({"employee": username, "goals": goals})

    def performance_reviews(self, request: Request, username: str) -> Response:
        if not data.known_employee(username):
            raise NotFound(f"unknown employee {username!r}")
        reviews = data.performance_reviews_for(username, date.today())
        return self.json({"employee": username, "reviews": reviews})

    # --- payroll ------------------------------------------------------------------------

    def payroll_lines(self, request: Request) -> Response:
        """``POST`` one pay line (employee number, name, period, amount, currency, reference);
        the same reference again answers with the first recording (200), once per commission.
        ``GET`` lists the lines recorded."""
        if request.method == "GET":
            with self.lock:
                return self.json({"lines": list(self.payroll.values())})
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return self.json({"error": "not JSON"}, 400)
        if not isinstance(body, dict):
            return self.json({"error": "expected an object"}, 400)
        missing = [
            k
            for k in ("reference", "employee_number", "name", "period", "amount", "currency")
            if not isinstance(body.get(k), str) or not body[k]
        ]
        if missing:
            return self.json({"error": f"required: {', '.join(missing)}"}, 400)
        with self.lock:
            seen = self.payroll.get(body["reference"])
            if seen is not None:
                return self.json(seen, 200)
            line = {
                **{k: body[k] for k in ("reference", "employee_number", "name", "period")},
                "amount": body["amount"],
                "currency": body["currency"],
                "id": f"PL-{len(self.payroll) + 1:06d}",
                "recorded_at": datetime.now(UTC).isoformat(),
            }
            self.payroll[body["reference"]] = line
        return self.json(line, 201)

    # --- HR system of record -------------------------------------------------------------

    def hr_roster(self, request: Request) -> Response:
        return self.json(self.hr.roster())

    def hr_employee(self, request: Request, eid: str) -> Response:
        person = self.hr.person(eid)
        if person is None:
            raise NotFound(f"unknown employee {eid}")
        return self.json(person)

    # --- attendance ----------------------------------------------------------------------

    def attendance_today(self, request: Request) -> Response:
        """Today's attendance (Shanghai time) of ``?users=a,b`` (default: the named demo
        accounts). Users the attendance system does not know are left out, as real ones do."""
        now = datetime.now(UTC)
        users = [u for u in request.args.get("users", "").split(",") if u]
        rows = [data.attendance_for(u, now) for u in (users or list(data.ATTENDANCE))]
        return self.json(
            {
                "date": now.astimezone(data.SHANGHAI).date().isoformat(),
                "people": [r for r in rows if r is not None],
            }
        )

    def attendance_visits(self, request: Request) -> Response:
        """Field check-ins at customers' sites in ``?since=&until=`` (``?customer=`` one)."""
        since, until = self._period(request)
        customer = request.args.get("customer", "")
        return self.json({"visits": data.customer_visits(since, until, date.today(), customer)})


def serve(host: str = "127.0.0.1", port: int = 8765, app: Sandbox | None = None):
    """A threaded server (one thread per request, so latency knobs do not serialise callers)."""
    from werkzeug.serving import make_server

    return make_server(host, port, app or Sandbox(), threaded=True)
