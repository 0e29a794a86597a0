"""Step 1 of hot-issue mining (reports/issue_mining.py): the place a message names and its words.

jieba segments the text; a place is a token ending in a place suffix (小区, 花园, 苑, 路, 大道, 学校,
公司, 医院, 村 …, or tagged `ns` by jieba's dictionary), extended to the left over name-like tokens
(nouns, unknown words, numbers), after the administrative prefixes (`A市A2区`, `朝阳区`) are cut off.
The most specific kind wins (estate/company/school over road over village/street), the first one
on ties."""

import functools
import re
from dataclasses import dataclass

# (suffix, specificity): longer suffixes first so 小区 beats 区 and 有限公司 beats 公司.
PLACE_SUFFIXES: tuple[tuple[str, int], ...] = (
    ("小区", 3), ("花园", 3), ("家园", 3), ("公寓", 3), ("新城", 3), ("华苑", 3), ("花苑", 3), ("雅苑", 3),
    ("苑", 3), ("府", 3), ("楼盘", 3), ("山庄", 3), ("名邸", 3), ("别墅", 3), ("公馆", 3), ("大厦", 3),
    ("广场", 3), ("商场", 3), ("市场", 3), ("宿舍", 3),
    ("有限公司", 3), ("公司", 3), ("集团", 3), ("工厂", 3), ("厂", 3),
    ("小学", 3), ("中学", 3), ("大学", 3), ("学院", 3), ("学校", 3), ("幼儿园", 3), ("医院", 3),
    ("卫生院", 3), ("酒店", 3), ("超市", 3), ("工业园", 3), ("产业园", 3), ("公园", 3), ("菜市场", 3),
    ("里", 3), ("园", 3), ("城", 3), ("湾", 3),
    ("大道", 2), ("大街", 2), ("路", 2), ("街", 2), ("巷", 2), ("胡同", 2), ("桥", 2), ("隧道", 2),
    ("高速", 2), ("地铁站", 2), ("车站", 2), ("站", 2),
    ("社区", 1), ("街道", 1), ("村", 1), ("镇", 1), ("乡", 1),
)  # fmt: skip
# Words that look like a place's end but are not places (or too generic to be one).
NOT_PLACES = frozenset(
    """小区 社区 学校 公司 医院 市场 城市 城 园 站 路 街 村 乡 镇 厂 府 里 这里 那里
哪里 心里 家里 公里 千里 万里 政府 出路 道路 马路 公路 线路 思路 网站 车站 地铁站
进站 出站 园区 校园 花园 公园 城区 城管 小城 全城 进城 县城 市区 城乡 农村 乡村
乡镇 城镇 街道 街 大街 桥 路段 服务站 物业公司 开发商 该公司 该小区 本小区 我小区
我们小区 他们公司 我们村 该村 本村 全村 全市 全省 超市 学院 大学 中学 小学 幼儿园
宿舍 工厂 集团 有限公司 广场 高速""".split()
)
NAME_TAGS = frozenset({None, "n", "ns", "nz", "nr", "nrt", "nt", "m", "eng", "j", "x", "l", "an", "b", "s"})
# Never part of a place name (jieba tags some of these as nouns).
NAME_STOP = frozenset(
    """问题 附近 业主 居民 市民 我们 物业 物业管理 反映 投诉 关于 情况 周边 旁边 门口
对面 内部 小区 业委会 请求 希望 建议 咨询 举报 领导 部门 相关 有关 政府 网友 群众
学生 家长 老师 员工 工人 村民 村里 现在 目前 今年 去年 每天 晚上 白天 凌晨 年 月
日 号 时 一个 多个 这个 那个 整个 所有 位于 地处 一直 严重 非常 长期 多次 已经
工作""".split()
)
ADMIN = re.compile(
    r"[A-Z][0-9]*[省市区县]|西地省|北京市"
    r"|(?:东城|西城|朝阳|海淀|丰台|石景山|门头沟|房山|通州|顺义|昌平|大兴|怀柔|平谷|密云|延庆)区"
)
STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 我 我们 你 您 他 她 它 他们 这 那 有 也 都 就 还 又
很 对 把 被 让 给 从 向 到 为 为了 因为 所以 但是 但 而 且 或 等 着 过 吗
呢 吧 啊 一 一个 不 没有 没 能 会 要 可以 已经 请 请求 希望 问题 反映 情况
关于 现在 目前 进行 相关 有关 领导 您好 你好 谢谢 感谢 市民 居民 网友 业主 部门
政府 这个 那个 什么 怎么 如何 哪里 及时 解决 处理 尽快 多次 一直 严重 非常 长期
每天 出现 发现 存在 造成 导致 影响 要求 情况 其他 管一管 结果 谢谢 您们 你们 投诉
举报 咨询 建议 反对 强烈 问题 关于 住在 我家 尊敬 书记 市长 回复 答复 帮助 帮忙
落实 重视 关注 给予 麻烦 无人 不管 希望""".split()
)
GENERIC_TAGS = frozenset({"vn", "b", "a", "v", "f", "s", "d"})
PROPER_TAGS = frozenset({None, "ns", "nz", "nt", "nr", "nrt", "j", "eng"})
SUFFIXES = frozenset(suffix for suffix, _ in PLACE_SUFFIXES)
SUFFIX_RANK = dict(reversed(PLACE_SUFFIXES))  # the first listed rank wins
LONGEST_SUFFIX = max(len(suffix) for suffix in SUFFIXES)
FUNCTION_CHARS = frozenset("的在于是了到向对把被给我你他她它这那有为从与及或等个也都就还又很不没让将以及其该本")
NOT_PLACE_ENDS = ("政府", "部门", "机关", "党委", "委员会")
SENTENCE_ENDS = frozenset("。！？!?\n；;")
ADMIN_MARK = "\x00"
WORD = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]")
MAX_PLACE_CHARS = 16
MAX_LEFT_TOKENS = 5
MIN_LEAD_WORDS = 2
TEXT_CHARS = 160  # characters of a message's text used for its place and its words


@dataclass
class Tokens:
    words: list[str]
    place: str | None
    place_key: str | None
    broad: bool = False  # the place is a town, street office, village or community (or the order's street)


@functools.cache
def _jieba():
    """A tokenizer of our own (the global one is left as other packages set it up) that keeps
    place suffixes whole, and jieba's part-of-speech dictionary."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    for suffix, _ in PLACE_SUFFIXES:
        if len(suffix) > 1:
            tokenizer.add_word(suffix, freq=100_000)
    return tokenizer, jieba.posseg.dt.word_tag_tab


