"""RasaEngine turns Rasa's REST items into replies; a text-less data item (work-order card,
knowledge-base source) is attached to the text before it, a handoff stays its own reply."""

from conversation.engine import RasaEngine, merge_attachments
from conversation.messages import Reply


def replies(items: list[dict]) -> list[Reply]:
    return merge_attachments([r for item in items if (r := RasaEngine._to_reply(item)) is not None])


def test_card_is_attached_to_the_text_before_it():
    out = replies([{"text": "已为您登记工单"}, {"custom": {"work_order": {"number": "26112100001"}}}])
    assert [r.text for r in out] == ["已为您登记工单"]
    assert out[0].data == {"work_order": {"number": "26112100001"}}


def test_handoff_stays_a_reply_of_its_own():
    out = replies([{"text": "抱歉"}, {"custom": {"handoff": {"reason": "requested"}}}])
    assert len(out) == 2 and out[1].data["handoff"]["reason"] == "requested"


def test_data_without_a_text_before_it_is_kept():
    out = replies([{"custom": {"kb": {"article_id": "a"}}}, {"text": "好的"}])
    assert len(out) == 2 and out[0].data["kb"]["article_id"] == "a" and out[1].data == {}


def test_mixed_keys_are_not_merged():
    out = replies([{"text": "紧急"}, {"custom": {"alert": {"reason": "emergency"}, "handoff": {}}}])
    assert len(out) == 2


async def test_rasa_api_calls_carry_the_auth_token():
    import httpx

    from conversation.messages import InboundMessage

    seen: dict[str, str | None] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen[request.url.path] = request.url.params.get("token")
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz"})
        if request.url.path == "/model/parse":
            return httpx.Response(200, json={"intent": {"name": "greet"}})
        return httpx.Response(200, json=[])

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        engine = RasaEngine("http://rasa", client, token="t0ken-0123456789abcdef")
        assert await engine.parse("你好") == "greet"
        assert (await engine.health())["ok"]
        await engine.reset("web:x")
        await engine.handle(InboundMessage("web:x", "web", "u", "你好", {}))
    assert (
        seen["/model/parse"]
        == seen["/status"]
        == seen["/conversations/web:x/tracker/events"]
        == "t0ken-0123456789abcdef"
    )
    assert seen["/webhooks/rest/webhook"] is None  # the REST channel takes no token: not sent where unneeded
