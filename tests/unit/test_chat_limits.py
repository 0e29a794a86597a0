"""Token buckets of the web chat rate limits, and conversation ids shortened in logs."""

import logging

from channels.agent.auth import TokenRedactingFilter
from core.log_ids import short_id
from core.rate_limit import KeyedBuckets, TokenBucket, take_all


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_steady_rate():
    clock = Clock()
    bucket = TokenBucket(3, 2.0, clock)
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == 0.5  # one token every half second
    clock.now = 0.5
    assert bucket.take() == 0 and bucket.take() > 0
    clock.now = 100
    assert [bucket.take() for _ in range(4)][:3] == [0, 0, 0]  # never more than the burst


def test_all_buckets_or_none():
    clock = Clock()
    connection, address = TokenBucket(1, 1, clock), TokenBucket(5, 1, clock)
    assert take_all(connection, address) == 0
    assert take_all(connection, address) == 1.0
    assert address.tokens == 4  # a refused frame costs the address nothing


def test_keyed_buckets_forget_the_idlest():
    buckets = KeyedBuckets(1, 1, max_keys=2, clock=Clock())
    buckets.get("a").take()
    buckets.get("b"), buckets.get("c")
    assert buckets.get("a").wait_s() == 0  # forgotten: a full bucket again


def test_short_id_keeps_the_channel_and_hides_the_rest():
    cid = "web:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert short_id(cid).startswith("web:#") and "1b4e28ba" not in short_id(cid)
    assert short_id(cid) == short_id(cid) != short_id("web:00000000-0000-0000-0000-000000000000")
    assert short_id("0016d3cca427").startswith("#") and short_id(None) == "-"


def test_websocket_urls_in_server_logs_lose_tokens_and_full_ids():
    cid = "web:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        "",
        0,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", f"/ws/chat?conversation_id={cid}&resume_token=s3cret"),
        None,
    )
    TokenRedactingFilter().filter(record)
    line = record.getMessage()
    assert "s3cret" not in line and "1b4e28ba" not in line and short_id(cid) in line
