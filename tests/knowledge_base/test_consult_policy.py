"""The consultation policy: answer when one article is clearly best (a close runner-up offered
beside), choose only between close articles, refer who-handles questions to the responsible unit.
Pure rules first, then the service with a fake referrer on the small knowledge base, then the
shipped thresholds on the project's real articles (real jieba, bm25s and e5)."""

import pytest

from core.settings import PROJECT_ROOT
from knowledge_base.index import Scored
from knowledge_base.schema import Article
from knowledge_base.search import Outcome, asks_who, decide, wants_referral, with_referral
from knowledge_base.service import KnowledgeBase
from knowledge_base.thresholds import HYBRID, Thresholds
from knowledge_base.wiring import DEFAULT_CACHE_DIR
from tests.knowledge_base.conftest import ARTICLES

TH = Thresholds(answer_min=0.5, answer_gap=0.04, choose_min=0.5, choose_window=0.1)
A = [Article.model_validate(a) for a in ARTICLES]
REFERRAL = {"unit_name": "北京市热力集团", "contact": "可以拨打96069", "request_type": "seek_help"}


def scored(*scores: float) -> list[Scored]:
    return [Scored(A[i], s, 0.0, None) for i, s in enumerate(scores)]


def test_a_clear_lead_is_answered_with_a_close_runner_up_beside():
    out = decide(scored(0.80, 0.75, 0.60), TH, 3)
    assert out.decision == "answer" and out.results[0].article.id == A[0].id
    assert [s.article.id for s in out.related] == [A[1].id], "the runner-up within the window is offered"
    assert decide(scored(0.80, 0.65, 0.60), TH, 3).related == [], "a distant runner-up is not"


def test_close_articles_are_a_choice_and_weak_ones_nothing():
    out = decide(scored(0.80, 0.78, 0.75, 0.74), TH, 3)
    assert out.decision == "choose" and len(out.results) == 3
    assert decide(scored(0.49, 0.30), TH, 3).decision == "none", "below choose_min nothing is offered"
    assert decide(scored(0.55, 0.53, 0.30), TH, 3).decision == "choose"


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("停水了找哪个部门", True),
        ("小区没有垃圾桶找谁反映", True),
        ("楼道灯坏了归谁管", True),
        ("井盖丢了谁负责", True),
        ("路灯不亮该找哪里", True),
        ("我反映的问题会派给哪个部门", False),
        ("12345的工单归谁管", False),
        ("居住证在哪办", False),
        ("公交卡能退吗", False),
    ],
)
def test_who_questions(text, who):
    assert asks_who(text) is who


def test_when_a_referral_is_wanted_and_what_it_keeps():
    answered = Outcome("answer", None, scored(0.8), related=[])
    assert wants_referral(answered, "停水了找哪个部门") and not wants_referral(answered, "停水了怎么查")
    assert wants_referral(Outcome("none", None), "护照在哪办"), "a where-question nothing answered"
    assert not wants_referral(Outcome("answer", None, scored(0.8)), "护照在哪办")
    assert not wants_referral(Outcome("answer", "where", scored(1.0), follow_up=True), "那找哪个部门")
    referred = with_referral(answered, REFERRAL)
    assert (referred.decision, referred.referral, referred.results) == ("refer", REFERRAL, [])
    assert [s.article.id for s in referred.related] == [A[0].id], "the article that answered is offered beside"
    assert with_referral(Outcome("choose", None, scored(0.6, 0.6)), REFERRAL).related == []
    assert with_referral(answered, None) is answered, "no unit known: the articles answer"


def test_the_service_asks_the_referrer_only_for_who_questions(kb: KnowledgeBase):
    asked: list[str] = []
    kb.referrer = lambda text: asked.append(text) or REFERRAL
    out = kb.search("暖气不热找谁")
    assert out.decision == "refer" and out.referral == REFERRAL and asked == ["暖气不热找谁"]
    assert [s.article.id for s in out.related] == ["heating-not-warm"]
    assert kb.search("家里暖气片一点都不热").decision == "answer" and asked == ["暖气不热找谁"]
    follow = kb.search("那找哪个部门", context_article="residence-permit-apply")
    assert follow.follow_up and follow.facet == "where" and len(asked) == 1, "a follow-up stays on its article"


def test_no_unit_or_a_failing_look_up_leaves_the_articles_answering(kb: KnowledgeBase):
    kb.referrer = lambda text: None
    assert kb.search("暖气不热找谁").results[0].article.id == "heating-not-warm"

    def broken(text: str) -> dict:
        raise RuntimeError("classifier down")

    kb.referrer = broken
    out = kb.search("暖气不热找谁")
    assert out.decision == "answer" and out.results[0].article.id == "heating-not-warm"


@pytest.fixture(scope="module")
def real_kb(e5) -> KnowledgeBase:
    base = KnowledgeBase(PROJECT_ROOT / "knowledge_base" / "articles", cache_dir=DEFAULT_CACHE_DIR, embedder=e5)
    base.reload()
    return base


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("公租房申请条件", "housing-public-rental"),
        ("户口迁入条件", "residence-hukou-move-in"),
        ("燃气费在哪交", "utilities-payment-methods"),
        ("医保卡丢了", "social-insurance-card"),
        ("今天尾号限行是几", "car-tail-number-restriction"),
        ("公交卡能退吗", "transit-card"),
        ("打12345反映的问题多久能有答复", "hotline-time-limit"),
        ("12345回访都问些什么", "hotline-callback"),
    ],
)
def test_clear_questions_are_answered_directly(real_kb: KnowledgeBase, question, expected):
    assert real_kb.snapshot.thresholds == HYBRID
    out = real_kb.search(question)
    assert (out.decision, out.results[0].article.id) == ("answer", expected), [
        (s.article.id, round(s.score, 3)) for s in out.results
    ]


@pytest.mark.parametrize(
    ("question", "among"),
    [("公积金怎么提取", "provident-fund-withdraw-"), ("居住证的事", "residence-permit-")],
)
def test_genuinely_ambiguous_questions_offer_a_choice(real_kb: KnowledgeBase, question, among):
    out = real_kb.search(question)
    assert out.decision == "choose" and len(out.results) >= 2
    assert all(s.article.id.startswith(among) for s in out.results)
