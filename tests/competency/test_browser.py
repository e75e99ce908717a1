"""Real Chromium: the demo manager finds the assignment in the inbox, plays the debt-collector
simulation in zh-Hans to an ending and sees the score per competency and the suggestions."""

import re

import pytest
from playwright.sync_api import expect

from tests.screenshots import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose(page, text):
    page.locator("[data-testid=choice]", has_text=text).click()


def test_manager_plays_the_debt_collector_simulation_in_chinese(
    competency_demo, page, live_server, login_page
):
    login_page("manager")
    page.goto(f"{live_server.url}/inbox/")
    page.get_by_role("link", name=re.compile("新的情景演练：催收人员在办公室大声喧哗")).click()
    page.locator("[data-testid=start-run]").click()
    expect(page.locator("[data-testid=node]")).to_contain_text("三名自称催收公司的人员")
    expect(page.locator("[data-testid=agitation]")).to_contain_text("70/100")
    choose(page, "上前应对")
    # a timed decision counts down in the page
    expect(page.locator("[data-testid=countdown]")).to_be_visible()
    choose(page, "请大家冷静")
    expect(page.locator("[data-testid=agitation]")).to_contain_text("55/100")
    choose(page, "我先请财务和法务过来一起看")
    choose(page, "在群里同时通知财务陈静")
    choose(page, "由你主谈、法务把关")
    expect(page).to_have_url(re.compile(r"/training/runs/\d+/result/$"))
    expect(page.locator("[data-testid=ending]")).to_contain_text("对方同意以书面对账为准")
    scores = page.locator("[data-testid=competency-scores]")
    expect(scores).to_contain_text("情绪控制")
    expect(scores).to_contain_text("依据数据与法律谈判")
    expect(scores).to_contain_text("63")  # 62.5: normalised by the best on the path taken
    expect(page.locator("[data-testid=overall]")).to_have_text("89")  # 88.5, weighted 3:2:2:2
    suggestions = page.locator("[data-testid=suggestions]")
    expect(suggestions).to_contain_text("叫人之前，先问清对方的委托关系和诉求")
    expect(suggestions).to_contain_text("重点练习「依据数据与法律谈判」")
    screenshot(page, path="test-results/competency-result-zh.png", full_page=True)
    # the training home now shows the run and the updated resilience chart
    page.goto(f"{live_server.url}/training/")
    expect(page.locator("[data-testid=resilience] svg")).to_be_visible()
    expect(page.locator("[data-testid=assignments]")).not_to_contain_text("截止")
