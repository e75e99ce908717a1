"""HR admins configure reach (issue 13 §2/§4): messaging providers (secrets stored encrypted,
protocol must match the channel) and the ladder's minutes per severity."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from hrcore.models import ReachPolicy
from hrcore.reach import reach_policy
from integrations.models import ChannelProvider

pytestmark = pytest.mark.django_db


def provider_form(**overrides):
    data = {
        "slug": "sms-main",
        "name": "SMS",
        "channel": "sms",
        "protocol": "sms-gateway",
        "base_url": "https://sms.example.com",
        "options": '{"sign_name": "Keel"}',
        "timeout_seconds": "5",
        "max_attempts": "3",
        "enabled": "on",
        "secret": "api-key-1",
        "callback_secret": "cb-secret-1",
    }
    data.update(overrides)
    return data


def test_hr_admins_add_a_provider_whose_secrets_are_stored_encrypted(client_as):
    response = client_as("hradmin").post(
        "/admin/integrations/channelprovider/add/", provider_form()
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = ChannelProvider.objects.get(slug="sms-main")
    assert provider.token == "api-key-1" and provider.callback_secret == "cb-secret-1"
    assert "api-key-1" not in provider.token_encrypted
    assert provider.config().options == {"sign_name": "Keel"}
    # Saved through the service: audited with the actor, the secrets only as "set".
    (entry,) = LogEntry.objects.get_for_object(provider)
    assert (entry.action, entry.actor.username) == (LogEntry.Action.CREATE, "hradmin")
    assert entry.changes_dict["secret"] == ["(none)", "(set; value not logged)"]
    assert entry.changes_dict["slug"] == ["", "sms-main"]
    assert "api-key-1" not in str(entry.changes) and "cb-secret-1" not in str(entry.changes)


@pytest.mark.parametrize(
    "overrides", [{"protocol": "dingtalk-work"}, {"protocol": "carrier-pigeon"}, {"options": "[1]"}]
)
def test_a_provider_whose_protocol_does_not_send_on_its_channel_is_refused(client_as, overrides):
    response = client_as("hradmin").post(
        "/admin/integrations/channelprovider/add/", provider_form(**overrides)
    )
    assert response.status_code == 200  # the form again, with the error
    assert not ChannelProvider.objects.exists()


def test_hr_admins_set_the_ladder_minutes(client_as):
    assert reach_policy().minutes_for("critical") == 3  # the defaults without a row
    assert (reach_policy().minutes_for("high"), reach_policy().minutes_for("medium")) == (5, 15)
    response = client_as("hradmin").post(
        "/admin/hrcore/reachpolicy/add/",
        {
            "critical_minutes": "2",
            "high_minutes": "4",
            "medium_minutes": "10",
            "low_minutes": "30",
            "ack_link_hours": "6",
        },
    )
    assert response.status_code == 302
    assert ReachPolicy.objects.get().critical_minutes == 2
    assert reach_policy().minutes_for("critical") == 2
    # One row only.
    assert client_as("hradmin").get("/admin/hrcore/reachpolicy/add/").status_code == 403
