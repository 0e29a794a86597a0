"""The request-type model (tickets/request_type.py), trained on the project's own examples; its
cache; and its accuracy on the hand-labelled real messages when ../shared/data is present."""

import time
from collections import Counter

import numpy as np
import pytest

from tickets.models import REQUEST_TYPES
from tickets.request_type import SHORT_TURN_CHARS, RequestTypeModel, head_of, load_examples


@pytest.fixture(scope="module")
def examples():
    return load_examples()


@pytest.fixture(scope="module")
def model(examples):
    return RequestTypeModel.train(examples)


def test_training_files_cover_every_type_in_three_styles(examples):
    counts = Counter(kind for _, kind in examples)
    assert set(counts) == set(REQUEST_TYPES) and min(counts.values()) >= 25 and len(examples) >= 400
    assert counts.most_common(1)[0][0] == "complain", "complaints dominate, as in real traffic"
    lengths = [len(text) for text, _ in examples]
    assert sum(n <= 30 for n in lengths) >= 100, "short spoken turns"
    assert sum("来电" in text for text, _ in examples) >= 100, "operator-written orders"
    assert sum("\n" in text and len(text) > 60 for text, _ in examples) >= 150, "letters: a subject, then the message"


def test_training_is_fast(examples):
    started = time.perf_counter()
    RequestTypeModel.train(examples)
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "关于小区楼下洗浴中心锅炉噪音的投诉\n尊敬的领导：我家住在洗浴中心楼上，锅炉和水泵从早到晚轰鸣，"
            "家里的地板都在震动，老人已经连续几个月睡不好觉。我们找过店家和物业，都说会处理，但至今没有任何改善。"
            "恳请相关部门督促整改，还我们一个安静的家。",
            "complain",
        ),
        (
            "请问退休后医保缴费年限不够怎么办\n您好，我今年五十八岁，准备明年退休，听说医保缴费需要满一定年限"
            "才能享受退休人员待遇。请问我目前缴了十五年是否够？不够的话可以一次性补缴吗？需要到哪里办理？",
            "consult",
        ),
        (
            "举报某废品收购站非法焚烧电线\n某村东头的废品收购站每天夜里焚烧废旧电线提炼铜，黑烟滚滚，气味刺鼻，"
            "附近的菜地都蒙上了一层黑灰。该收购站没有任何环保手续，请环保部门依法查处取缔。",
            "report",
        ),
        (
            "建议在老旧小区增设适老化扶手\n很多老旧小区楼道没有扶手，老人上下楼很容易摔倒。建议在老旧小区改造中"
            "统一为楼道增设扶手和夜间感应灯，方便老年人出行，这项投入不大却很实用。",
            "suggest",
        ),
        (
            "恳请帮助我们困难家庭\n我丈夫去年因车祸瘫痪在床，我一个人照顾他和两个上学的孩子，没有固定收入，"
            "房租都交不起了。恳请社区和民政部门给予救助，帮我们渡过难关。",
            "seek_help",
        ),
        (
            "表扬某社区卫生服务中心的家庭医生\n我父亲患有糖尿病和高血压，社区的家庭医生张大夫每个月都上门随访，"
            "调整用药，还教我们如何控制饮食。她认真负责、耐心细致，特此提出表扬，衷心感谢！",
            "praise",
        ),
    ],
)
def test_clear_letters_get_their_type(model, text, expected):
    assert model.predict(text).request_type == expected


@pytest.mark.parametrize(
    "text",
    [
        "关于小区停车场收费的问题\n物业去年起把停车费翻了一倍，服务却越来越差，道闸经常坏，业主投诉多次没有回应。"
        "请问物业凭什么随意涨价？这个问题什么时候能解决？",
        "市民来电反映：其家门口的下水井堵塞已有一周，污水漫到路面，气味难闻。诉求：能否尽快处理？",
        "反映某路段路灯不亮的问题\n某路从路口往东一公里的路灯已经坏了两个月，晚上一片漆黑，已经有人摔伤。"
        "希望有关部门尽快修复，谢谢！",
    ],
)
def test_a_complaint_that_asks_a_question_or_thanks_stays_a_complaint(model, text):
    assert model.predict(text).request_type == "complain"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来电人咨询：孩子转学到本区的公办小学需要办理哪些手续。", "consult"),
        ("市民来电举报：某小区一楼商户私自改变房屋结构开设餐馆，无任何手续。诉求：依法查处。", "report"),
        ("市民来电求助：家中老人行动不便，子女不在身边，希望社区帮忙送餐。", "seek_help"),
        ("市民来电建议：在某公园南门增设一处公共自行车租赁点。", "suggest"),
        ("市民来电表扬：某街道工作人员周末加班帮其办理了证明，表示感谢。", "praise"),
    ],
)
def test_operator_framings(model, text, expected):
    assert model.predict(text).request_type == expected


