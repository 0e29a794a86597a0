"""Cue phrases of an emergency happening now, per service, and the phrases that say it is not
happening now (past, prevention, purchases, questions about services). Rules add recall where
the classifier is unsure and name the cue in the decision's reason; they never decide alone
against a confident classifier."""

import re

SERVICES = ("fire", "police", "medical", "gas")

CUES: dict[str, re.Pattern[str]] = {
    "fire": re.compile(
        r"着火|起火|失火|着了火|烧起来|烧着了|火苗|火光|火势|大火|明火|冒黑烟|冒烟|浓烟|烟很大|烟好大|"
        r"爆炸|炸了|自燃|火烧"
    ),
    "police": re.compile(
        r"救命|抢劫|抢包|抢钱|抢了|打人|砍人|捅人|捅了|持刀|拿刀|拿着刀|动刀|绑架|劫持|非礼|强奸|猥亵|"
        r"家暴|撬门|撬锁|入室|偷东西|小偷|扒手|殴打|打起来|打架|斗殴|追着.{0,4}打|要跳楼|想跳楼|"
        r"孩子(丢|不见)了|人贩子|被人跟踪"
    ),
    "medical": re.compile(
        r"晕倒|昏倒|昏迷|晕过去|不省人事|没(有)?呼吸|没气了|喘不上气|呼吸困难|抽搐|抽风|口吐白沫|"
        r"心脏病|心梗|脑梗|中风|大出血|流了(好多|很多|一地)?血|血流不止|止不住血|骨折|摔.{0,6}起不来|"
        r"割腕|服毒|喝了农药|吃了.{0,6}药|中毒|溺水|掉水里|噎住|卡住喉咙|触电|(要|快)生了|羊水破了|"
        r"不动了|叫不醒|人不行了"
    ),
    "gas": re.compile(r"漏气|燃气泄漏|煤气泄漏|燃气味|煤气味|天然气味|臭鸡蛋味|嘶嘶|煤气中毒|一氧化碳"),
}

# The mention is not an emergency happening now.
NOT_NOW = re.compile(
    r"上个?月|去年|前年|以前|之前|上周|上次|前几天|前些天|已经(灭|扑灭|灭掉|处理|没事)|扑灭了|灭了火|"
    r"隐患|安全检查|演练|培训|报警器|灭火器|在哪(买|交|办|换)|怎么(办理|开户|交|申请)|多少钱|收费|"
    r"费用|报销|开户|过户|预约|挂号|有什么区别|电话是多少|号码是多少"
)


def cues_in(text: str) -> dict[str, list[str]]:
    """The cue phrases found in a normalised text, by service."""
    found: dict[str, list[str]] = {}
    for service, pattern in CUES.items():
        hits = sorted({m.group(0) for m in pattern.finditer(text)})
        if hits:
            found[service] = hits
    return found


def not_now(text: str) -> list[str]:
    return sorted({m.group(0) for m in NOT_NOW.finditer(text)})
