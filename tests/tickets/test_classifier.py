"""The text classifier (tickets/classifier.py), trained on the project's own examples only."""

import csv
import time

import numpy as np
import pytest

from tickets.category_catalog import CategoryCatalog
from tickets.classifier import Prediction, TextClassifier, load_training_examples, normalize
from tickets.classifier_history import resolve_label, train_from_csv

CATALOG = CategoryCatalog.load()


@pytest.fixture(scope="module")
def examples():
    return load_training_examples()


@pytest.fixture(scope="module")
def clf(examples):
    return TextClassifier.train(examples, CATALOG)


def test_training_files_cover_every_category(examples):
    counts: dict[str, int] = {}
    for text, code in examples:
        assert code in CATALOG.by_code, code
        assert text.strip()
        counts[code] = counts.get(code, 0) + 1
    assert set(counts) == set(CATALOG.by_code)
    assert min(counts.values()) >= 8
    assert len(examples) >= 1100


@pytest.mark.parametrize(
    ("text", "level1"),
    [
        ("楼下饭馆的油烟直接排到我家窗户，味道太大了，窗户都不敢开", "环境保护"),
        ("旁边工地每天半夜还在打桩施工，吵得根本睡不着觉", "环境保护"),
        ("公司已经三个月没发工资了，老板一直拖着，我们要讨薪", "劳动和社会保障"),
        ("我想问一下养老金今年什么时候调整，退休金怎么算", "劳动和社会保障"),
        ("孩子今年幼升小，学区学校说学位已满，要调剂到很远的学校", "教育文体"),
        ("出租车司机拒载还绕路，不打表，一口价要一百块", "交通运输"),
        ("超市卖过期食品，买回来的牛奶已经变质了", "商贸旅游"),
        ("在医院做完手术感染了，怀疑是医疗事故，医院不承认", "卫生计生"),
        ("开发商延期交房一年多了，房本也办不下来", "城乡建设"),
        ("家里暖气不热，室温只有十四度，老人孩子都冻感冒了", "市政公用"),
    ],
)
def test_clear_messages_land_in_the_right_level1(clf, text, level1):
    prediction = clf.predict(text)
    assert prediction.path[0] == level1, (text, prediction)


def test_prediction_shape(clf):
    p = clf.predict("小区门口的井盖丢了，晚上很危险")
    assert isinstance(p, Prediction)
    assert p.code in CATALOG.by_code and len(p.code) == 6
    assert p.path == CATALOG.get(p.code).path
    assert 0 < p.confidence <= 1
    assert len(p.alternatives) == 3
    assert all(c != p.code and 0 <= conf <= p.confidence for c, conf in p.alternatives)
    assert abs(clf.scores("随便一句话").sum() - 1) < 1e-5
    assert abs(sum(clf.level1_scores("停水了").values()) - 1) < 1e-5
    assert clf.predict("").code in CATALOG.by_code  # empty text still gets an answer


def test_prediction_is_fast(clf):
    text = "尊敬的领导您好！" + "我们小区物业不作为，楼道里堆满杂物，电梯经常坏，" * 12
    clf.predict(text)
    start = time.perf_counter()
    for _ in range(50):
        clf.predict(text)
    assert (time.perf_counter() - start) / 50 < 0.005


def test_save_load_round_trip(clf, tmp_path):
    path = clf.save(tmp_path / "classifier.npz")
    assert path.stat().st_size < 20_000_000
    loaded = TextClassifier.load(path)
    assert loaded.labels == clf.labels
    for text in ("楼上装修电钻声太吵了", "社保断缴了怎么补缴", "网约车司机绕路多收钱"):
        a, b = clf.predict(text), loaded.predict(text)
        assert a.code == b.code
        assert a.path == b.path
        assert abs(a.confidence - b.confidence) < 0.02  # weights are stored as float16
    with np.load(path, allow_pickle=False) as data:  # plain arrays only
        assert {"meta", "terms", "idf", "coef", "intercept"} <= set(data.files)


def test_normalize_makes_place_codes_alike():
    assert normalize("Ａ3区12号楼") == normalize("B7区5号楼") == "a0区0号楼"


def test_resolve_label():
    assert resolve_label(CATALOG, "030101") == "030101"
    assert resolve_label(CATALOG, "餐饮油烟") == "030101"
    assert resolve_label(CATALOG, "大气污染") == "0301"
    assert resolve_label(CATALOG, "环境保护") == "03"
    assert resolve_label(CATALOG, "环境保护/大气污染/餐饮油烟") == "030101"
    assert resolve_label(CATALOG, "999999") is None
    assert resolve_label(CATALOG, "不存在的分类") is None


