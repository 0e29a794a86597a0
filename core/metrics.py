"""Prometheus metrics of one gateway process (own registry, so apps in tests do not collide)."""

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "hotline_messages", "Messages persisted", ["channel", "direction"], registry=self.registry
        )
        self.turn_seconds = Histogram(
            "hotline_turn_seconds",
            "Time from a citizen message to its replies",
            ["channel"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.engine_failures = Counter(
            "hotline_engine_failures", "Dialogue engine calls that failed", registry=self.registry
        )
        self.frame_errors = Counter("hotline_frame_errors", "Rejected client frames", ["code"], registry=self.registry)
        self.handoffs = Counter(
            "hotline_handoffs", "Conversations handed to human agents", ["reason"], registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
