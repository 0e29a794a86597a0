"""Generated message streams where the right answer is known: planted issues (one problem at one
place, many senders) in a background of scattered messages (random problems at random places,
and messages that name no place). Used by the hot-issue and surge tests and by
bench/hot_issues.py; nothing here touches a database."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reports.issue_mining import Message

PROBLEMS: dict[str, tuple[str, ...]] = {
    "mixing_noise": (
        "附近搅拌站夜间施工噪音扰民",
        "旁边的搅拌站半夜还在作业，噪音吵得睡不着",
        "搅拌站噪声太大，晚上十二点还在运转",
    ),
    "water_cut": ("突然停水了，没有任何通知", "已经停水一整天，做饭洗澡都成问题", "又停水了，请问什么时候恢复供水"),
    "heating": ("暖气不热，室内温度只有十几度", "供暖不达标，家里暖气片是凉的", "集中供暖温度太低，老人孩子都冻感冒了"),
    "parking": ("停车位严重不足，车辆乱停乱放", "私家车占用消防通道停车", "停车难，晚上回来根本找不到车位"),
    "garbage": ("垃圾清运不及时，臭味很大", "垃圾桶满了好几天没人清理", "生活垃圾堆积如山，蚊蝇滋生"),
    "wage": ("拖欠员工工资三个月不发", "老板拖欠农民工工资，讨薪无门", "工资已经拖欠半年，要求尽快支付"),
    "tuition": ("乱收费，额外收取补课费", "补课费乱收费，每月上千元", "收取高额补课费，不开收据"),
    "road": ("路面坑洼不平，多处塌陷", "道路破损严重，雨天积水过不去", "马路上有个大坑，电动车摔倒好几次"),
    "lights": ("路灯不亮，晚上出行很不安全", "好几盏路灯坏了一个月没人修", "夜里路灯全黑，存在安全隐患"),
    "elevator": ("电梯经常故障，困人事件频发", "电梯坏了两周没修，老人上下楼困难", "电梯运行异响，担心安全"),
    "barbecue": ("楼下烧烤店油烟扰民", "露天烧烤营业到凌晨，油烟和噪音严重", "烧烤摊占道经营，油烟熏得不能开窗"),
    "property_fee": ("物业擅自上涨物业费", "物业不作为却要求交高额物业费", "物业费收费标准不公开，乱收费"),
}
OPENINGS = ("", "反映", "投诉", "我住在", "关于", "举报")
CLOSINGS = ("", "希望有关部门尽快处理。", "请相关部门管一管。", "多次反映没有结果。", "谢谢！")
SYLLABLES = "丽发金桥翠湖望京康宁和平幸福阳光锦绣龙湾春晖盛世景蓉华远嘉禾瑞祥鸿运清河东升明珠天润紫荆泰和"
KINDS = {  # suffixes per kind of place, and the problems that happen there
    "estate": (
        ("小区", "花园", "家园", "新城"),
        ("mixing_noise", "water_cut", "heating", "parking", "garbage", "elevator", "barbecue", "property_fee"),
    ),
    "road": (("路", "大街", "大道"), ("road", "lights", "parking", "barbecue", "mixing_noise")),
    "school": (("小学", "中学", "幼儿园"), ("tuition",)),
    "company": (("建材有限公司", "物流公司", "科技有限公司"), ("wage",)),
}
UNPLACED = (
    "希望加强全市公交线路规划",
    "建议延长地铁末班车运营时间",
    "咨询社保卡办理流程",
    "希望提高退休人员养老金",
    "建议增加公共厕所数量",
    "咨询居住证办理需要哪些材料",
)


@dataclass(frozen=True)
class Planted:
    place: str
    problem: str
    count: int
    days: float = 5.0  # spread over this many days, ending at the stream's end
    senders: int | None = None  # distinct senders (default: one per message)


@dataclass
class Stream:
    messages: list[Message]
    planted: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (place, problem) -> ids


def place_names(rng: random.Random, kind: str, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        stem = "".join(rng.sample(SYLLABLES, 2)) + ("" if rng.random() < 0.5 else rng.choice(SYLLABLES))
        names.add(stem + rng.choice(KINDS[kind][0]))
    return sorted(names)


def sentence(rng: random.Random, place: str, problem: str) -> str:
    opening = rng.choice(OPENINGS)
    text = rng.choice(PROBLEMS[problem])
    joiner = "，" if opening == "我住在" or rng.random() < 0.4 else ""
    return f"{opening}{place}{joiner}{text}。{rng.choice(CLOSINGS)}"


def stream(
    n: int, planted: list[Planted], end: datetime, days: float = 30.0, seed: int = 7, unplaced_share: float = 0.15
) -> Stream:
    """n messages over `days` days up to `end`: the planted issues plus background. Background
    places come from a pool large enough that a background place/problem pair rarely repeats."""
    rng = random.Random(seed)
    out: list[Message] = []
    truth: dict[tuple[str, str], list[str]] = {}
    for p_index, plant in enumerate(planted):
        ids = []
        senders = plant.senders or plant.count
        for k in range(plant.count):
            when = end - timedelta(days=rng.uniform(0, plant.days))
            message_id = f"P{p_index:02d}-{k:04d}"
            out.append(
                Message(
                    id=message_id,
                    text=sentence(rng, plant.place, plant.problem),
                    time=when,
                    person=f"planted{p_index}-{k % senders}",
                )
            )
            ids.append(message_id)
        truth[(plant.place, plant.problem)] = sorted(ids)
    background = max(0, n - len(out))
    pool_size = max(50, background // 2)
    pools = {kind: place_names(rng, kind, max(10, pool_size // len(KINDS))) for kind in KINDS}
    taken = {plant.place for plant in planted}
    for k in range(background):
        when = end - timedelta(days=rng.uniform(0, days))
        if rng.random() < unplaced_share:
            text = rng.choice(UNPLACED) + "。" + rng.choice(CLOSINGS)
        else:
            kind = rng.choice(list(KINDS))
            place = rng.choice(pools[kind])
            while place in taken:
                place = rng.choice(pools[kind])
            text = sentence(rng, place, rng.choice(KINDS[kind][1]))
        out.append(Message(id=f"B{k:06d}", text=text, time=when, person=f"bg{rng.randrange(10 * n)}"))
    rng.shuffle(out)
    return Stream(out, truth)