def test_train_from_csv(tmp_path):
    rows = [
        ("小区楼下烧烤油烟太大", "", "环境保护"),
        ("工厂偷偷排放废气，气味刺鼻", "", "环境保护"),
        ("半夜工地施工噪音扰民", "很吵", "030301"),
        ("河水发黑发臭", "", "环境保护"),
        ("老板拖欠三个月工资不发", "", "劳动和社会保障"),
        ("公司不给交社保", "", "劳动和社会保障"),
        ("被公司辞退没有经济补偿", "", "劳动合同与工时休假"),
        ("工伤认定公司不配合", "", "劳动和社会保障"),
        ("这条是未知分类", "", "党务政务"),
    ]
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["subject", "detail", "category"])
        writer.writerows(rows)
    clf = train_from_csv(path, ["subject", "detail"], "category")
    assert set(clf.labels) == {"03", "030301", "06", "060102"}
    assert clf.predict("烧烤油烟熏得受不了").path[0] == "环境保护"
    assert clf.predict("拖欠工资").path[0] == "劳动和社会保障"
    assert clf.predict("拖欠工资").path == ("劳动和社会保障",)
    with pytest.raises(ValueError):
        train_from_csv(path, "text", "category")  # no such column


def test_trained_classifier_is_cached_by_content(tmp_path):
    from tickets.classifier_cache import load_or_train, training_hash

    first = load_or_train(CATALOG, models_dir=tmp_path)
    cached = tmp_path / f"classifier-{training_hash()}.npz"
    assert cached.exists()
    stamp = cached.stat().st_mtime_ns
    again = load_or_train(CATALOG, models_dir=tmp_path)
    assert cached.stat().st_mtime_ns == stamp, "loaded, not retrained"
    text = "小区物业不作为，垃圾堆了一个礼拜没人清"
    assert again.predict(text).code == first.predict(text).code


# ---- the dense (e5) view -------------------------------------------------------------------------

DENSE_EXAMPLES = [
    ("楼上卫生间漏水，我家天花板都湿了", "010101"),
    ("物业不管楼上渗水的事", "010101"),
    ("天花板一直往下滴水，物业推脱", "010101"),
    ("屋顶渗水墙皮脱落，找物业没人管", "010101"),
    ("楼下烧烤店油烟太大", "030101"),
    ("饭馆排油烟直冲我家窗户", "030101"),
    ("餐馆油烟熏得家里没法开窗", "030101"),
    ("小吃店烟味太重，整栋楼都是油烟", "030101"),
]


def meaning_embed(texts):
    """A stand-in for e5: water damage and cooking fumes are two directions, whatever the words."""
    out = np.zeros((len(texts), 3), dtype=np.float32)
    for i, text in enumerate(texts):
        water, fumes = any(w in text for w in ("漏", "渗", "滴", "湿")), any(w in text for w in ("烟", "熏"))
        out[i] = (1.0, 0.0, 0.0) if water and not fumes else (0.0, 1.0, 0.0) if fumes else (0.0, 0.0, 1.0)
    return out


def test_dense_view_adds_meaning_and_survives_save_and_load(tmp_path):
    plain = TextClassifier.train(DENSE_EXAMPLES, CATALOG, use_catalog_keywords=False, level1_weight=0)
    dense = TextClassifier.train(
        DENSE_EXAMPLES, CATALOG, use_catalog_keywords=False, level1_weight=0, embed=meaning_embed, dense_weight=3.0
    )
    text = "卧室的墙上全是水印，应该是上面那户的管子坏了在滴"  # few shared characters with either set
    assert dense.uses_dense and not plain.uses_dense
    assert dense.predict(text).code == "010101"
    assert dense.scores(text)[dense.labels.index("010101")] > plain.scores(text)[plain.labels.index("010101")]

    loaded = TextClassifier.load(dense.save(tmp_path / "clf.npz"))
    assert not loaded.uses_dense  # no embedder attached: the text features alone
    assert np.allclose(loaded.scores(text), plain.scores(text), atol=1e-3)
    loaded.use_embedder(meaning_embed)
    assert np.allclose(loaded.scores(text), dense.scores(text), atol=1e-2)


def test_real_e5_view_trains_and_predicts():
    from knowledge_base.embeddings import E5Embedder

    embed = E5Embedder.shared(1).passages
    clf = TextClassifier.train(DENSE_EXAMPLES, CATALOG, use_catalog_keywords=False, embed=embed)
    assert clf.dense_coef.shape == (2, 384)
    assert clf.predict("楼上的水管爆了，水顺着天花板流到我家").code == "010101"
    assert clf.predict("烤串摊子的烟飘进家里").code == "030101"


class CountingEmbedder:
    """The Embedder protocol over meaning_embed, counting the texts it is asked to embed."""

    model_id, dim = "counting-test", 3

    def __init__(self) -> None:
        self.embedded = 0

    def passages(self, texts):
        self.embedded += len(texts)
        return meaning_embed(texts)

    def query(self, text):
        return meaning_embed([text])[0]


def test_retraining_embeds_only_new_examples(tmp_path):
    from tickets.classifier_cache import train

    embedder = CountingEmbedder()
    first = train(DENSE_EXAMPLES, CATALOG, embedder, vectors_dir=tmp_path)
    assert embedder.embedded == len(DENSE_EXAMPLES) and first.uses_dense
    again = train([*DENSE_EXAMPLES, ("楼上邻居家水管漏水渗到我家", "010101")], CATALOG, embedder, vectors_dir=tmp_path)
    assert embedder.embedded == len(DENSE_EXAMPLES) + 1  # the cached vectors were reused
    assert again.predict("卧室天花板在滴水").code == "010101"
    assert embedder.embedded == len(DENSE_EXAMPLES) + 2  # a prediction embeds its text
