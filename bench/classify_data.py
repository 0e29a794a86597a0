"""The labelled message sets the category benchmark measures on, their tune / held-out split, and
the map from the project's categories onto the 7 level-1 labels of those sets.

Sets (real messages of the 2020 Teddy Cup contest, in the shared data directory, never trained on):
- dev: teddy2020_dev.csv (id, subject, detail, label), labelled by the contest;
- replies: the messages of teddy2020_replies.csv whose ids bench/data/category_labels_replies.csv
  labels (hand-labelled for this benchmark; that file says how).

Each set is split by a hash of the message id: TUNE_PERCENT % of the ids are the tune part, on
which settings, training examples and catalog keywords may be chosen and whose errors may be read;
the rest is the held-out part, which is only ever counted.

The sets' labels come from the contest's taxonomy (label_taxonomy_3level.csv beside the files),
which has only 7 of our level-1 names: 城乡建设 环境保护 交通运输 教育文体 劳动和社会保障 商贸旅游
卫生计生. Our 12 level-1 categories are mapped onto those 7 by LEVEL1_MAP; CODE_MAP overrides it for
level-3 codes that taxonomy files elsewhere, each line naming the place in the taxonomy it follows
(written from the taxonomy's category names, not from the messages). None: the taxonomy files the
matter under a label outside the 7 (政法, 民政, 农村农业, 纪检监察, 党务政务, 科技与信息产业).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tickets.classifier import TextClassifier

ROOT = Path(__file__).resolve().parents[1]
LABELS_FILE = ROOT / "bench" / "data" / "category_labels_replies.csv"
TUNE_PERCENT = 60
TUNE, HELD_OUT = "tune", "held-out"
TARGETS = ("城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生")

# Our level-1 name -> the closest of the 7 target labels.
LEVEL1_MAP = {
    "城乡建设": "城乡建设",
    "市政公用": "城乡建设",  # water, power, gas, heating, roads: 城乡建设/城市建设和市政管理 there
    "环境保护": "环境保护",
    "交通运输": "交通运输",
    "教育文体": "教育文体",
    "劳动和社会保障": "劳动和社会保障",
    "商贸旅游": "商贸旅游",
    "卫生计生": "卫生计生",
    "民政": "劳动和社会保障",  # welfare, assistance, pensions of the elderly: social security
    "公共安全": "城乡建设",  # 安全生产 / 安全隐患 / 抗震防灾 are under 城乡建设 there
    "农业农村": "城乡建设",  # 村镇建设 / 新农村建设 are under 城乡建设 there
    "政务服务": "城乡建设",  # no counterpart among the 7; 住房公积金 is under 城乡建设 there
}

# Level-3 codes whose level 1 differs in the target taxonomy (一级/二级/三级 names of
# label_taxonomy_3level.csv in the comments).
CODE_MAP: dict[str, str | None] = {
    "030401": "城乡建设",  # 垃圾分类: 城乡建设/城市建设和市政管理/环境卫生
    "030402": "城乡建设",  # 垃圾清运与环境卫生: 城乡建设/城市建设和市政管理/环境卫生, 园林绿化环卫
    "030501": "城乡建设",  # 占道经营与小广告: 城乡建设/城市建设和市政管理/城管执法
    "030502": "城乡建设",  # 绿化养护与公园: 城乡建设/城市建设和市政管理/园林绿化, 公园管理
    "030503": "城乡建设",  # 树木安全隐患: 城乡建设/城市建设和市政管理/园林绿化
    "040201": "城乡建设",  # 公交线路与站点: 城乡建设/城市建设和市政管理/公共汽车
    "040202": "城乡建设",  # 公交服务: 城乡建设/城市建设和市政管理/公共汽车
    "040203": "城乡建设",  # 地铁运营与服务: 城乡建设/城市建设和市政管理/地铁城铁
    "070201": "卫生计生",  # 食品安全: 卫生计生/食品药品监管/食品安全
    "070202": "卫生计生",  # 药品与医疗器械: 卫生计生/食品药品监管/药品和医疗器械管理
    "080201": "劳动和社会保障",  # 医保报销: 劳动和社会保障/城镇职工社会保险/职工医疗保险
    "080202": "劳动和社会保障",  # 居民医保参保: 劳动和社会保障/城镇居民社会保险/城镇居民医疗保险
    "080203": "劳动和社会保障",  # 生育保险: 劳动和社会保障/城镇职工社会保险/职工生育保险
    "090302": "城乡建设",  # 无障碍设施: 城乡建设/城市建设和市政管理/城市公共设施
    "100302": "商贸旅游",  # 电梯与特种设备: 商贸旅游/质监检验检疫/特种设备管理
    "110202": "商贸旅游",  # 农资与农产品质量: 商贸旅游/市场监管/商品质量 (农村农业 is not among the 7)
    "110203": "环境保护",  # 畜禽养殖 (mostly pollution complaints): 环境保护/环境污染
    "110302": "交通运输",  # 农村道路 (mostly village roads): 交通运输/建设管理/规划建设, 设施维护
    "110303": "环境保护",  # 林业与野生动物: 环境保护/环境污染/生态破坏
    "120202": "商贸旅游",  # 企业开办与营商环境: 商贸旅游/市场监管 (工商登记)
    "100102": "商贸旅游",  # 诈骗与非法集资 (传销, 非法集资): 商贸旅游/市场监管/传销 is the closest of the 7
    # no counterpart among the 7:
    "040101": None,  # 信号灯与交通组织: 政法/交通管理/交通安全管理
    "040102": None,  # 违法停车: 政法/交通管理/交通安全管理
    "090201": None,  # 低保与临时救助: 民政/社会救助
    "090202": None,  # 流浪乞讨人员救助: 民政/社会服务/生活无着人员救助
    "090401": None,  # 婚姻登记: 民政/社会服务
    "090402": None,  # 殡葬服务: 民政/社会服务/殡葬管理
    "090403": None,  # 社区居委会: 民政/基层选举和社区建设
    "090404": None,  # 退役军人与优抚: 民政/优抚, 复退安置
    "100101": None,  # 治安问题: 政法/社会治安
    "100201": None,  # 消防通道占用: 政法/社会治安/消防安全
    "100202": None,  # 电动车违规充电: 政法/社会治安/消防安全
    "100203": None,  # 消防隐患与消防设施: 政法/社会治安/消防安全
    "110101": None,  # 村务公开与村干部: 农村农业/村务管理
    "110102": None,  # 集体经济与分红: 农村农业/村务管理/集体资产管理
    "110104": None,  # 土地承包与流转: 农村农业/土地承包经营
    "110201": None,  # 惠农补贴: 农村农业/惠农补贴
    "120101": None,  # 户口迁移与登记: 政法/户籍证件
    "120102": None,  # 居住证与居住登记: 政法/户籍证件
    "120103": None,  # 身份证: 政法/户籍证件
    "120104": None,  # 出入境证件: 政法/户籍证件
    "120201": None,  # 政务服务中心办事: no counterpart
    "120301": None,  # 工作人员作风: 纪检监察/干部作风
    "120302": None,  # 政策咨询与意见建议: 党务政务 / no counterpart
    "040502": None,  # 通信网络与电信服务: 科技与信息产业/电信
}


@dataclass(frozen=True)
class Message:
    id: str
    text: str  # subject + "。" + detail
    label: str  # one of TARGETS


def shared_dir() -> Path | None:
    """gov_messages/ of the shared data: ../shared/data beside this checkout or an ancestor's."""
    for parent in ROOT.parents:
        candidate = parent / "shared" / "data" / "gov_messages"
        if candidate.is_dir():
            return candidate
    return None


