"""The emergency detector as the gateway builds it (text + the real e5 model), on the project's own
phrasings: the phrasings a user study found missed, past and non-urgent mentions, and the
held-out split as a regression guard (it is never used to choose settings)."""

import re

import pytest

from knowledge_base.embeddings import E5Embedder
from safety.detector import HELDOUT_DATA, EmergencyDetector, load_examples
from safety.training import build_detector


@pytest.fixture(scope="module")
def detector() -> EmergencyDetector:
    return build_detector(E5Embedder.shared(2))


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("燃气管子让装修的给钻破了 嘶嘶地往外漏气", "gas"),
        ("哎呀 楼下车棚里那辆电动车着了 火苗子窜老高", "fire"),
        ("隔壁屋里在吵架 听见女的喊救命 还有摔东西的声音", "police"),
        ("有人在取款机那儿抢了个老太太的包 往胡同里跑了", "police"),
        ("有个孩子骑车让大货车给刮倒了 腿压在车底下了", "medical"),
        ("哎呀 厨房 着 火 了 火 好 大", "fire"),  # a speech transcript
        ("先别登记了 我爸突然倒地上了 叫不醒", "medical"),
    ],
)
def test_panicked_and_indirect_phrasings_are_emergencies_with_the_right_service(detector, text, service):
    decision = detector(text)
    assert decision.emergency and service in decision.services, decision


@pytest.mark.parametrize(
    "text",
    [
        "上个月我们楼着过火 楼道现在还是黑的 想问问谁管",
        "小区消防通道被堵了 好几辆车停在那",
        "燃气报警器在哪买",
        "你好",
        "我要投诉 楼下饭馆油烟太大",
        "朝阳区望京西园三区",
        "我快被楼上的噪音逼疯了",
    ],
)
def test_past_and_non_urgent_mentions_are_not(detector, text):
    assert not detector(text).emergency


def test_commands_and_empty_texts_are_never_emergencies(detector):
    assert not detector("/emergency").emergency and not detector("").emergency


def test_the_reason_names_cues_and_scores_but_no_personal_data(detector):
    decision = detector("着火了 快来人 我电话13911112222 在3号楼")
    assert decision.emergency and "fire" in decision.services
    assert decision.reason().startswith("by classifier") and "13911112222" not in decision.reason()
    assert not re.search(r"\d{5,}", str(decision.to_dict()))


def test_held_out_split_stays_near_the_measured_figures(detector):
    if not HELDOUT_DATA.exists():
        pytest.skip("safety/data/emergency_heldout.yml missing")
    examples = load_examples(HELDOUT_DATA)
    hits = [detector(e.text).emergency for e in examples if e.services]
    alarms = [detector(e.text).emergency for e in examples if not e.services]
    recall, false_alarms = sum(hits) / len(hits), sum(alarms) / len(alarms)
    print(f"\nemergency detector, held-out: recall {recall:.1%}, false alarms {false_alarms:.1%}")
    assert recall >= 0.97 and false_alarms <= 0.06


def test_text_only_detector_still_catches_the_clear_cases():
    detector = build_detector(None)
    assert detector("着火了 快来人啊").emergency and not detector("燃气费在哪交").emergency


def test_the_text_only_screen_skips_e5_for_everyday_messages_only(detector, monkeypatch):
    """Everyday messages are answered by the text-only screen without an embedding; an emergency,
    even one without a cue word, always reaches the full detector with its e5 view."""
    embedded: list[str] = []
    full_view = detector.embed

    def counting(texts):
        embedded.extend(texts)
        return full_view(texts)

    monkeypatch.setattr(detector, "embed", counting)
    for text in ("你好", "我想问一下居住证怎么办理", "好的谢谢", "燃气费在哪交"):
        assert not detector(text).emergency
    assert embedded == []
    for text in ("先别登记了 我爸突然倒地上了 叫不醒", "有个孩子骑车让大货车给刮倒了 腿压在车底下了"):
        assert detector(text).emergency
    assert len(embedded) == 2
