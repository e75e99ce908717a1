"""Error texts users see are sentences in their language; reads live in selectors; the gap
arithmetic is one pure function."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.utils import timezone, translation

from competency import scoring, selectors, views
from competency.models import Assignment, Simulation, SimulationVersion
from competency.services import assignments, authoring, frameworks, recognition
from hrcore.errors import ValidationFailed

RAW_CODES = {"unknown", "draft", "past", "empty", "1–100", "long"}


def test_gaps_are_required_minus_current_and_only_positive():
    required = {"a": 3, "b": 2, "c": 4}
    assert scoring.gaps(required, {"a": 1, "b": 2, "c": 5}) == {"a": 2}
    assert scoring.gaps(required, {}) == {"a": 3, "b": 2, "c": 4}
    assert list(scoring.gaps({"z": 1, "a": 1}, {})) == ["z", "a"]  # profile order kept


def test_reads_moved_to_selectors():
    for name in (
        "current_levels",
        "level_history",
        "resilience_series",
        "graph_of",
        "version_problems",
        "published_version",
        "visible_choices",
        "profile_for",
        "competency_for_code",
        "gaps_for",
        "unit_gaps",
    ):
        assert callable(getattr(selectors, name))
        for module in (assignments, authoring, frameworks, recognition):
            assert not hasattr(module, name) or getattr(module, name) is getattr(selectors, name)


def _errors_of(call) -> dict:
    with pytest.raises(ValidationFailed) as exc:
        call()
    return exc.value.errors


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_validation_errors_are_sentences_not_codes(competency_demo, users, language):
    hr = users["hradmin"]
    simulation = Simulation.objects.get(code="journalist-rumour")
    draft = authoring.version_new_draft(simulation=simulation, actor=hr)
    with translation.override(language):
        found = [
            _errors_of(lambda: authoring.version_update(version=draft, actor=hr, colour="red")),
            _errors_of(lambda: authoring.version_update(version=draft, actor=hr, pass_mark=500)),
            _errors_of(
                lambda: frameworks.competency_update(
                    competency=selectors.competency_for_code("emotional-control"),
                    actor=hr,
                    colour="red",
                )
            ),
            _errors_of(
                lambda: assignments.assignment_create(
                    employee=users["staff"].employee,
                    simulation=simulation,
                    reason="manual",
                    source_key="t:past",
                    due_at=timezone.now() - dt.timedelta(days=1),
                )
            ),
            _errors_of(
                lambda: recognition.recognition_award(
                    employee=users["staff"].employee,
                    kind="bogus",
                    source_key="t:kind",
                    reason=("理由", "reason"),
                    actor=hr,
                )
            ),
            _errors_of(
                lambda: recognition.recognition_award(
                    employee=users["staff"].employee,
                    kind="training",
                    stars=1,
                    source_key="",
                    reason=("理由", "reason"),
                    actor=hr,
                )
            ),
        ]
    texts = [str(m) for errors in found for messages in errors.values() for m in messages]
    assert texts and not RAW_CODES & set(texts)
    assert all(len(t) > 8 for t in texts), texts
    if language == "zh-hans":
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts), texts


@pytest.mark.django_db
def test_assigning_a_draft_simulation_says_why(competency_demo, users):
    hr = users["hradmin"]
    version = authoring.simulation_create(code="fresh", title_zh="新", title_en="New", actor=hr)
    with translation.override("en"):
        errors = _errors_of(
            lambda: assignments.assignment_create(
                employee=users["staff"].employee,
                simulation=version.simulation,
                reason="manual",
                source_key="t:draft",
            )
        )
    assert errors == {"simulation": ["This simulation has no published version yet."]}


def test_page_error_message_keeps_plain_string_values_whole():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    with translation.override("en"):
        views._error(
            request,
            ValidationFailed(
                "Not valid.", errors={"note": "Too long.", "level": ["Bad.", "Worse."]}
            ),
        )
    # Strings stay whole; a field with a name is named in words, a key without one is left out.
    assert [str(m) for m in get_messages(request)] == ["Not valid. note: Too long.; Bad. Worse."]


@pytest.mark.django_db
def test_overdue_tag_follows_the_model_rule(competency_demo, users, client_as):
    staff = users["staff"].employee
    Assignment.objects.filter(employee=staff).delete()
    late = Assignment.objects.create(
        employee=staff,
        simulation=Simulation.objects.get(code="journalist-rumour"),
        reason="manual",
        source_key="t:late",
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    assert late.is_overdue()
    with translation.override("en"):
        page = client_as("staff").get("/training/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="overdue"' in page


@pytest.mark.django_db
def test_playable_simulations_are_the_published_ones(competency_demo, users):
    hr = users["hradmin"]
    authoring.simulation_create(code="draft-only", title_zh="草稿", title_en="Draft", actor=hr)
    playable = {s.code for s in selectors.playable_simulations(hr)}
    published = set(
        SimulationVersion.objects.filter(status="published").values_list(
            "simulation__code", flat=True
        )
    )
    assert playable == published
    assert "draft-only" not in playable