def split_of(message_id: str) -> str:
    """TUNE or HELD_OUT, fixed by a hash of the id (independent of the order and the file)."""
    digest = hashlib.sha1(f"split:{message_id.strip()}".encode()).hexdigest()
    return TUNE if int(digest, 16) % 100 < TUNE_PERCENT else HELD_OUT


def _text(row: dict[str, str]) -> str:
    parts = ((row.get("subject") or "").strip(), (row.get("detail") or "").strip())
    return "。".join(p for p in parts if p)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(line for line in fh if not line.startswith("#"))


def dev_set(directory: Path) -> list[Message]:
    """teddy2020_dev.csv: every row with one of the 7 labels and some text."""
    return [
        Message(r["id"].strip(), _text(r), r["label"])
        for r in _rows(directory / "teddy2020_dev.csv")
        if r.get("label") in TARGETS and _text(r)
    ]


def replies_set(directory: Path, labels_file: Path = LABELS_FILE) -> list[Message]:
    """The hand-labelled messages of teddy2020_replies.csv (labels from `labels_file`)."""
    labels = {r["id"].strip(): r["label"] for r in _rows(labels_file)}
    unknown = set(labels.values()) - set(TARGETS)
    if unknown:
        raise ValueError(f"{labels_file}: labels outside the 7: {sorted(unknown)}")
    texts = {r["id"].strip(): _text(r) for r in _rows(directory / "teddy2020_replies.csv")}
    missing = labels.keys() - texts.keys()
    if missing:
        raise ValueError(f"{labels_file}: {len(missing)} ids are not in teddy2020_replies.csv")
    return [Message(i, texts[i], label) for i, label in labels.items()]


def split(messages: list[Message]) -> dict[str, list[Message]]:
    parts: dict[str, list[Message]] = {TUNE: [], HELD_OUT: []}
    for m in messages:
        parts[split_of(m.id)].append(m)
    return parts


def target_of(code: str, path: tuple[str, ...], by_code: bool = True) -> str | None:
    """The target label of one of our categories (None: no counterpart among the 7)."""
    if by_code and code in CODE_MAP:
        return CODE_MAP[code]
    return LEVEL1_MAP[path[0]]


class TargetPredictor:
    """One of the 7 labels for a text: the best-scoring category that has a counterpart among
    them, mapped (the evaluation sets hold only those 7, like telling the classifier which labels
    are possible)."""

    def __init__(self, classifier: TextClassifier) -> None:
        self.classifier = classifier
        self.targets = [target_of(c, p) for c, p in zip(classifier.labels, classifier.paths, strict=True)]
        self._mapped = np.array([t is not None for t in self.targets])

    def predict(self, text: str) -> str:
        probs = self.classifier.scores(text)
        return self.targets[int(np.argmax(np.where(self._mapped, probs, -1.0)))]


def accuracy(predictor: TargetPredictor, messages: list[Message]) -> float:
    return sum(predictor.predict(m.text) == m.label for m in messages) / len(messages)
