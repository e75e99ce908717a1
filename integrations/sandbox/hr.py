"""The sandbox HR system of record: a roster of the demo group's named people (the same
names, units, positions and contact channels as Keel's demo seed, ``hrcore.demo``) and a few of
its units, kept in memory and changed by the events it sends (``/_admin/emit``) or by
``POST /_admin/hr/roster``. Pure Python, no Django.

A person's ``manager`` (and a unit's ``parent``/``head``) is left out when the HR system does
not manage it: the reconciliation pull changes only what the roster states.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from datetime import UTC, datetime

# (external id, username, name zh, name en, unit, position, manager's external id or None)
_PEOPLE = [
    ("HR-0001", "president", "郑国华", "Zheng Guohua", "group-exec", "president", ""),
    ("HR-0002", "vp", "钱志远", "Qian Zhiyuan", "group-exec", "vice-president", "HR-0001"),
    ("HR-0003", "hradmin", "吴丽华", "Wu Lihua", "group-hr", "hr-manager", "HR-0002"),
    ("HR-0101", "manager", "王建国", "Wang Jianguo", "sh-business", "department-manager", None),
    ("HR-0102", "finance", "陈静", "Chen Jing", "sh-finance", "finance-manager", None),
    ("HR-0103", "legal", "赵敏", "Zhao Min", "sh-legal", "legal-counsel", None),
    ("HR-0104", "admin", "孙强", "Sun Qiang", "sh-administration", "admin-officer", None),
    ("HR-0105", "staff", "周婷", "Zhou Ting", "sh-business", "sales-rep", "HR-0101"),
    ("HR-0201", "manager2", "刘晓梅", "Liu Xiaomei", "sz-business", "department-manager", None),
]
# (code, name zh, name en, parent code)
_UNITS = [
    ("demo-group", "演示集团", "Demo Group", ""),
    ("group-exec", "集团总裁办", "Group Executive Office", "demo-group"),
    ("group-hr", "集团人力资源部", "Group Human Resources", "demo-group"),
    ("sh-business", "上海业务部", "Shanghai Sales", "sh"),
    ("sh-finance", "上海财务部", "Shanghai Finance", "sh"),
]


def contact_channels(username: str) -> dict[str, str]:
    """The demo person's mobile and IM ids (the same derivation as ``hrcore.demo``)."""
    digest = hashlib.sha256(username.encode()).hexdigest()
    digits = int(digest[:8], 16) % 10**8
    return {
        "mobile": f"+86138{digits:08d}",
        "dingtalk_id": f"dt-{username}",
        "wecom_id": f"wc-{username}",
        "feishu_id": "ou_" + digest[:24],
    }


def demo_people() -> list[dict]:
    rows = []
    for external_id, username, zh, en, unit, position, manager in _PEOPLE:
        row = {
            "external_id": external_id,
            "username": username,
            "name_zh": zh,
            "name_en": en,
            "unit": unit,
            "position": position,
            "email": f"{username}@demo.keel.local",
            **contact_channels(username),
            "status": "active",
        }
        if manager is not None:
            row["manager"] = manager
        rows.append(row)
    return rows


def demo_units() -> list[dict]:
    return [
        {"code": c, "name_zh": zh, "name_en": en, **({"parent": p} if p else {})}
        for c, zh, en, p in _UNITS
    ]


# The demo seed links these Keel accounts to their HR ids (username -> external id).
DEMO_EXTERNAL_IDS = {row[1]: row[0] for row in _PEOPLE}


class HrSystem:
    """The roster in memory, per sandbox process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.people = {p["external_id"]: p for p in demo_people()}
            self.units = {u["code"]: u for u in demo_units()}

    def roster(self) -> dict:
        with self.lock:
            return {
                "as_of": datetime.now(UTC).isoformat(),
                "employees": copy.deepcopy(list(self.people.values())),
                "units": copy.deepcopy(list(self.units.values())),
            }

    def person(self, external_id: str) -> dict | None:
        with self.lock:
            row = self.people.get(external_id)
            return copy.deepcopy(row) if row else None

    def change(self, body: dict) -> dict:
        """``{"upsert": [person, …], "leave": [external id, …], "units": [unit, …]}``."""
        with self.lock:
            for row in body.get("upsert") or []:
                if isinstance(row, dict) and row.get("external_id"):
                    merged = {**self.people.get(row["external_id"], {}), **row}
                    merged.setdefault("status", "active")
                    self.people[row["external_id"]] = merged
            for external_id in body.get("leave") or []:
                if external_id in self.people:
                    self.people[external_id]["status"] = "left"
            for unit in body.get("units") or []:
                if isinstance(unit, dict) and unit.get("code"):
                    self.units[unit["code"]] = {**self.units.get(unit["code"], {}), **unit}
        return {"employees": len(self.people), "units": len(self.units)}

    def follow(self, event: dict) -> None:
        """Keep the roster in step with an event the sandbox sends as the HR system."""
        kind = event.get("event", "")
        person = event.get("employee") if isinstance(event.get("employee"), dict) else None
        if kind in ("employee.hired", "employee.transferred") and person:
            self.change({"upsert": [{**person, "status": "active"}]})
        elif kind == "employee.left" and person:
            self.change({"leave": [person.get("external_id")]})
        elif kind == "org_unit.changed" and isinstance(event.get("unit"), dict):
            self.change({"units": [event["unit"]]})
