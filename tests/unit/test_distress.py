"""The anger/distress detector: rules, the classifier on phrasings it was not trained on, and
calm messages (firm complaints included) left alone."""

import pytest

from conversation.distress import DistressDetector, calm_share


@pytest.fixture(scope="module")
def detect() -> DistressDetector:
    return DistressDetector()


@pytest.mark.parametrize("text", ["我真的不想活了", "我已经走投无路了 求你们", "家里出了事我快崩溃了"])
def test_distress_by_rule(detect, text):
    signal = detect(text)
    assert signal is not None and signal.label == "distress" and signal.by == "rule"


@pytest.mark.parametrize("text", ["你们干什么吃的！", "受够了你们这帮人", "这破机器人一点都不好用"])
def test_anger_by_rule(detect, text):
    signal = detect(text)
    assert signal is not None and signal.label == "anger"


@pytest.mark.parametrize(
    "text,label",
    [
        ("跟你说了好多遍了 你怎么还在问 我真的很生气", "anger"),
        ("你们这答复太敷衍了 我非常不满", "anger"),
        ("我没钱看病了 孩子还在发烧 我不知道该怎么办了", "distress"),
    ],
)
def test_classifier_generalises_beyond_the_rules(detect, text, label):
    signal = detect(text)
    assert signal is not None and signal.label == label, (text, detect.scores(text))


def test_calm_messages_are_left_alone(detect):
    held_out_calm = [
        "我想咨询一下小客车指标怎么申请",
        "小区电梯坏了一个星期了 麻烦尽快修一下",
        "昨天下午三点左右 在海淀区中关村大街",
        "我的手机号是13912345678",
        "好的 谢谢",
        "施工噪音很大 严重影响休息 请有关部门处理",
        "请问社保卡丢了怎么补办",
        "我要投诉这家超市卖过期食品",
        "你是不是机器人",  # curiosity, not anger (the anger is in 破机器人 / 机器人真笨)
        "我这是在跟机器人聊天吗",
    ]
    assert calm_share(detect, held_out_calm) == 1.0, [(t, detect.scores(t)) for t in held_out_calm if detect(t)]


def test_commands_are_never_signals(detect):
    assert detect("/request_human") is None and detect("") is None
