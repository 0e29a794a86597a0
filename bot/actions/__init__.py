"""Custom Rasa actions (engine runtime, served by `rasa run actions --actions bot.actions`).

Actions are thin: they read the tracker and emit payloads; data lives in the gateway.
"""

from bot.actions.handoff import ActionHandoff

__all__ = ["ActionHandoff"]
