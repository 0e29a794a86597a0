"""Search on a small real knowledge base (real jieba, bm25s and e5 model): decisions, synonyms,
validity dates, facets and follow-ups; plus the pure decision and fusion rules."""

from datetime import UTC, date, datetime

import numpy as np
import pytest

from knowledge_base.index import Components, FusionParams, HybridIndex, Scored
from knowledge_base.schema import Article
from knowledge_base.search import decide, detect_facet
from knowledge_base.service import KnowledgeBase
from knowledge_base.thresholds import Thresholds
from tests.knowledge_base.conftest import ARTICLES

TH = Thresholds(answer_min=0.6, answer_gap=0.1, choose_min=0.4, choose_window=0.12)
A = [Article.model_validate(a) for a in ARTICLES]


def scored(*scores: float) -> list[Scored]:
    return [Scored(A[i], s, 0.0, None) for i, s in enumerate(scores)]


def test_decide_answers_a_clear_winner():
    out = decide(scored(0.8, 0.5, 0.3), TH, top_k=3)
    assert out.decision == "answer" and [s.article.id for s in out.results] == [a.id for a in A[:3]]
    assert decide(scored(0.8, 0.5), TH, top_k=1).results == scored(0.8)


def test_decide_offers_close_articles_as_a_choice():
    out = decide(scored(0.65, 0.6, 0.55, 0.5), TH, top_k=3)
    assert out.decision == "choose" and [s.score for s in out.results] == [0.65, 0.6, 0.55]
    assert len(decide(scored(0.65, 0.62, 0.61, 0.6, 0.6), TH, 5).results) == 3, "never more than choose_max"


def test_decide_says_none_when_nothing_fits():
    assert decide(scored(0.39, 0.38), TH, 3).decision == "none"
    assert decide([], TH, 3).decision == "none"
    assert decide(scored(0.5, 0.2), TH, 3).decision == "none", "one lukewarm article is no answer"


def test_fusion_mixes_word_coverage_and_dense_similarity():
    p = FusionParams(body_weight=1.0, gram_weight=0.0, oov_weight=0.5, dense_lo=0.8, dense_hi=0.9, dense_weight=0.5)
    # Three articles; the question's known words weigh 4 (head) / 2 (body); unknown words 2 (half counted).
    comp = Components(
        raw=[np.array([2.5, 0.0, 9.0]), np.array([0.0, 0.0, 3.0]), np.zeros(3)],
        known=[4.0, 2.0, 0.0],
        unknown=[2.0, 2.0, 0.0],
        dense=np.array([0.85, 0.70, 0.99]),
    )
    fused, lexical = HybridIndex.fuse(p, comp)
    # head coverage 2.5 / (4 + 0.5 * 2) = 0.5; body 0 / 3; article 3 is capped at 1 + 1.
    assert lexical.tolist() == pytest.approx([0.25, 0.0, 1.0])
    assert fused.tolist() == pytest.approx([0.5 * 0.25 + 0.5 * 0.5, 0.0, 0.5 * 1.0 + 0.5 * 1.0])
    lexical_only, _ = HybridIndex.fuse(p, Components(comp.raw, comp.known, comp.unknown, None))
    assert lexical_only.tolist() == pytest.approx(lexical.tolist())


@pytest.mark.parametrize(
    ("text", "facet"),
    [
        ("居住证要带什么材料", "materials"),
        ("在哪儿办", "where"),
        ("多久能办好", "time_limit"),
        ("要钱吗", "fees"),
        ("办理流程是什么", "process"),
        ("居住证怎么办理", None),
        ("失业金一个月多少钱", None),
    ],
)
def test_facet_words(text, facet):
    assert detect_facet(text) == facet


def test_weak_facet_words_count_only_in_follow_ups():
    assert detect_facet("那怎么办理呢") is None
    assert detect_facet("那怎么办理呢", follow_up=True) == "process"
    assert detect_facet("多少钱", follow_up=True) == "fees"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("居住证怎么办理", "residence-permit-apply"),
        ("暂住证咋办", "residence-permit-apply"),
        ("居住證怎麼申請", "residence-permit-apply"),
        ("租房能提取公积金吗", "provident-fund-withdraw"),
        ("家里暖气片一点都不热", "heating-not-warm"),
        ("最低生活保障怎么申请", "low-income-assistance"),
        ("公交卡押金退不退", "transit-card"),
    ],
)
def test_real_questions_are_answered(kb: KnowledgeBase, question, expected):
    out = kb.search(question)
    assert out.results and out.results[0].article.id == expected
    assert out.decision == "answer", [(s.article.id, round(s.score, 3)) for s in out.results]


