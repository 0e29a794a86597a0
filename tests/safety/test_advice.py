"""The first reply to an emergency: the right numbers, in order, as text and as call data."""

from channels.telegram.sending import phone_number_entities, utf16_len
from safety.advice import advice_reply, advice_text, emergency_numbers


def test_each_service_gets_its_number_first():
    assert advice_text(("fire",)).startswith("情况紧急！请立即拨打119火警电话")
    assert advice_text(("police",)).startswith("情况紧急！请立即拨打110报警")
    assert advice_text(("medical",)).startswith("情况紧急！请立即拨打120急救电话")
    assert "96777" in advice_text(("gas",)) and "不要开关电器" in advice_text(("gas",))


def test_combined_services_name_every_number_once():
    text = advice_text(("police", "medical"))
    assert text.index("110") < text.index("120") and text.count("120") == 1
    assert [n["number"] for n in emergency_numbers(("gas", "medical", "fire"))] == ["96777", "119", "120"]


def test_reply_is_a_system_message_with_call_data():
    reply = advice_reply(("medical",))
    assert reply.sender == "system"
    assert reply.data == {
        "emergency": {
            "services": ["medical"],
            "numbers": [{"service": "medical", "number": "120", "label": "急救 120"}],
        }
    }


def test_unknown_services_fall_back_to_the_three_numbers():
    assert [n["number"] for n in advice_reply(()).data["emergency"]["numbers"]] == ["119", "110", "120"]


def test_telegram_entities_mark_each_number_in_utf16_units():
    text = "🔥情况紧急！请立即拨打119火警电话。也请拨打120急救电话。11900不是"
    entities = phone_number_entities(text, ["119", "120"])
    assert [e["length"] for e in entities] == [3, 3]
    first = entities[0]
    assert first["offset"] == utf16_len(text[: text.index("119")])  # the emoji counts two units
    assert all(e["type"] == "phone_number" for e in entities)
