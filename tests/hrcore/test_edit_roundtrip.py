"""Nothing is lost by editing preferences: open → save unchanged → identical (issue 18, item 1)."""

from __future__ import annotations

import pytest

from hrcore.models import Employee
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language,zone", [("en", "Europe/Berlin"), ("zh-hans", "Asia/Shanghai")])
def test_preferences_round_trip(client_as, users, language, zone):
    Employee.objects.filter(user=users["manager"]).update(language=language, time_zone=zone)
    client = client_as("manager")
    data = form_data(client.get("/preferences/").content.decode(), "time_zone")
    assert data["time_zone"] == [zone] and data["language"] == [language]
    assert client.post("/preferences/", data).status_code == 302
    employee = Employee.objects.get(user=users["manager"])
    assert (employee.language, employee.time_zone) == (language, zone)