def test_unrelated_question_gets_none(kb: KnowledgeBase):
    out = kb.search("火星上能种土豆吗")
    assert out.decision == "none" and out.results == []


def test_articles_out_of_force_are_never_served(kb: KnowledgeBase):
    for q in ("2020年采暖补贴怎么领", "停车新规什么时候实施"):
        assert all(s.article.id not in {"heating-subsidy-2020", "future-parking-rule"} for s in kb.search(q).results)
    kb.clock = lambda: datetime(2021, 1, 10, 4, tzinfo=UTC)  # inside the 2020/21 heating season
    assert kb.search("2020年采暖补贴怎么领").results[0].article.id == "heating-subsidy-2020"


def test_follow_up_stays_on_the_article(kb: KnowledgeBase):
    ctx = "residence-permit-apply"
    for text, facet in [
        ("那要带什么材料？", "materials"),
        ("在哪儿办？", "where"),
        ("多久能办好", "time_limit"),
        ("要钱吗", "fees"),
        ("那怎么办理呢", "process"),
    ]:
        out = kb.search(text, context_article=ctx)
        assert (out.decision, out.facet, out.follow_up) == ("answer", facet, True), text
        assert [s.article.id for s in out.results] == [ctx]


def test_follow_up_naming_another_topic_searches_normally(kb: KnowledgeBase):
    out = kb.search("那公积金提取要带什么材料", context_article="residence-permit-apply")
    assert not out.follow_up and out.decision == "answer" and out.facet == "materials"
    assert out.results[0].article.id == "provident-fund-withdraw"


def test_follow_up_needs_a_context_that_is_served(kb: KnowledgeBase):
    assert not kb.search("要带什么材料", context_article="no-such-article").follow_up
    assert not kb.search("要带什么材料", context_article="heating-subsidy-2020").follow_up


def test_facet_of_a_first_question(kb: KnowledgeBase):
    out = kb.search("办居住证要带什么材料")
    assert out.decision == "answer" and out.facet == "materials"
    assert kb.search("居住证怎么办理").facet is None


def test_index_without_dense_model(articles_dir, tmp_path):
    base = KnowledgeBase(articles_dir, dense=False)
    snap = base.reload()
    assert not snap.index.dense
    out = base.search("暂住证怎么办理")
    assert out.results[0].article.id == "residence-permit-apply"


def test_search_on_an_empty_knowledge_base(tmp_path):
    base = KnowledgeBase(tmp_path / "empty", dense=False)
    assert base.search("居住证").decision == "none"
    assert base.health()["articles"] == 0


def test_index_rejects_nothing_when_today_changes(kb: KnowledgeBase):
    idx = kb.snapshot.index
    assert idx.in_force_mask(date(2021, 1, 1)).sum() == len(idx) - 1
    assert idx.in_force_mask(date(2100, 1, 1)).sum() == len(idx) - 1


def test_two_stage_dense_scan_matches_the_exact_one(kb: KnowledgeBase, monkeypatch):
    import knowledge_base.index as index_module

    exact = kb.snapshot.index
    monkeypatch.setattr(index_module, "EXACT_DENSE_MAX", 0)
    monkeypatch.setattr(index_module, "DENSE_CANDIDATES", 2)
    staged = HybridIndex(exact.articles, exact.tokenizer, exact.embedder, None, exact.params)
    assert staged._centroids is not None
    for q in ("暂住证怎么办理", "暖气不热", "公交卡退押金"):
        a, b = exact.dense_scores(q), staged.dense_scores(q)
        best = int(np.argmax(a))
        assert int(np.argmax(b)) == best and b[best] == pytest.approx(a[best], abs=1e-5)
        exact_rows = np.isclose(a, b, atol=1e-5)
        assert exact_rows.sum() >= 3, "the candidates' passages are scored exactly"
        assert b[~exact_rows].max() <= b[exact_rows].min(), "the others stand in below every candidate"