def test_short_turns_keep_the_engines_request_type_intent(model):
    complaint = "楼下烧烤店油烟太大 能不能管管"
    assert len(complaint) <= SHORT_TURN_CHARS
    assert model.decide(complaint, "complain") == "complain"
    assert model.decide(complaint, "suggest") == "suggest", "a short turn: the engine's intent decides"
    assert model.decide(complaint, "greet") == model.predict(complaint).request_type == "complain"
    assert model.decide(complaint, None) == "complain"
    letter = "关于楼下烧烤店油烟扰民的问题\n" + "烧烤店每天营业到凌晨，油烟和噪音严重影响居民休息，多次反映无果。" * 3
    assert model.decide(letter, "praise") == "complain", "a long text: the model decides"


def test_head_is_the_subject_or_the_framing():
    assert head_of("咨询公积金提取\n您好，我想问……") == "咨询公积金提取"
    assert head_of("市民来电反映：小区停水") == "市民来电反映"
    assert len(head_of("没有标点的一长段话" * 10)) == 40


def test_prediction_shape_and_speed(model):
    guess = model.predict("你好")
    assert guess.request_type in REQUEST_TYPES and 0 < guess.confidence <= 1
    assert abs(model.scores("随便一句话").sum() - 1) < 1e-5
    assert model.predict("").request_type in REQUEST_TYPES
    text = "尊敬的领导：" + "小区物业不作为，电梯经常坏，楼道堆满杂物，多次反映没人管，请问什么时候能解决？" * 20
    model.predict(text)
    started = time.perf_counter()
    for _ in range(20):
        model.predict(text)
    assert (time.perf_counter() - started) / 20 < 0.02


def test_save_load_round_trip(model, tmp_path):
    loaded = RequestTypeModel.load(model.save(tmp_path / "request-type.npz"))
    assert loaded.labels == model.labels
    for text in ("我要举报楼顶违建", "请问居住证怎么办", "建议增开夜班公交", "楼上漏水一直不修"):
        assert loaded.predict(text).request_type == model.predict(text).request_type
        assert np.allclose(loaded.scores(text), model.scores(text), atol=0.02)  # text weights are float16
    with np.load(tmp_path / "request-type.npz", allow_pickle=False) as data:  # plain arrays only
        assert {"meta", "terms", "idf", "coef", "cue_coef", "intercept"} <= set(data.files)


def test_trained_model_is_cached_by_content(tmp_path):
    from tickets.classifier_cache import load_or_train_request_types, request_type_hash

    first = load_or_train_request_types(models_dir=tmp_path)
    cached = tmp_path / f"request-type-{request_type_hash()}.npz"
    assert cached.exists()
    stamp = cached.stat().st_mtime_ns
    again = load_or_train_request_types(models_dir=tmp_path)
    assert cached.stat().st_mtime_ns == stamp, "loaded, not retrained"
    assert again.predict("我想咨询一下社保转移").request_type == first.predict("我想咨询一下社保转移").request_type


# ---- real messages (hand-labelled ids in bench/data/request_type_labels.csv) -----------------------


def test_held_out_accuracy_on_real_messages(model):
    from bench.request_type_eval import SHARED, real_messages

    if not SHARED.is_dir():
        pytest.skip(f"real messages not found at {SHARED} (../shared/data, or set HOTLINE_SHARED_DATA)")
    items = real_messages("heldout")
    assert len(items) >= 150
    right = sum(model.predict(text).request_type == label for _, text, label in items)
    assert right / len(items) >= 0.85
