"""A small knowledge base written into tmp_path (the real loader, index and e5 model run on it)."""

from pathlib import Path

import pytest
import yaml

from knowledge_base.embeddings import E5Embedder
from knowledge_base.service import KnowledgeBase

SOURCE = {"name": "《测试政策》", "office": "北京市测试局", "confirm": "可拨打12345确认。"}


def article(id_: str, topic: str, title: str, questions: list[str], answer: str, **extra) -> dict:
    body = {
        "id": id_,
        "title": title,
        "topic": topic,
        "category": topic,
        "questions": questions,
        "answer_short": answer[:60],
        "answer": answer,
        "keywords": extra.pop("keywords", []),
        "source": SOURCE,
        "region": "北京市",
        "effective_from": None,
        "effective_until": None,
        "last_reviewed": "2026-11-01",
    }
    body.update(extra)
    return body


ARTICLES = [
    article("residence-permit-apply", "residence", "北京市居住证办理",
            ["居住证怎么办理", "外地人怎么办居住证", "办居住证需要什么条件"],
            "在北京居住半年以上，有合法稳定就业、住所或连续就读的，可以向居住地派出所申领居住证。",
            keywords=["居住证", "申领"],
            details={"materials": ["本人身份证", "居住登记卡", "租房合同或房产证明"],
                     "where": "居住地派出所或社区服务站", "time_limit": "受理后15个工作日内制证", "fees": "首次申领免费"}),
    article("provident-fund-withdraw", "provident_fund", "住房公积金提取",
            ["公积金怎么提取", "租房可以提取公积金吗", "买房提取住房公积金"],
            "购房、租房、离退休等情形可以申请提取住房公积金，可通过北京公积金网上业务平台或柜台办理。",
            keywords=["公积金提取", "租房提取"],
            details={"materials": "身份证、银行卡、购房合同或租房证明", "where": "北京住房公积金管理中心各管理部柜台或网上平台"}),
    article("heating-not-warm", "heating", "暖气不热怎么办",
            ["暖气不热找谁", "家里暖气片不热", "供暖温度不达标"],
            "供暖期室内温度低于18摄氏度的，可先排气检查阀门，仍不热可联系供热单位报修，也可拨打12345反映。",
            keywords=["暖气", "供热报修"]),
    article("low-income-assistance", "assistance", "最低生活保障申请",
            ["低保怎么申请", "申请低保需要什么条件"],
            "家庭人均收入低于本市低保标准且符合财产条件的，可向户籍所在地街道（乡镇）提出申请。",
            keywords=["低保", "社会救助"]),
    article("transit-card", "transit", "交通一卡通退卡",
            ["一卡通怎么退卡", "公交卡押金能退吗"],
            "普通一卡通可到一卡通客服网点办理退卡，退还卡内余额和押金。", keywords=["退卡", "押金"]),
    article("social-insurance-transfer", "social_insurance", "社会保险关系转移",
            ["离开北京社保怎么转", "社保转移到外地"],
            "跨省流动就业的，养老保险和医疗保险关系可以转移接续，向新参保地经办机构申请。",
            keywords=["社保转移", "转移接续"]),
    article("heating-subsidy-2020", "heating", "2020年采暖临时补贴",
            ["2020年采暖补贴怎么领"], "2020年采暖季临时补贴已发放完毕。", keywords=["采暖补贴"],
            effective_from="2020-11-15", effective_until="2021-03-15"),
    article("future-parking-rule", "transit", "2099年停车新规",
            ["停车新规什么时候实施"], "停车新规自2099年起实施。", keywords=["停车新规"],
            effective_from="2099-01-01"),
]  # fmt: skip


def write_article(root: Path, body: dict, name: str | None = None) -> Path:
    path = root / body["topic"] / f"{name or body['id']}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def articles_dir(tmp_path) -> Path:
    root = tmp_path / "articles"
    for body in ARTICLES:
        write_article(root, body)
    return root


@pytest.fixture(scope="session")
def e5() -> E5Embedder:
    return E5Embedder(threads=1)


@pytest.fixture(scope="session")
def vector_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kb-vectors")


@pytest.fixture()
def kb(articles_dir, e5, vector_cache_dir) -> KnowledgeBase:
    base = KnowledgeBase(articles_dir, cache_dir=vector_cache_dir, embedder=e5)
    base.reload()
    return base
