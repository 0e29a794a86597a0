"""action_handoff: ask the channel side (the gateway's router) to queue the citizen for a human;
action_fallback: a message the NLU did not understand is answered from the knowledge base when it
answers confidently (a message worded as a question may also get a choice of articles), else the
citizen is asked to rephrase (twice in a row: a person takes over)."""

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.consult import is_phone, kb_reply
from bot.actions.gateway_client import GatewayClient
from bot.actions.screen import worded_as_question

log = logging.getLogger(__name__)

# Consecutive messages not understood before a person takes over.
MISUNDERSTANDINGS_BEFORE_HANDOFF = 2
NOT_UNDERSTOOD = "抱歉，我没有听明白。您可以换个说法，或者转人工客服。"

# Why the conversation is handed over, by the intent that triggered it.
REASON_BY_INTENT = {
    "request_human": "requested",
    "emergency": "emergency",
    "nlu_fallback": "not_understood",
}
LAST_TURNS = 6


def handoff_summary(tracker: Tracker) -> dict[str, Any]:
    """What an agent needs to pick up the conversation: reason, request type, slots, last turns."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    request_types = {"consult", "complain", "report", "seek_help", "suggest", "praise"}
    request_type = None
    turns = []
    for event in tracker.events:
        if event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if name in request_types:
                request_type = name
            own_words = (event.get("metadata") or {}).get("text")  # an emergency sent as its intent
            turns.append({"sender": "citizen", "text": own_words or event.get("text")})
        elif event.get("event") == "bot" and event.get("text"):
            turns.append({"sender": "bot", "text": event.get("text")})
    return {
        "reason": REASON_BY_INTENT.get(intent, "requested"),
        "request_type": request_type,
        "slots": {k: v for k, v in tracker.current_slot_values().items() if v is not None},
        "last_turns": turns[-LAST_TURNS:],
    }


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(json_message={"handoff": handoff_summary(tracker)})
        return []


def misunderstood_in_a_row(tracker: Tracker) -> int:
    """How many of the latest citizen messages in a row fell below the NLU confidence threshold."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


class ActionFallback(Action):
    """Not understood by the NLU: a message the knowledge base answers confidently (an article or
    the responsible unit) is answered, and one worded as a question may get a choice of articles
    ("12345周末也上班吗"; never on a guess at words like "水的事", never spoken); otherwise ask to
    rephrase, and the second time in a row hand over to a person."""

    def __init__(self, gateway: GatewayClient | None = None) -> None:
        self.gateway = gateway or GatewayClient()

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = (tracker.latest_message.get("text") or "").strip()
        choice_ok = worded_as_question(text) and not is_phone(tracker)
        if (
            text
            and not text.startswith("/")
            and (replied := await kb_reply(self.gateway, dispatcher, tracker, text, confident_only=not choice_ok))
        ):
            return replied[0]
        if misunderstood_in_a_row(tracker) >= MISUNDERSTANDINGS_BEFORE_HANDOFF:
            dispatcher.utter_message(text="抱歉，我还是没能理解，为您转接人工客服。")
            dispatcher.utter_message(json_message={"handoff": handoff_summary(tracker)})
        else:
            dispatcher.utter_message(text=NOT_UNDERSTOOD, buttons=[{"title": "转人工", "payload": "/request_human"}])
        return []