def _suffix(token: str) -> tuple[str, int] | None:
    for size in range(min(len(token), LONGEST_SUFFIX), 0, -1):
        rank = SUFFIX_RANK.get(token[-size:])
        if rank is not None:
            return token[-size:], rank
    return None


def place_key(place: str) -> str:
    """The grouping key of a place: 丽发新城小区 and 丽发新城 are one place."""
    for generic in ("小区", "社区"):
        if place.endswith(generic) and len(place) - len(generic) >= 2:
            return place[: -len(generic)]
    return place


def _name_part(token: str, tags: dict) -> bool:
    """Whether a token can be part of a place's name. Unknown names are often cut into single
    characters of any part of speech (望/珠/花园), so any single character but a function word is."""
    if token in NAME_STOP or token.startswith(ADMIN_MARK) or not WORD.match(token):
        return False
    if token[0] in FUNCTION_CHARS and (len(token) == 1 or tags.get(token) is None):
        return False  # 我 / 我读 (jieba glues an unknown verb to a pronoun)
    return len(token) == 1 or tags.get(token) in NAME_TAGS


def _generic(parts: list[str], tags: dict) -> bool:
    """A place whose name is only common words (花园小区, 物流公司, 职业技术学院) names no particular
    place: a name needs a proper or unknown word, a number or a single character."""
    return not any(
        not _suffix(part) and (len(part) == 1 or tags.get(part) in PROPER_TAGS or tags.get(part) == "m")
        for part in parts
    )


def _place_in(tokens: list[str], tags: dict) -> tuple[str, list[int], int] | None:
    """The most specific place, preferring the first sentence (a message's subject)."""
    best: tuple[int, int, int, str, list[int]] | None = None  # (later sentence, -rank, position, place, tokens)
    sentence = 0
    for i, token in enumerate(tokens):
        if token in SENTENCE_ENDS:
            sentence = 1
        found = _suffix(token)
        if found is None and tags.get(token) != "ns":
            continue
        rank = found[1] if found else 2
        if found and token != found[0] and tags.get(token) not in PROPER_TAGS:
            continue  # a common word that merely ends like a place: 线路, 网站, 道路
        parts, j = [i], i - 1
        length = len(token)
        while j >= 0 and len(parts) <= MAX_LEFT_TOKENS:
            left = tokens[j]
            if not _name_part(left, tags) or length + len(left) > MAX_PLACE_CHARS or (_suffix(left) or ("", 0))[1] == 1:
                break
            parts.insert(0, j)
            length += len(left)
            j -= 1
        while parts[-1] + 1 < len(tokens) and tokens[parts[-1] + 1] in ("小区", "社区", "花园", "家园"):
            parts.append(parts[-1] + 1)  # 丽发新城 + 小区
        names = [tokens[k] for k in parts]
        admin = tokens[parts[0] - 1] if parts[0] > 0 and tokens[parts[0] - 1].startswith(ADMIN_MARK) else None
        place = "".join(names)
        if place in NOT_PLACES or len(place) < 3 or place.endswith(NOT_PLACE_ENDS):
            continue
        if admin:
            place = admin[1:] + place
        elif _generic(names, tags):
            continue
        key = (sentence, -rank, i)
        if best is None or key < best[:3]:
            best = (*key, place, parts)
    return (best[3], best[4], -best[1]) if best else None


def tokenize(text: str, fallback_place: str | None = None) -> Tokens:
    """The words of a message (stopwords and place words dropped) and its place."""
    jieba, tags = _jieba()
    tokens: list[str] = []
    snippet = text[:TEXT_CHARS]
    at = 0
    for match in ADMIN.finditer(snippet):  # administrative names are marked, never part of a name
        tokens.extend(t for t in jieba.cut(snippet[at : match.start()]) if t.strip())
        tokens.append(ADMIN_MARK + match.group())
        at = match.end()
    tokens.extend(t for t in jieba.cut(snippet[at:]) if t.strip())
    found = _place_in(tokens, tags)
    used = set(found[1]) if found else set()

    def word(k: int, t: str) -> bool:
        return k not in used and len(t) > 1 and t not in STOPWORDS and t not in SUFFIXES and bool(WORD.match(t))

    words = [t for k, t in enumerate(tokens) if word(k, t)]
    first = next((k for k, t in enumerate(tokens) if t in SENTENCE_ENDS), len(tokens))
    lead = [t for k, t in enumerate(tokens[:first]) if word(k, t)]
    if len(lead) >= MIN_LEAD_WORDS:
        words = lead  # the first sentence states the problem (a subject line; the rest is detail)
    place = found[0] if found else fallback_place
    return Tokens(words, place, place_key(place) if place else None, broad=not found or found[2] == 1)


def extract_place(text: str) -> str | None:
    return tokenize(text).place
