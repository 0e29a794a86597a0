"""From a citizen's question to a decision: facet of the question (materials, where, process,
time limit, fees), follow-ups that stay on the article answered last, and answer / choose / none;
a question asking who handles a matter (找哪个部门 / 找谁 / 归谁管) is referred to the responsible
unit when one is known (refer), with the article that answered it offered beside."""

import re
from dataclasses import dataclass, field
from datetime import date

from knowledge_base.chinese import normalise
from knowledge_base.index import HybridIndex, Scored
from knowledge_base.thresholds import Thresholds

# Words that ask for one facet. STRONG ones make a facet question on their own ("居住证要带什么材料");
# WEAK ones only in a follow-up ("那怎么办理呢", "多少钱" after an answer): "居住证怎么办理" wants the whole
# answer and "失业金一个月多少钱" asks for an amount, not for a fee.
STRONG_FACETS: dict[str, tuple[str, ...]] = {
    "fees": ("要钱吗", "要不要钱", "收费吗", "收不收费", "收费标准", "工本费", "花钱吗", "交钱吗", "收钱吗", "免费吗"),
    "time_limit": ("多久能", "多长时间能", "几天能", "多少天能", "时限", "几个工作日", "多久办", "多久可以"),
    "materials": (
        "材料",
        "带什么",
        "带啥",
        "准备什么",
        "准备啥",
        "需要什么证",
        "要什么证",
        "提交什么",
        "提供什么",
        "资料",
    ),
    "where": ("在哪", "哪里办", "哪儿办", "去哪", "什么地方", "啥地方", "办理地点", "窗口"),
    "process": ("流程", "步骤", "办理方式"),
}
WEAK_FACETS: dict[str, tuple[str, ...]] = {
    "fees": ("多少钱", "费用", "收费", "要钱", "花钱", "交钱", "免费"),
    "time_limit": ("多久", "多长时间", "几天", "拿到", "办好", "办下来", "等多长"),
    "where": ("哪里", "哪儿", "网上", "线上", "在线", "地址", "哪个部门", "找谁"),
    "process": ("怎么办理", "如何办理", "怎么申请", "如何申请", "怎么办", "怎么弄", "程序", "操作"),
}
# Words of a follow-up that never name a topic (on top of the tokenizer's stop words).
GENERIC = frozenset(
    "办 办理 申请 还 要 需要 能 多 多久 时间 去 找 谁 那 那么 然后 另外 还有 呢 吗 些 东西 带 准备 "
    "交 提交 提供 行 可以 自己 本人 代办 别人 现在 一般 大概 最快 最多 具体 地方 部门 网上 线上 "
    "在线 哪儿 哪里 办好 拿到 拿 下来 好".split()
)
_FACET_RE = {f: re.compile("|".join(map(re.escape, w))) for f, w in STRONG_FACETS.items()}
_WEAK_RE = {f: re.compile("|".join(map(re.escape, w))) for f, w in WEAK_FACETS.items()}
_ALL_FACET_WORDS = re.compile(
    "|".join(
        sorted(
            (re.escape(w) for d in (STRONG_FACETS, WEAK_FACETS) for ws in d.values() for w in ws), key=len, reverse=True
        )
    )
)
FOLLOW_UP_MAX_CHARS = 20
# Words asking which body handles a matter. A question about the hotline itself (12345, 工单, where
# it sends what the citizen reported) is not one: the hotline articles answer it ("我反映的问题会转给
# 哪个部门" is a question of hotline-process).
WHO_WORDS = ("哪个部门", "哪个单位", "哪个机构", "找谁", "谁管", "谁负责", "谁来管", "谁来处理", "归谁",
             "归哪", "向谁反映", "跟谁反映", "和谁反映", "找哪里", "找哪儿", "该找哪", "去哪反映",
             "去哪儿反映", "向哪反映", "哪里管", "哪儿管", "哪管")  # fmt: skip
_WHO_RE = re.compile("|".join(map(re.escape, sorted(WHO_WORDS, key=len, reverse=True))))
_ABOUT_HOTLINE_RE = re.compile(r"12345|热线|工单|接诉即办|我反映|派给|派到|转给|转到")


