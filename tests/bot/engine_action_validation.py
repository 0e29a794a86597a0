"""Run by tests/bot/test_action_response_validation.py in the engine environment (Rasa lives
there): bot/action_response_validation.py against Rasa's own RemoteAction. Prints one JSON line
per case."""

import inspect
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa_sdk.events import ActiveLoop, BotUttered, FollowupAction, SlotSet

from bot import action_response_validation as patch

SLOTS = [
    SlotSet("address", "朝阳区望京街道望京西园三区"),
    SlotSet("district", "朝阳区"),
    SlotSet("intake_failures", 1.0),
    SlotSet("anonymous", True),
    SlotSet("requested_slot", None),
]
RESPONSE = {"text": "请问具体在哪个区？", "buttons": [{"title": "转人工", "payload": "/request_human"}], "elements": [],
            "custom": {"expect": "district"}, "template": None, "response": None, "image": None, "attachment": None}  # fmt: skip
VALID = {
    "empty": {},
    "no_events": {"events": [], "responses": []},
    "form_turn": {"events": SLOTS, "responses": [RESPONSE]},
    "loop_and_followup": {
        "events": [ActiveLoop(None), SlotSet("requested_slot", None), FollowupAction("action_listen")]
    },
    "bot_event": {
        "events": [BotUttered("好的", data={"custom": {"handoff": {"reason": "requested"}}})],
        "responses": [],
    },
    "user_event": {
        "events": [{"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet"}, "entities": []}}]
    },
}
INVALID = {
    "events_not_a_list": {"events": {"event": "slot"}, "responses": []},
    "unknown_event": {"events": [{"event": "teleport"}], "responses": []},
    "event_without_name": {"events": [{"name": "address", "value": "x"}]},
    "slot_without_value": {"events": [{"event": "slot", "name": "address"}]},
    "slot_name_not_text": {"events": [*SLOTS, {"event": "slot", "name": 7, "value": "x"}]},
    "responses_not_objects": {"events": SLOTS, "responses": ["请问具体在哪个区？"]},
    "entities_without_value": {"events": [{"event": "entities", "entities": [{"entity": "address_skip"}]}]},
    "not_an_object": [],
}


def outcome(result: object) -> object:
    """True, or the exception raised: its class and message (what Rasa logs and its callers see)."""
    action = RemoteAction("validate_intake_form", None)
    try:
        return action._validate_action_result(result)
    except Exception as exc:  # noqa: BLE001 - the point is to compare whatever is raised
        return {"raised": f"{type(exc).__module__}.{type(exc).__name__}", "message": str(getattr(exc, "message", exc))}


def emit(case: str, result: object) -> None:
    print(json.dumps({"case": case, "result": result}, ensure_ascii=False), flush=True)


def main() -> None:
    payloads = {**VALID, **INVALID}
    signature = str(inspect.signature(RemoteAction._validate_action_result))
    emit(
        "original",
        {
            "sha256": patch.original_source_sha256(),
            "expected": patch.ORIGINAL_SOURCE_SHA256,
            "signature": signature,
            "called_by_run": "self._validate_action_result(response)" in inspect.getsource(RemoteAction.run),
        },
    )
    before = {name: outcome(p) for name, p in payloads.items()}

    emit("install", {"first": patch.install(), "again": patch.install(), "installed": patch.installed()})
    schema = RemoteAction.action_response_format_spec()
    checks = []
    cls = validator_for(schema)
    check_schema = cls.check_schema
    cls.check_schema = classmethod(lambda c, s: checks.append(1) or check_schema.__func__(c, s))
    try:
        after = {name: outcome(p) for name, p in payloads.items() for _ in range(3)}
    finally:
        cls.check_schema = check_schema
    emit("behaviour", {"before": before, "after": after, "valid": sorted(VALID), "invalid": sorted(INVALID)})
    emit(
        "compiled",
        {
            "validator": type(patch.compiled_validator(RemoteAction)).__name__,
            "rasa_would_use": cls.__name__,
            "schema_checks_while_patched": len(checks),
            "invalid_payloads": len(INVALID) * 3,
        },
    )

    patch.uninstall()
    emit("uninstalled", {"installed": patch.installed()})
    patch.ORIGINAL_SOURCE_SHA256 = "0" * 64  # as if Rasa's function had changed
    emit("guard", {"install": patch.install(), "installed": patch.installed()})


if __name__ == "__main__":
    main()
