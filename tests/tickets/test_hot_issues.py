"""Hot issues (每月一题) over work orders in a real database and over CSV files, on generated
streams where the answer is known: the planted issues come out on top with exactly their
messages, one problem at two places is two issues, two problems at one place are two issues,
personal data never appears; and the real contest file when ../shared/data is present."""

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import cli
import tickets.crud
from core.settings import Settings
from reports import routes as report_routes
from reports.hot_issues import hot_issues_from_orders
from reports.routes import ReportBook
from reports.service import day_start
from reports.synthetic import Planted, stream
from tests.tickets.conftest import work_order_data
from tickets.category_catalog import CategoryCatalog

END = date(2026, 3, 31)
END_TIME = datetime(2026, 3, 31, 3, 0, tzinfo=UTC)
API_KEY = "hot-issues-test-key-0123456789"
PLANTED = [
    Planted("丽发新城小区", "mixing_noise", 14, days=6),
    Planted("丽发新城小区", "water_cut", 9, days=2),
    Planted("翠湖花园", "mixing_noise", 7, days=4),
    Planted("金帆小学", "tuition", 5, days=10),
]
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "gov_messages" / "teddy2020_replies.csv"


def _as_orders(repo, monkeypatch, messages) -> dict[str, str]:
    """The messages filed as work orders at their times; message id -> work-order number."""
    numbers = {}
    for k, message in enumerate(sorted(messages, key=lambda m: m.time)):
        monkeypatch.setattr(tickets.crud, "utcnow", lambda when=message.time: when)
        order = repo.create(
            work_order_data(description=message.text, address=None, street=None, contact_phone=f"138{k:08d}"),
            actor="bot",
        )
        numbers[message.id] = order.number
    return numbers


def test_planted_issues_top_the_orders_with_their_numbers(db, repo, monkeypatch) -> None:
    generated = stream(160, PLANTED, END_TIME, days=20)
    numbers = _as_orders(repo, monkeypatch, generated.messages)
    report = hot_issues_from_orders(db, END - timedelta(days=29), END, top=10)
    assert report["messages"] == 160
    issues = report["issues"]
    found = {(i["place"], frozenset(i["message_ids"])) for i in issues[: len(PLANTED)]}
    for (place, _problem), ids in generated.planted.items():
        assert (place, frozenset(numbers[i] for i in ids)) in found, (place, _problem)
    assert [i["rank"] for i in issues] == list(range(1, len(issues) + 1))
    assert issues[0]["count"] == 14 and issues[0]["place"] == "丽发新城小区"
    assert all(i["category"] == "环境保护 / 噪声污染 / 商业噪声" and i["district"] == "朝阳区" for i in issues)
    assert all(i["first"].endswith("Z") and i["first"] <= i["last"] for i in issues)
    assert "138" not in json.dumps(report, ensure_ascii=False)  # no phone number, not even masked


def test_one_problem_at_two_places_is_two_issues(db, repo, monkeypatch) -> None:
    generated = stream(40, PLANTED[::2], END_TIME, days=20, seed=3)
    _as_orders(repo, monkeypatch, generated.messages)
    issues = hot_issues_from_orders(db, END - timedelta(days=29), END)["issues"]
    noise = [i for i in issues if i["place"] in ("丽发新城小区", "翠湖花园")]
    assert sorted(i["count"] for i in noise) == [7, 14]


def test_period_is_inclusive_beijing_dates(db, repo, monkeypatch) -> None:
    late = day_start(END) - timedelta(minutes=1)  # 23:59 Beijing on the day before END
    for k in range(3):
        monkeypatch.setattr(tickets.crud, "utcnow", lambda: late)
        repo.create(
            work_order_data(description="丽发新城小区突然停水了，没有任何通知", contact_phone=f"1390000000{k}"),
            actor="bot",
        )
    assert hot_issues_from_orders(db, END, END)["issues"] == []
    [issue] = hot_issues_from_orders(db, END - timedelta(days=1), END - timedelta(days=1))["issues"]
    assert issue["count"] == 3 and issue["people"] == 3


