"""The loader skips bad files with an English log line naming the file; validity dates."""

import logging
from datetime import date

from knowledge_base.loader import load_articles
from knowledge_base.schema import Article
from tests.knowledge_base.conftest import ARTICLES, article, write_article


def test_every_good_file_loads(articles_dir):
    result = load_articles(articles_dir)
    assert set(result.articles) == {a["id"] for a in ARTICLES}
    assert result.errors == []


def test_bad_files_are_reported_and_skipped(articles_dir, caplog):
    bad = articles_dir / "residence"
    (bad / "broken-yaml.yml").write_text("id: broken-yaml\ntitle: [unclosed\n", encoding="utf-8")
    (bad / "a-list.yml").write_text("- just\n- a list\n", encoding="utf-8")
    write_article(articles_dir, {**ARTICLES[0], "id": "other-id"}, name="name-differs")
    write_article(articles_dir, {**ARTICLES[0], "id": "too-long-short", "answer_short": "很长" * 41})
    write_article(articles_dir, {k: v for k, v in ARTICLES[0].items() if k != "source"} | {"id": "no-source"})
    write_article(articles_dir, {**ARTICLES[0], "id": "typo-key", "anwser": "x"})
    write_article(
        articles_dir,
        {**ARTICLES[0], "id": "bad-dates", "effective_from": "2025-01-01", "effective_until": "2024-01-01"},
    )
    write_article(articles_dir, {**ARTICLES[1], "topic": "residence"}, name="provident-fund-withdraw")  # duplicate id
    (bad / "Bad_Name.yml").write_text("id: Bad_Name\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="knowledge_base.loader"):
        result = load_articles(articles_dir)
    assert set(result.articles) == {a["id"] for a in ARTICLES}, "good articles are all still there"
    reasons = {p.rsplit("/", 1)[-1]: r for p, r in result.errors}
    assert set(reasons) == {
        "broken-yaml.yml",
        "a-list.yml",
        "name-differs.yml",
        "too-long-short.yml",
        "no-source.yml",
        "typo-key.yml",
        "bad-dates.yml",
        "provident-fund-withdraw.yml",
        "Bad_Name.yml",
    }
    assert "unreadable YAML" in reasons["broken-yaml.yml"]
    assert "differs from the file name" in reasons["name-differs.yml"]
    assert "answer_short" in reasons["too-long-short.yml"]
    assert "source" in reasons["no-source.yml"]
    assert "anwser" in reasons["typo-key.yml"]
    assert "effective_until is before effective_from" in reasons["bad-dates.yml"]
    assert "duplicate id" in reasons["provident-fund-withdraw.yml"]
    for path in result.errors:
        assert f"skipped {path[0]}" in caplog.text, "the log line names the file"


def test_missing_folder_is_an_empty_knowledge_base(tmp_path, caplog):
    result = load_articles(tmp_path / "nowhere")
    assert result.articles == {} and "does not exist" in caplog.text


def test_numbers_in_word_lists_are_words():
    body = article(
        "gas-leak", "utilities", "燃气泄漏", [96777, "闻到煤气味"], "立即开窗，拨打96777。", keywords=["燃气", 96777]
    )
    a = Article.model_validate(body)
    assert a.keywords == ["燃气", "96777"] and a.questions[0] == "96777"


def test_in_force_between_the_dates_inclusive():
    a = Article.model_validate(
        article("x", "t", "标题", ["问"], "答", effective_from="2024-01-01", effective_until="2024-12-31")
    )
    assert not a.in_force(date(2023, 12, 31))
    assert a.in_force(date(2024, 1, 1)) and a.in_force(date(2024, 12, 31))
    assert not a.in_force(date(2025, 1, 1))
    assert Article.model_validate(article("y", "t", "标题", ["问"], "答")).in_force(date(1990, 1, 1))


def test_list_details_render_as_numbered_lines():
    a = Article.model_validate(ARTICLES[0])
    assert a.facet_text("materials") == "1. 本人身份证\n2. 居住登记卡\n3. 租房合同或房产证明"
    assert a.facet_text("where") == "居住地派出所或社区服务站"
    assert Article.model_validate(ARTICLES[2]).facet_text("materials") is None
