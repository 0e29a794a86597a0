"""The supervisors' dashboard at /dashboard in a real headless Chromium (1366×768), on the real
stack: work orders are filed through the web chat (and a cluster of like complaints through the
API), a supervisor logs in, and the numbers read on the page — KPIs, volumes by channel, request
type, category and district, the three rates, the overdue orders — equal /api/reports/overview
and /api/reports/daily; the week view likewise; the hot issues open to their order numbers; the
surge that the five like complaints make is listed with its orders; the district map is drawn.
An agent or a unit account cannot see it (403). `hotline report monthly` counts the same orders. Screenshots are saved in the pytest tmp dir and in test-artifacts/."""

import asyncio
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, update

from reports.surges import SurgeWatch, recent_surges
from tests.conftest import ROOT
from tests.e2e.loop_helpers import PASSWORD, add_account, api_key, file_order, token, unique
from tests.e2e.test_closed_loop_e2e import file_complaint
from tests.helpers import ARTIFACTS
from tickets.models import WorkOrder

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WO = WorkOrder.__table__
VIEWPORT = {"width": 1366, "height": 768}
# Five citizens about one mixing plant at one estate: the hot-issue miner's clear case.
PLANT = [
    "丽发新城小区附近的搅拌站每天夜里施工，噪音扰民，睡不着觉",
    "丽发新城旁边搅拌站半夜还在作业，噪音太大了",
    "丽发新城小区边上的搅拌站噪音扰民，晚上十一点以后还在响",
    "丽发新城附近搅拌站夜间噪音严重扰民，请管一管",
    "丽发新城小区附近搅拌站噪音扰民，粉尘也很大",
]