def test_route(db, repo, monkeypatch) -> None:
    generated = stream(60, PLANTED[:1], END_TIME, days=10)
    numbers = _as_orders(repo, monkeypatch, generated.messages)
    app = FastAPI()
    app.state.settings, app.state.reports = Settings(api_keys=API_KEY), ReportBook(db, CategoryCatalog.load())
    app.include_router(report_routes.router)
    client = TestClient(app)
    url = f"/api/reports/hot-issues?from={END - timedelta(days=29)}&to={END}&top=3"
    assert client.get(url).status_code == 401
    response = client.get(url, headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200
    body = response.json()
    assert len(body["issues"]) <= 3
    assert set(body["issues"][0]["message_ids"]) == {
        numbers[i] for i in generated.planted[("丽发新城小区", "mixing_noise")]
    }
    assert (
        client.get(
            f"/api/reports/hot-issues?from={END}&to={END - timedelta(days=1)}",
            headers={"Authorization": f"Bearer {API_KEY}"},
        ).status_code
        == 422
    )


def test_cli_over_the_orders(db, repo, monkeypatch, capsys) -> None:
    generated = stream(80, PLANTED[:2], END_TIME, days=10)
    numbers = _as_orders(repo, monkeypatch, generated.messages)
    url = db.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    period = ["--from", str(END - timedelta(days=9)), "--to", str(END)]
    assert cli.main(["report", "hot-issues", *period, "--top", "2", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == hot_issues_from_orders(db, END - timedelta(days=9), END, top=2)
    assert [set(i["message_ids"]) for i in report["issues"]] == [
        {numbers[i] for i in generated.planted[key]}
        for key in (("丽发新城小区", "mixing_noise"), ("丽发新城小区", "water_cut"))
    ]
    assert cli.main(["report", "hot-issues", *period]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"热点问题（每月一题）{END - timedelta(days=9)} – {END}") and "丽发新城小区" in text


def _write_csv(path: Path, messages, likes: dict[str, int]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["编号", "标题", "正文", "时间", "点赞"])
        for m in messages:
            title, _, body = m.text.partition("。")
            writer.writerow([m.id, title, body, m.time.strftime("%Y/%m/%d %H:%M:%S"), likes.get(m.id, 0)])


def test_cli_csv_mode_needs_no_database(tmp_path, capsys, monkeypatch) -> None:
    for name in ("DATABASE_URL", "HOTLINE_DATABASE_URL"):  # unreachable: must not matter
        monkeypatch.setenv(name, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    generated = stream(300, PLANTED, END_TIME.replace(tzinfo=None), days=20)
    water = generated.planted[("丽发新城小区", "water_cut")]
    path = tmp_path / "history.csv"
    _write_csv(path, generated.messages, dict.fromkeys(water, 50))
    argv = [
        "report",
        "hot-issues",
        "--csv",
        str(path),
        "--text-columns",
        "标题,正文",
        "--time-column",
        "时间",
        "--id-column",
        "编号",
        "--likes-column",
        "点赞",
        "--top",
        "5",
        "--format",
        "json",
    ]
    assert cli.main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    top = report["issues"][0]
    assert set(top["message_ids"]) == set(water) and top["support"] == 50 * len(water)  # likes lift it to the top
    assert cli.main(argv[:-2]) == 0
    text = capsys.readouterr().out
    assert "热点问题" in text and "丽发新城小区" in text
    assert (
        cli.main(
            [
                "report",
                "hot-issues",
                "--csv",
                str(path),
                "--text-columns",
                "标题",
                "--time-column",
                "无此列",
                "--id-column",
                "编号",
            ]
        )
        == 1
    )
    assert "无此列" in capsys.readouterr().err


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data/gov_messages/teddy2020_replies.csv is absent")
def test_real_messages_give_placed_issues(capsys) -> None:
    argv = [
        "report",
        "hot-issues",
        "--csv",
        str(SHARED),
        "--text-columns",
        "subject,detail",
        "--time-column",
        "time",
        "--id-column",
        "id",
        "--format",
        "json",
    ]
    assert cli.main(argv) == 0
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert len(issues) == 10
    assert all(i["place"] and i["count"] >= 2 and len(i["message_ids"]) == i["count"] for i in issues)


def test_the_api_mines_a_period_again_only_when_its_orders_changed(db, repo, monkeypatch) -> None:
    import reports.hot_issues
    from reports.hot_issues import RememberedHotIssues

    generated = stream(40, PLANTED[:1], END_TIME, days=10)
    _as_orders(repo, monkeypatch, generated.messages)
    runs = []
    real_mine = reports.hot_issues.mine
    monkeypatch.setattr(reports.hot_issues, "mine", lambda *a, **k: runs.append(1) or real_mine(*a, **k))
    remembered = RememberedHotIssues(db)
    first = remembered(END - timedelta(days=29), END, 5)
    assert remembered(END - timedelta(days=29), END, 5) == first and len(runs) == 1
    remembered(END - timedelta(days=29), END, 3)  # another question is mined
    assert len(runs) == 2
    more = stream(5, [Planted("翠湖花园", "water_cut", 5, days=1)], END_TIME, days=1, seed=8)
    _as_orders(repo, monkeypatch, more.messages)
    again = remembered(END - timedelta(days=29), END, 5)
    assert len(runs) == 3 and again["messages"] == first["messages"] + len(more.messages)


def test_an_orders_issue_is_titled_by_its_problem_not_its_address(db, repo, monkeypatch) -> None:
    for k in range(4):
        monkeypatch.setattr(tickets.crud, "utcnow", lambda k=k: END_TIME - timedelta(hours=k))
        repo.create(
            work_order_data(
                description=f"小区旁边的搅拌站夜里施工噪音扰民{'，' * k}睡不着",
                address="丽发新城小区",
                street=None,
                contact_phone=f"137{k:08d}",
            ),
            actor="bot",
        )
    [issue] = hot_issues_from_orders(db, END, END, 5)["issues"]
    assert issue["place"].startswith("丽发新城") and "搅拌站" in issue["title"], issue
