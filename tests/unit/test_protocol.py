import json

import pytest

from channels.web.protocol import FrameError, ack_frame, parse_client_frame, reply_frames, session_frame
from conversation.messages import Button, Reply

LIMIT = 2000


def parse(obj) -> object:
    return parse_client_frame(obj if isinstance(obj, str) else json.dumps(obj), LIMIT)


def error_code(obj) -> str:
    with pytest.raises(FrameError) as info:
        parse(obj)
    err = info.value
    assert err.frame()["type"] == "error" and err.message and err.detail
    return err.code


def test_text_frame_is_trimmed():
    assert parse({"type": "text", "text": "  你好 \n"}).text == "你好"


def test_button_frame_keeps_payload_and_optional_title():
    frame = parse({"type": "button", "payload": "/consult", "title": "咨询政策"})
    assert (frame.type, frame.payload, frame.text) == ("button", "/consult", "咨询政策")
    assert parse({"type": "button", "payload": "/consult"}).text == ""


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ({"text": "no type"}, "invalid_frame"),
        ({"type": 5}, "invalid_frame"),
        ({"type": "video"}, "unknown_type"),
        ({"type": "text"}, "invalid_frame"),
        ({"type": "text", "text": 12}, "invalid_frame"),
        ({"type": "text", "text": "   "}, "empty_text"),
        ({"type": "text", "text": "字" * (LIMIT + 1)}, "text_too_long"),
        ({"type": "text", "text": "你好\x00\x07"}, "control_characters"),
        ({"type": "text", "text": "工单\u202e24000211162"}, "control_characters"),  # right-to-left override
        ({"type": "text", "text": "地址\u2066海淀区\u2069"}, "control_characters"),  # bidi isolates
        ({"type": "button", "payload": ""}, "invalid_button"),
        ({"type": "button", "payload": "x" * 201}, "invalid_button"),
        ({"type": "audio", "format": "mp3", "data": "AAAA"}, "invalid_audio"),
        ("[" * 100000, "invalid_json"),
    ],
)
def test_bad_frames_get_codes(raw, code):
    assert error_code(raw) == code


def test_refused_text_is_kept_for_the_record_cut_to_the_limit_with_its_length():
    with pytest.raises(FrameError) as info:
        parse({"type": "text", "text": "字" * 100_000})
    assert info.value.rejected_text == "字" * LIMIT
    assert info.value.original_length == 100_000


def test_client_ids_are_kept_and_echoed_in_errors():
    assert parse({"type": "text", "text": "你好", "id": "m-1"}).id == "m-1"
    assert parse({"type": "text", "text": "你好", "id": 7}).client_id == "7"
    assert parse({"type": "text", "text": "你好"}).id is None
    with pytest.raises(FrameError) as info:
        parse({"type": "text", "text": "", "id": "m-2"})
    assert info.value.frame()["id"] == "m-2" and info.value.code == "empty_text"
    for bad in ("", "x" * 65, "a\nb", True, 1.5, [1], 2**60):
        assert error_code({"type": "text", "text": "你好", "id": bad}) == "invalid_id"


def test_session_and_ack_frames():
    assert session_frame("web:x", "tok") == {"type": "session", "conversation_id": "web:x", "resume_token": "tok"}
    assert ack_frame("m-1") == {"type": "ack", "id": "m-1"}


def test_newlines_and_tabs_are_allowed():
    assert parse({"type": "text", "text": "第一行\n第二行\t完"}).text == "第一行\n第二行\t完"


def test_mode_change_reply_adds_a_status_frame():
    frames = reply_frames(Reply("转接中", (Button("返回", "/back_to_bot"),), {"mode": "queued"}, "system"))
    assert [f["type"] for f in frames] == ["message", "status"]
    assert frames[0]["buttons"] == [{"title": "返回", "payload": "/back_to_bot"}]
    assert frames[1]["mode"] == "queued"
    assert [f["type"] for f in reply_frames(Reply("你好"))] == ["message"]


def test_same_control_character_rule_for_chat_and_work_orders():
    from pydantic import ValidationError

    from tickets.schemas import WorkOrderCreate

    with pytest.raises(ValidationError):
        WorkOrderCreate(request_type="complain", description="楼下太吵\x1b[31m")
    assert WorkOrderCreate(request_type="complain", description="楼下太吵\r\n每天都这样").description