def overview(stack, period: str) -> dict:
    resp = httpx.get(
        f"{stack.http}/api/reports/overview", params={"period": period}, headers=api_key(stack), timeout=30
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def daily(stack) -> dict:
    resp = httpx.get(f"{stack.http}/api/reports/daily", headers=api_key(stack), timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture(scope="module")
def filed(stack):
    before = overview(stack, "today")

    async def through_chat() -> str:
        chat, number = await file_complaint(stack)
        await chat.close()
        return number

    with ThreadPoolExecutor(1) as pool:  # the session's event loop runs in this thread
        chat_number = pool.submit(asyncio.run, through_chat()).result(timeout=180)
    plant = [
        file_order(
            stack,
            description=text,
            district="朝阳区",
            address="丽发新城小区",
            category_code="030301",
            contact_phone=f"1391000{i:04d}",
        )
        for i, text in enumerate(PLANT)
    ]
    # Time passes for one of them: its deadline is three hours behind (written in the stack's database).
    db = create_engine(f"sqlite:///{stack.var_dir / 'hotline.db'}")
    with db.begin() as conn:
        conn.execute(update(WO).where(WO.c.number == plant[0]).values(deadline=datetime.now(UTC) - timedelta(hours=3)))
    # Five complaints about one plant within minutes are a surge (未诉先办): the watch finds it
    # (this scan, or the stack's own watch if it ran first; an alert is stored once a day).
    SurgeWatch(db).scan()
    [surge] = [
        s for s in recent_surges(db, datetime.now(UTC) - timedelta(days=1)) if set(plant) & set(s["work_orders"])
    ]
    db.dispose()
    supervisor = add_account(stack, unique("dash_sup"), "supervisor")
    return {"before": before, "chat": chat_number, "plant": plant, "supervisor": supervisor, "surge": surge}


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/dashboard")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def page_volume(page, by: str) -> dict[str, int]:
    rows = page.eval_on_selector_all(f"#volume-{by} tr[data-key]", "rs => rs.map(r => [r.dataset.key, r.innerText])")
    return {key: int(text.split("\t")[-1]) for key, text in rows}


def check_against_api(page, api: dict, today: dict | None) -> None:
    totals = api["totals"]
    for key in ("received", "resolved", "overdue"):
        assert int(page.inner_text(f"#kpi-{key}")) == totals[key], key
    for key in ("response", "resolution", "satisfaction"):
        assert page.inner_text(f"#kpi-{key}") == percent(totals["rates"][key]), key
        counts = totals["counts"][key]
        assert page.inner_text(f"#kpi-{key}-counts") == f"{counts['numerator']}/{counts['denominator']}"
    for by in ("channel", "request_type", "category", "district"):
        assert page_volume(page, by) == {r["key"] or "": r["count"] for r in api["volume"][by]}, by
    assert int(page.inner_text("#overdue-count")) == api["overdue"]["count"]
    shown = page.eval_on_selector_all("#overdue-table tr[data-number]", "rs => rs.map(r => r.dataset.number)")
    assert shown == [o["number"] for o in api["overdue"]["orders"]]
    if today is not None:  # the daily report of the same day agrees
        assert (totals["received"], totals["resolved"], totals["overdue"]) == (
            today["received"],
            today["resolved"],
            today["overdue"],
        )
        assert totals["rates"] == today["rates"]


def loaded(page, period: str) -> None:
    page.wait_for_function("p => (document.body.dataset.loaded || '').startsWith(p + ':')", arg=period)


def test_dashboard_shows_the_reports_numbers(stack, browser, filed, tmp_path):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    log_in(page, stack.http, filed["supervisor"])
    page.wait_for_selector("#board:not([hidden])")
    loaded(page, "today")

    api, today = overview(stack, "today"), daily(stack)
    before = filed["before"]
    # The chat's complaint and the five API complaints are in today's figures.
    assert api["totals"]["received"] >= before["totals"]["received"] + 6

    def volume(report: dict, dimension: str, key: str) -> int:
        return sum(r["count"] for r in report["volume"][dimension] if r["key"] == key)

    assert volume(api, "channel", "web") >= volume(before, "channel", "web") + 1
    assert volume(api, "district", "朝阳区") >= volume(before, "district", "朝阳区") + 6
    check_against_api(page, api, today)
    late = next(o for o in api["overdue"]["orders"] if o["number"] == filed["plant"][0])
    assert late["overdue_hours"] >= 2.9 and late["unit_name"]
    assert page.locator(f'#overdue-table tr[data-number="{late["number"]}"]').inner_text().startswith(late["number"])
    assert page.locator("#volume-channel tr[data-key='web']").inner_text().startswith("网页")
    assert page.locator("#volume-district tr[data-key='朝阳区']").inner_text().startswith("朝阳区")

    # The surge alerts are the API's, the plant's among them with its orders.
    surges = httpx.get(
        f"{stack.http}/api/reports/surges", params={"days": 1}, headers=api_key(stack), timeout=30
    ).json()
    shown = page.eval_on_selector_all("#surge-list li", "els => els.map(e => e.dataset.surge)")
    assert shown == [str(s["id"]) for s in surges["surges"]] and int(page.inner_text("#surge-count")) == len(shown)
    surge = filed["surge"]
    assert len(set(filed["plant"]) & set(surge["work_orders"])) >= 4
    text = page.inner_text(f'#surge-list li[data-surge="{surge["id"]}"]')
    assert "丽发新城小区" in text and all(number in text for number in surge["work_orders"])

    # The three rates by unit, district and category: the table is the API's.
    for by in ("unit", "district", "category"):
        page.click(f'#rate-tabs button[data-by="{by}"]')
        rows = page.eval_on_selector_all("#rates-table tr[data-key]", "rs => rs.map(r => [r.dataset.key, r.innerText])")
        assert [key for key, _ in rows] == [g[by] or "" for g in api["rates"][by]], by
        for (_, text), group in zip(rows, api["rates"][by], strict=True):
            cells = text.split("\t")
            assert cells[1:] == [
                f"{percent(group['rates'][k])} ({group['counts'][k]['numerator']}/{group['counts'][k]['denominator']})"
                for k in ("response", "resolution", "satisfaction")
            ]

    # The charts are drawn (canvas), the district map among them, within a 1366×768 screen's width.
    page.wait_for_selector('#chart-map[data-ready="true"] canvas')
    for chart in ("chart-channel", "chart-request_type", "chart-category", "chart-map", "chart-rates"):
        box = page.locator(f"#{chart} canvas").first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100 and box["x"] + box["width"] <= 1366, chart
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shot = tmp_path / "dashboard-today.png"
    page.screenshot(path=str(shot))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "dashboard-today.png")

    # This week: the page follows the API's week.
    page.click('#periods button[data-period="week"]')
    loaded(page, "week")
    week = overview(stack, "week")
    assert week["totals"]["received"] >= api["totals"]["received"]
    check_against_api(page, week, None)
    assert page.inner_text("#range") == (
        week["from"] if week["from"] == week["to"] else f"{week['from']} 至 {week['to']}"
    )
    page.screenshot(path=str(tmp_path / "dashboard-week.png"), full_page=True)

    # Hot issues: the page lists the API's, and one opens to its order numbers.
    hot = httpx.get(
        f"{stack.http}/api/reports/hot-issues",
        params={"from": week["from"], "to": week["to"], "top": 10},
        headers=api_key(stack),
        timeout=120,
    )
    assert hot.status_code == 200, hot.text
    issues = hot.json()["issues"]
    assert issues, "the five complaints about one mixing plant make a hot issue"
    [plant] = [i for i in issues if set(filed["plant"]) & {str(n) for n in i["message_ids"]}]
    assert len(set(filed["plant"]) & {str(n) for n in plant["message_ids"]}) >= 4
    assert "搅拌站" in plant["title"] and "丽发新城" in plant["title"], plant["title"]  # the problem at its place
    titles = page.eval_on_selector_all(".hot-issue .title", "els => els.map(e => e.textContent)")
    assert titles == [i["title"] for i in issues]
    page.click(f'.hot-issue[data-rank="{plant["rank"]}"]')
    page.wait_for_selector("#hot-detail:not([hidden])")
    listed = page.eval_on_selector_all("#hot-orders li", "els => els.map(e => e.dataset.number)")
    assert listed == [str(n) for n in plant["message_ids"]]
    assert page.get_attribute(f'.hot-issue[data-rank="{plant["rank"]}"]', "aria-expanded") == "true"
    page.screenshot(path=str(tmp_path / "dashboard-hot.png"))
    shutil.copy(tmp_path / "dashboard-hot.png", ARTIFACTS / "dashboard-hot.png")
    assert "13911112222" not in page.content()
    assert not errors, errors
    context.close()


def test_agents_and_units_cannot_see_the_dashboard(stack, browser, filed):
    agent = add_account(stack, unique("dash_agent"), "agent")
    unit = add_account(stack, unique("dash_unit"), "unit", "110101-003")
    for name in (agent, unit):
        resp = httpx.get(f"{stack.http}/api/reports/overview", params={"period": "today"}, headers=token(stack, name))
        assert resp.status_code == 403, (name, resp.text)
    assert httpx.get(f"{stack.http}/api/reports/overview", params={"period": "today"}).status_code == 401
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    log_in(page, stack.http, agent)
    page.wait_for_selector("#login-error:not(:empty)")
    assert "仅限班长" in page.inner_text("#login-error")
    assert page.locator("#board").is_hidden()
    context.close()


def test_monthly_report_counts_the_chats_orders(stack, filed, tmp_path):
    """`hotline report monthly` on the stack's database: the month's 受理量 is /api/reports/overview's
    for the month, and the mixing plant is a 每月一题 candidate with its orders."""
    today = date.fromisoformat(overview(stack, "today")["from"])
    first = today.replace(day=1)
    out = tmp_path / "monthly.xlsx"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "report",
            "monthly",
            "--month",
            first.strftime("%Y-%m"),
            "--format",
            "xlsx",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    month = httpx.get(
        f"{stack.http}/api/reports/overview",
        params={"from": first.isoformat(), "to": today.isoformat()},
        headers=api_key(stack),
        timeout=30,
    ).json()
    book = load_workbook(out)
    summary = dict(book["概况"].iter_rows(min_row=2, values_only=True))
    assert summary["受理量"] == month["totals"]["received"] >= 6
    candidates = list(book["每月一题候选"].iter_rows(min_row=2, values_only=True))
    assert any(set(filed["plant"]) <= set(row[9].split("、")) for row in candidates), candidates
