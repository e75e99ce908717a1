"""One language at a time (issue 18 item 3), the listed defects and their rules: notifications
stored as kind + parameters and rendered for the reader (inbox, e-mail, API); contact logs
stored as fields; field keys named in words; durations in the reader's language. The page and
notification sweep is ``tests/test_language_sweep.py``."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from tests.language_text import CJK
from tests.test_permission_matrix import world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


# --- notifications ------------------------------------------------------------------------


def _send(user, **extra):
    from hrcore.services.notifications import notification_send

    return notification_send(
        recipient=user,
        kind="crisis.decision",
        params={
            "crisis_title": "办公室有催收人员",
            "maker": {"zh": "钱志远", "en": "Qian Zhiyuan"},
            "text": "先谈",
            "option": "negotiate",
        },
        dedupe_key=extra.pop("dedupe_key", "test:decision"),
        **extra,
    )


def test_a_notification_is_stored_as_kind_and_parameters_and_read_in_each_language(users):
    from hrcore.models import Notification

    note = _send(users["manager"])
    row = Notification.objects.get(pk=note.pk)
    assert row.subject_zh == row.subject_en == row.body_zh == row.body_en == ""
    assert row.params["option"] == "negotiate"
    zh, en = row.rendered("zh-hans"), row.rendered("en")
    assert zh.body == "钱志远：先谈（依据数据和法律依据协商还款方案）"
    assert en.body == (
        "Qian Zhiyuan: 先谈 (Negotiate a payment plan with the data and legal basis at hand)"
    )
    assert "negotiate" not in zh.body + en.body  # the option's label, never its code
    assert "Qian" not in zh.body and "钱志远" not in en.body  # names in the reader's script


def test_an_unregistered_kind_or_missing_parameters_is_refused(users):
    from hrcore.models import Notification
    from hrcore.services.notifications import notification_send

    before = Notification.objects.count()
    with pytest.raises(ValueError):
        notification_send(
            recipient=users["manager"], kind="no.such.kind", params={"a": 1}, dedupe_key="x1"
        )
    with pytest.raises(ValueError):
        notification_send(
            recipient=users["manager"], kind="crisis.invited", params={}, dedupe_key="x2"
        )
    assert Notification.objects.count() == before


def test_rows_from_before_parameters_keep_their_stored_texts(users):
    from hrcore.models import Notification

    old = Notification.objects.create(
        recipient=users["manager"],
        kind="crisis.task",
        subject_zh="危机任务：旧",
        subject_en="Crisis task: old",
        dedupe_key="old-row",
    )
    assert old.rendered("zh-hans").subject == "危机任务：旧"
    assert old.rendered("en").subject == "Crisis task: old"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_email_is_rendered_in_the_recipients_language(users, settings, language):
    from hrcore.models import Employee, OutboxMessage
    from hrcore.services.notifications import deliver_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Employee.objects.filter(user=users["manager"]).update(language=language)
    users["manager"].email = users["manager"].email or "manager@example.test"
    users["manager"].save(update_fields=["email"])
    _send(users["manager"], dedupe_key=f"mail:{language}")
    message = OutboxMessage.objects.get(dedupe_key=f"email:mail:{language}")
    mail.outbox.clear()
    deliver_email(message)
    sent = mail.outbox[0]
    if language == "en":
        assert sent.subject.startswith("[Keel] Decision: ")
        assert "Qian Zhiyuan" in sent.body and "钱志远" not in sent.body
    else:
        assert sent.subject.startswith("[Keel] 决策：")
        assert "钱志远" in sent.body and "Qian" not in sent.body


def test_the_api_gives_the_structure_and_a_rendering_in_the_request_language(users, client_as):
    from hrcore.models import Notification

    mine = _send(users["manager"])
    others = _send(users["finance"], dedupe_key="test:other")
    client = client_as("manager")
    for language, subject in (
        ("en", "Decision: 办公室有催收人员"),
        ("zh-hans", "决策：办公室有催收人员"),
    ):
        with translation.override(language):
            from hrcore.models import Employee

            Employee.objects.filter(user=users["manager"]).update(language=language)
            body = client.get(reverse("notification-list")).json()
        rows = body["results"] if isinstance(body, dict) else body
        row = next(r for r in rows if r["id"] == mine.pk)
        assert row["kind"] == "crisis.decision" and row["params"]["option"] == "negotiate"
        assert row["subject"] == subject
        assert all(r["id"] != others.pk for r in rows)  # only one's own
    before = Notification.objects.get(pk=others.pk).read_at
    assert client.get(reverse("notification-detail", args=[others.pk])).status_code == 404
    assert Notification.objects.get(pk=others.pk).read_at == before


# --- contact logs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "note,fields,rest",
    [
        (
            "Who was contacted: Mr Li\nHow: By phone\nWhat was agreed: pays Friday",
            {
                "contact_person": "Mr Li",
                "contact_channel": "phone",
                "contact_outcome": "pays Friday",
            },
            "",
        ),
        (
            "联系对象: 李总\n方式: 当面\n达成的约定: 周五付款\n另附说明",
            {
                "contact_person": "李总",
                "contact_channel": "in_person",
                "contact_outcome": "周五付款",
            },
            "另附说明",
        ),
        (
            "Who was contacted: Ms Wu\nHow: carrier pigeon\nWhat was agreed: none",
            {
                "contact_person": "Ms Wu",
                "contact_channel": "carrier pigeon",
                "contact_outcome": "none",
            },
            "",
        ),
    ],
)
def test_old_contact_logs_are_parsed_into_fields(note, fields, rest):
    from crisis.contact_log import parse_contact_note, render_contact_note

    assert parse_contact_note(note) == (fields, rest)
    again = render_contact_note(*parse_contact_note(note))
    assert parse_contact_note(again) == (fields, rest)  # the way back keeps what was parsed


def test_a_free_note_is_not_a_contact_log():
    from crisis.contact_log import parse_contact_note

    assert parse_contact_note("Called him, he pays Friday") is None


def test_a_contact_log_shows_in_the_readers_language(users):
    from crisis.models import Deliverable

    deliverable = Deliverable(
        kind="contact_log",
        fields={
            "contact_person": "李总",
            "contact_channel": "phone",
            "contact_outcome": "周五付款",
        },
    )
    with translation.override("en"):
        assert deliverable.field_rows() == [
            ("Who was contacted", "李总", True),
            ("How", "By phone", False),
            ("What was agreed", "周五付款", True),
        ]
    with translation.override("zh-hans"):
        assert [r[:2] for r in deliverable.field_rows()] == [
            ("联系对象", "李总"),
            ("方式", "电话"),
            ("达成的约定", "周五付款"),
        ]


# --- field keys, durations ----------------------------------------------------------------


@pytest.mark.parametrize(
    "language,expected",
    [("zh-hans", "第 2 项职责的时限"), ("en", "duty 2, time limit")],
)
def test_field_keys_are_named_in_words(language, expected):
    from hrcore.field_names import field_label, message_for

    with translation.override(language):
        assert field_label("duties[1].deadline_minutes") == expected
        assert message_for("duties[1].deadline_minutes", "x").startswith(expected)
        assert message_for("non_field_errors", "x") == "x"


def test_a_bad_map_says_which_duty_and_field_in_words(demo_org, users):
    from hrcore.errors import ValidationFailed
    from hrcore.models import OrgUnit
    from responsibilities.models import Scenario
    from responsibilities.services import maps as services

    scenario = Scenario.objects.create(code="flood-lang", name_zh="洪水", name_en="Flood")
    duty = {
        "code": "a",
        "action_en": "Do a",
        "action_zh": "执行 a",
        "deliverable": "document",
        "assignee_function": "finance",
        "after": [],
    }
    for language, words in (("zh-hans", "第 2 项职责的时限"), ("en", "duty 2, time limit")):
        with translation.override(language), pytest.raises(ValidationFailed) as exc:
            services.responsibility_map_create(
                scenario=scenario,
                scope=OrgUnit.objects.get(parent=None),
                duties=[
                    {**duty, "deadline_minutes": 30},
                    {**duty, "code": "b", "deadline_minutes": -5},
                ],
                actor=users["hradmin"],
            )
        assert words in exc.value.message
        assert "duties[" not in exc.value.message and "deadline_minutes" not in exc.value.message
        assert "duties[1].deadline_minutes" in exc.value.errors  # programs keep the key


@pytest.mark.parametrize(
    "minutes,zh,en",
    [(18 * 1440, "18 天", "18 d"), (90, "1 小时 30 分钟", "1 h 30 min"), (0.5, "30 秒", "30 s")],
)
def test_durations_are_formatted_in_the_readers_language(minutes, zh, en):
    from hrcore.durations import format_duration

    with translation.override("zh-hans"):
        assert format_duration(minutes=minutes) == zh
        assert not any(c.isascii() and c.isalpha() for c in format_duration(minutes=minutes))
    with translation.override("en"):
        assert format_duration(minutes=minutes) == en
        assert not CJK.search(format_duration(minutes=minutes))


def test_the_commissions_intro_is_printed_once(client_as, users):
    from hrcore.models import Employee

    Employee.objects.filter(user=users["hradmin"]).update(language="zh-hans")
    page = client_as("hradmin").get(reverse("integrations:commissions")).content.decode()
    assert page.count("已付款订单按客户负责人职级的现行规则生成待审批佣金") == 1


def test_the_language_chosen_at_login_stays_in_the_session_and_the_cookie(users, client):
    from django.conf import settings

    from hrcore.models import Employee

    Employee.objects.filter(user=users["staff"]).update(language="zh-hans")
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    response = client.post("/accounts/login/", {"login": "staff", "password": "keel-demo"})
    assert response.status_code == 302
    assert Employee.objects.get(user=users["staff"]).language == "en"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    # A later request without the cookie still reads English: the preference was stored.
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    assert '<html lang="en">' in client.get("/").content.decode()


def test_the_data_migration_parses_old_contact_logs_and_goes_back(world, users):  # noqa: F811
    """crisis/migrations/0010: an old contact log (text in the submitter's language) becomes
    fields; a free note stays as it is; the way back writes the text again."""
    import importlib

    from django.apps import apps

    from crisis.models import Deliverable

    migration = importlib.import_module("crisis.migrations.0013_deliverable_fields_contact_logs")
    task = world["admin_task"]
    old = Deliverable.objects.create(
        task=task,
        kind="contact_log",
        note="联系对象: 李总\n方式: 电话\n达成的约定: 周五付款",
        submitted_by=users["admin"],
    )
    free = Deliverable.objects.create(
        task=task, kind="contact_log", note="Called, pays Friday", submitted_by=users["admin"]
    )
    migration.contact_logs_to_fields(apps, None)
    old.refresh_from_db()
    free.refresh_from_db()
    assert old.fields == {
        "contact_person": "李总",
        "contact_channel": "phone",
        "contact_outcome": "周五付款",
    }
    assert old.note == ""
    assert free.fields == {} and free.note == "Called, pays Friday"
    migration.fields_to_contact_logs(apps, None)
    old.refresh_from_db()
    assert old.note == "Who was contacted: 李总\nHow: By phone\nWhat was agreed: 周五付款"