def detect_facet(normalised: str, follow_up: bool = False) -> str | None:
    """The facet asked for (first one mentioned wins), or None."""
    found = [(m.start(), f) for f, rx in _FACET_RE.items() if (m := rx.search(normalised))]
    if follow_up:
        found += [(m.start(), f) for f, rx in _WEAK_RE.items() if (m := rx.search(normalised))]
    return min(found)[1] if found else None


def asks_who(normalised: str) -> bool:
    """The question asks which unit handles a matter (not how the hotline itself works)."""
    return bool(_WHO_RE.search(normalised)) and not _ABOUT_HOTLINE_RE.search(normalised)


@dataclass
class Outcome:
    decision: str  # answer | choose | refer | none
    facet: str | None
    results: list[Scored] = field(default_factory=list)
    follow_up: bool = False
    related: list[Scored] = field(default_factory=list)  # answer: close runners-up worth offering
    referral: dict | None = None  # refer: the responsible unit (tickets/referral.py)


def names_other_topic(index: HybridIndex, normalised: str, context_pos: int) -> bool:
    """True when the question, facet words aside, mentions something the context article does not."""
    residual = _ALL_FACET_WORDS.sub(" ", normalised)
    own = index.article_tokens[context_pos]
    for token in index.tokenizer.tokens(residual, is_normalised=True):
        word = token.removeprefix("syn:")
        if token in own or word in GENERIC or (len(word) < 2 and not token.startswith("syn:")):
            continue
        if token in index.vocabulary:
            return True
    return False


def decide(scored: list[Scored], th: Thresholds, top_k: int) -> Outcome:
    """answer when one article is clearly best (it leads the second by `answer_gap`; a runner-up
    still within `choose_window` is offered beside the answer); choose between 2-3 close articles;
    none when nothing fits."""
    if not scored or scored[0].score < th.choose_min:
        return Outcome("none", None)
    top = scored[0]
    second = scored[1].score if len(scored) > 1 else 0.0
    close = [s for s in scored[: th.choose_max] if top.score - s.score <= th.choose_window and s.score >= th.choose_min]
    if top.score >= th.answer_min and top.score - second >= th.answer_gap:
        return Outcome("answer", None, scored[:top_k], related=close[1:2])
    if len(close) >= 2:
        return Outcome("choose", None, close)
    return Outcome("none", None)


def wants_referral(outcome: Outcome, normalised: str) -> bool:
    """Worth asking who handles it: a who-question, or a where-question no article answered."""
    if outcome.follow_up:
        return False
    return asks_who(normalised) or (outcome.decision == "none" and detect_facet(normalised) == "where")


def with_referral(outcome: Outcome, referral: dict | None) -> Outcome:
    """The unit answers the question; an article that answered it is offered beside. Without a
    referral (no unit known with enough confidence) the outcome stays as it was."""
    if referral is None:
        return outcome
    related = outcome.results[:1] if outcome.decision == "answer" else []
    return Outcome("refer", None, [], related=related, referral=referral)


def search(
    index: HybridIndex,
    text: str,
    today: date,
    th: Thresholds,
    context_article: str | None = None,
    top_k: int = 3,
    dense: bool = True,
) -> Outcome:
    normalised = normalise(text)
    pos = index.by_id.get(context_article) if context_article else None
    in_context = pos is not None and index.articles[pos].in_force(today)
    if in_context and len(normalised) <= FOLLOW_UP_MAX_CHARS:
        facet = detect_facet(normalised, follow_up=True)
        if facet and not names_other_topic(index, normalised, pos):
            article = index.articles[pos]
            return Outcome("answer", facet, [Scored(article, 1.0, 0.0, None)], follow_up=True)
    outcome = decide(index.search(text, today, k=max(top_k, th.choose_max) + 1, dense=dense), th, top_k)
    if outcome.decision == "answer":
        outcome.facet = detect_facet(normalised)
    return outcome
