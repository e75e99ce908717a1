"""Free-text rubrics through the services and pages: publish validation, authoring on drafts,
play-throughs that cover, miss and say a forbidden phrase, and the result page in both languages."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from competency import graph, selectors
from competency.models import SimRubricItem, Simulation
from competency.services import attempts, authoring
from hrcore.errors import Conflict, ValidationFailed
from hrcore.services.org import user_preferences_update

pytestmark = pytest.mark.django_db

TO_FREE_TEXT = [("start", 0), ("first-words", 0), ("ask-details", 0)]
COVERS_ALL = (
    "我理解您着急。财务正在调取付款记录；这份委托书没有盖章，手续不完整，请补齐材料，"
    "法务会在三个工作日内书面答复。"
)
COVERS_NONE = "请你们先回去。"
PROMISES = "我理解您着急，我今天就付一部分，行吧？"
NEGATED = (
    "我理解您着急，但今天我们不会当场付款。财务正在调取付款记录；这份委托书没有盖章，"
    "手续不完整，请补齐材料，法务会在三个工作日内书面答复。"
)


def _play(run, user, path):
    for key, index in path:
        run.refresh_from_db()
        assert run.current_node.key == key
        choice = selectors.visible_choices(run.current_node, run.state)[index]
        attempts.run_answer(
            run_id=run.pk, node_id=run.current_node_id, choice_id=choice.pk, actor=user
        )
    run.refresh_from_db()
    return run


def _play_with_answer(simulation, user, answer):
    run = attempts.run_start(simulation=simulation, actor=user)
    run = _play(run, user, TO_FREE_TEXT)
    assert run.current_node.key == "verify-docs"
    attempts.run_answer(run_id=run.pk, node_id=run.current_node_id, free_text=answer, actor=user)
    # then call finance, legal and the VP in; brief the team when it arrives → good ending
    return _play(run, user, [("call-team", 0), ("team-arrives", 0)])


@pytest.fixture
def debt(competency_demo):
    return Simulation.objects.get(code="debt-collectors-office")


def test_demo_free_text_nodes_have_published_rubrics(competency_demo):
    for code, key in (
        ("debt-collectors-office", "verify-docs"),
        ("angry-customer-store", "explain-plan"),
        ("journalist-rumour", "draft-statement"),
    ):
        version = selectors.published_version(Simulation.objects.get(code=code))
        node = version.nodes.get(key=key)
        assert node.kind == "free_text"
        items = list(node.rubric_items.all())
        assert sum(not i.is_forbidden for i in items) >= 3, code
        assert any(i.is_forbidden for i in items), code
        assert all(i.phrases_zh and i.phrases_en and i.feedback_zh and i.feedback_en for i in items)
        assert selectors.version_problems(version) == []


def test_covering_every_key_point_earns_the_rubric_on_top_of_the_path(debt, users):
    manager = users["manager"]
    full = _play_with_answer(debt, manager, COVERS_ALL)
    empty = _play_with_answer(debt, manager, COVERS_NONE)
    assert full.pk != empty.pk
    assert full.status == empty.status == "finished"
    assert full.current_node.key == "ending-good"
    # same path, same best; the answer alone makes the difference of the rubric's effects
    assert {c: s["best"] for c, s in full.competency_scores.items()} == {
        c: s["best"] for c, s in empty.competency_scores.items()
    }
    earned_difference = {
        code: full.competency_scores[code]["earned"] - empty.competency_scores[code]["earned"]
        for code in full.competency_scores
    }
    assert earned_difference == {
        "emotional-control": 2.0,
        "negotiation-data-law": 4.0,
        "resource-coordination": 2.0,
        "risk-anticipation": 1.0,
    }
    assert full.overall_score > empty.overall_score
    assert full.critical_error is False and empty.critical_error is False
    # the missed points are advice, the covered answer has none of that kind
    assert not any(s["kind"] == "missed_points" for s in full.suggestions)
    missed = next(s for s in empty.suggestions if s["kind"] == "missed_points")
    assert "承认对方的情绪" in missed["zh"] and "表明法律立场" in missed["zh"]
    assert "Acknowledge the emotion" in missed["en"]


def test_a_forbidden_phrase_fails_the_run_with_a_critical_suggestion(debt, users):
    run = _play_with_answer(debt, users["manager"], PROMISES)
    assert run.current_node.key == "ending-good"  # the path was good; the words were not
    assert run.critical_error is True
    assert run.passed is False
    assert run.overall_score < selectors.published_version(debt).pass_mark
    critical = [s for s in run.suggestions if s["kind"] == "critical"]
    assert len(critical) == 1
    assert "当场承诺付款" in critical[0]["zh"]
    assert "Promising payment on the spot" in critical[0]["en"]


def test_a_negated_forbidden_phrase_is_not_a_critical_error(debt, users):
    run = _play_with_answer(debt, users["manager"], NEGATED)
    assert run.critical_error is False
    assert run.passed is True
    reviews = attempts.run_free_text_reviews(run)
    covered = [i.label_en for i, _phrase in reviews[0]["covered"]]
    assert covered[:2] == ["Acknowledge the emotion", "Say finance is pulling the payment records"]
    assert reviews[0]["missed"] == []
    assert reviews[0]["forbidden"] == []


def test_result_page_shows_covered_missed_and_forbidden_in_both_languages(debt, users, client_as):
    answer = "我理解您着急，我今天就付一部分。"
    run = _play_with_answer(debt, users["manager"], answer)
    client = client_as("manager")
    url = reverse("competency:result", args=[run.pk])
    zh = client.get(url).content.decode()  # the demo manager reads Chinese
    assert "你的书面回答" in zh
    assert "已覆盖的要点" in zh and "承认对方的情绪" in zh and "(“理解”)" in zh
    assert "遗漏的要点" in zh and "说明财务正在调取付款记录" in zh
    assert "用法律立场说话" in zh  # the missed point's advice
    assert "当场承诺付款" in zh and "你写了“今天就付”" in zh
    assert "注意" in zh  # "Note" in the caution sense
    assert answer in zh
    user_preferences_update(user=users["manager"], language="en")
    en = client.get(url).content.decode()
    assert "Your written answers" in en
    assert "Key points covered" in en and "Acknowledge the emotion" in en
    assert "Key points missed" in en and "State the legal position" in en
    assert "Speak from the legal position" in en
    assert "Promising payment on the spot" in en and "you wrote “今天就付”" in en


def test_result_page_of_a_run_without_free_text_has_no_review(debt, users, client_as):
    run = attempts.run_start(simulation=debt, actor=users["manager"])
    run = _play(
        run,
        users["manager"],
        [("start", 0), ("first-words", 0), ("ask-details", 2), ("call-team", 0)],
    )
    run = _play(run, users["manager"], [("team-arrives", 0)])
    page = client_as("manager").get(reverse("competency:result", args=[run.pk]))
    assert page.status_code == 200
    assert 'data-testid="free-text-review"' not in page.content.decode()


def test_note_has_a_remark_and_a_caution_sense():
    with translation.override("zh-hans"):
        assert pgettext("remark", "Note") == "备注"
        assert pgettext("caution", "Note") == "注意"


def test_rating_form_note_is_a_remark(competency_demo, client_as):
    page = client_as("manager").get(reverse("competency:home"))
    assert "备注 <input" in page.content.decode()


# --- publishing ------------------------------------------------------------------------------


def _draft_with_free_text(hr):
    version = authoring.simulation_create(
        code="refund-call", title_zh="退款电话", title_en="Refund call", actor=hr
    )
    ask = authoring.node_save(
        version=version, key="ask", kind="free_text", text_zh="写下回答", text_en="Answer", actor=hr
    )
    end = authoring.node_save(
        version=version,
        key="end",
        kind="ending",
        text_zh="结束",
        text_en="End",
        ending_tone="good",
        actor=hr,
    )
    authoring.choice_save(node=ask, next_node=end, label_zh="提交", label_en="Submit", actor=hr)
    return version, ask


def _problem_codes(version):
    return {p["code"] for p in selectors.version_problems(version)}


def test_publish_needs_a_key_point_that_raises_a_score(competency_demo, users):
    hr = users["hradmin"]
    version, ask = _draft_with_free_text(hr)
    assert _problem_codes(version) == {"free_text_without_rubric"}
    with pytest.raises(ValidationFailed) as refused:
        authoring.version_publish(version=version, actor=hr)
    assert refused.value.code == "graph_invalid"
    version.refresh_from_db()
    assert version.status == "draft"
    # a forbidden phrase alone, or a key point that earns nothing, is not enough
    authoring.rubric_item_save(
        node=ask,
        kind="forbidden",
        label_zh="辱骂",
        label_en="Insults",
        phrases_zh=["闭嘴"],
        effects={"emotional-control": -2},
        actor=hr,
    )
    point = authoring.rubric_item_save(
        node=ask,
        kind="key_point",
        label_zh="道歉",
        label_en="Apologise",
        phrases_en="sorry",
        actor=hr,
    )
    assert _problem_codes(version) == {"free_text_without_rubric"}
    # effects must name competencies of the framework
    authoring.rubric_item_save(
        node=ask,
        item=point,
        kind="key_point",
        label_zh="道歉",
        label_en="Apologise",
        phrases_zh="抱歉|对不起",
        phrases_en="sorry\napologi*",
        effects={"charm": 2},
        actor=hr,
    )
    assert _problem_codes(version) == {"unknown_competency"}
    authoring.rubric_item_save(
        node=ask,
        item=point,
        kind="key_point",
        label_zh="道歉",
        label_en="Apologise",
        phrases_zh="抱歉|对不起",
        phrases_en="sorry\napologi*",
        effects={"customer-empathy": 2},
        actor=hr,
    )
    point.refresh_from_db()
    assert point.phrases_zh == ["抱歉", "对不起"] and point.phrases_en == ["sorry", "apologi*"]
    assert _problem_codes(version) == set()
    authoring.version_publish(version=version, actor=hr)
    version.refresh_from_db()
    assert version.status == "published"
    # the published rubric is immutable
    with pytest.raises(Conflict):
        authoring.rubric_item_save(
            node=ask, kind="key_point", label_zh="x", label_en="x", phrases_zh=["x"], actor=hr
        )
    with pytest.raises(Conflict):
        authoring.rubric_item_delete(item=point, actor=hr)
    assert SimRubricItem.objects.filter(node=ask).count() == 2
    # a new draft carries a copy of the rubric
    draft = authoring.version_new_draft(simulation=version.simulation, actor=hr)
    copied = SimRubricItem.objects.filter(node__version=draft).order_by("order")
    assert [(i.label_en, i.phrases_zh, i.effects) for i in copied] == [
        ("Insults", ["闭嘴"], {"emotional-control": -2}),
        ("Apologise", ["抱歉", "对不起"], {"customer-empathy": 2}),
    ]
    assert not set(copied.values_list("pk", flat=True)) & {point.pk}


def test_rubric_item_input_is_validated_and_nothing_is_written(competency_demo, users):
    hr = users["hradmin"]
    version, ask = _draft_with_free_text(hr)
    end = version.nodes.get(key="end")
    cases = [
        (dict(node=end, kind="key_point", phrases_zh=["好"]), "node"),
        (dict(node=ask, kind="key_point", phrases_zh=[" ", "*"]), "phrases_zh"),
        (dict(node=ask, kind="bonus", phrases_zh=["好"]), "kind"),
        (dict(node=ask, kind="forbidden", phrases_zh=["好"], effects={"x": 1}), "effects"),
        (dict(node=ask, kind="key_point", phrases_zh=["好"], effects={"x": "lots"}), "effects"),
    ]
    for arguments, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            authoring.rubric_item_save(label_zh="要点", label_en="Point", actor=hr, **arguments)
        assert field in refused.value.errors, arguments
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied from hrcore
        authoring.rubric_item_save(
            node=ask,
            kind="key_point",
            label_zh="要点",
            label_en="Point",
            phrases_zh=["好"],
            actor=users["manager"],
        )
    assert not SimRubricItem.objects.filter(node__version=version).exists()


def test_graph_rules_for_rubrics():
    def graph_with(kind, rubric):
        return {
            "start": "a",
            "nodes": {
                "a": {"kind": kind, "choices": [{"id": 1, "next": "b"}], "rubric": rubric},
                "b": {"kind": "ending", "choices": []},
            },
        }

    def codes(g):
        return {p["code"] for p in graph.validate_graph(g, known_competencies={"ec"})}

    good = {"id": 1, "forbidden": False, "phrases": ["好"], "effects": {"ec": 1}}
    assert codes(graph_with("free_text", [good])) == set()
    assert codes(graph_with("decision", [good])) == {"rubric_not_free_text"}
    assert codes(graph_with("free_text", [{**good, "phrases": []}])) == {
        "free_text_without_rubric",
        "rubric_item_without_phrases",
    }
    assert codes(
        graph_with("free_text", [good, {**good, "id": 2, "forbidden": True, "effects": {"ec": 2}}])
    ) == {"forbidden_raises_score"}
    assert codes(graph_with("free_text", [{**good, "effects": {"ec": True}}])) == {
        "bad_effect",
        "free_text_without_rubric",
    }


# --- authoring page --------------------------------------------------------------------------


def _post_item(client, url, node, **extra):
    data = {
        "action": "save_rubric_item",
        "rubric-node": node.pk,
        "rubric-kind": "key_point",
        "rubric-label_zh": "道歉",
        "rubric-label_en": "Apologise",
        "rubric-phrases_zh": "抱歉\n对不起",
        "rubric-phrases_en": "sorry",
        "rubric-effects": "customer-empathy=2",
        "rubric-feedback_zh": "先道歉",
        "rubric-feedback_en": "Apologise first",
        **{f"rubric-{k}": v for k, v in extra.items()},
    }
    return client.post(url, data)


def test_hr_adds_edits_and_deletes_rubric_items_on_a_draft_only(competency_demo, users, client_as):
    version, ask = _draft_with_free_text(users["hradmin"])
    hr = client_as("hradmin")
    url = reverse("competency:authoring_edit", args=[version.pk])
    page = hr.get(url).content.decode()
    assert 'data-testid="rubric-item"' in page and 'data-testid="rubric-ask"' in page
    assert _post_item(hr, url, ask).status_code == 302
    item = SimRubricItem.objects.get(node=ask)
    assert (item.phrases_zh, item.phrases_en, item.effects) == (
        ["抱歉", "对不起"],
        ["sorry"],
        {"customer-empathy": 2},
    )
    # the edit form comes prefilled; saving with the id changes the same row
    edit = hr.get(f"{url}?edit_item={item.pk}").content.decode()
    assert "customer-empathy=2" in edit and f'value="{item.pk}"' in edit
    assert _post_item(hr, url, ask, id=item.pk, effects="customer-empathy=3").status_code == 302
    item.refresh_from_db()
    assert item.effects == {"customer-empathy": 3}
    assert SimRubricItem.objects.filter(node=ask).count() == 1
    # a bad effects string is a form error; nothing written
    assert _post_item(hr, url, ask, effects="customer-empathy=lots").status_code == 200
    assert SimRubricItem.objects.filter(node=ask).count() == 1
    assert hr.post(url, {"action": "publish"}).status_code == 302
    # published: no form, and posting anyway changes nothing
    page = hr.get(url).content.decode()
    assert 'data-testid="rubric-item"' not in page
    refused = _post_item(hr, url, ask, label_en="Sneaky")
    assert refused.status_code == 200
    assert "已发布的版本不能修改" in refused.content.decode()
    hr.post(url, {"action": "delete_rubric_item", "id": item.pk})
    item.refresh_from_db()
    assert item.label_en == "Apologise"
    # a draft again: delete works
    draft = authoring.version_new_draft(simulation=version.simulation, actor=users["hradmin"])
    draft_url = reverse("competency:authoring_edit", args=[draft.pk])
    copy = SimRubricItem.objects.get(node__version=draft)
    assert hr.post(draft_url, {"action": "delete_rubric_item", "id": copy.pk}).status_code == 302
    assert not SimRubricItem.objects.filter(node__version=draft).exists()
    # non-HR users cannot reach it
    manager = client_as("manager")
    assert _post_item(manager, draft_url, draft.nodes.get(key="ask")).status_code == 404


def test_reseeding_a_demo_published_before_rubrics_publishes_a_version_with_them(
    competency_demo,
):
    from competency import demo

    simulation = Simulation.objects.get(code="debt-collectors-office")
    old = selectors.published_version(simulation)
    # the state of a database seeded before free-text rubrics existed
    SimRubricItem.objects.filter(node__version=old).delete()
    demo.seed()
    new = selectors.published_version(simulation)
    old.refresh_from_db()
    assert (old.status, new.version) == ("archived", old.version + 1)
    assert new.nodes.get(key="verify-docs").rubric_items.count() == 6
    demo.seed()  # idempotent once the rubric is there
    assert selectors.published_version(simulation).pk == new.pk
