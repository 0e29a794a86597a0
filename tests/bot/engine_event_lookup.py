"""Run by tests/bot/test_event_type_lookup.py in the engine environment: bot/event_type_lookup.py
against Rasa's own Event.resolve_by_type and a tracker rebuilt from stored events."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import rasa.shared.utils.common
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import event_type_lookup as patch


def outcome(name, default=None):
    try:
        cls = Event.resolve_by_type(name, default)
        return cls.__name__ if cls is not None else None
    except ValueError as exc:
        return f"ValueError: {exc}"


NAMES = [cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)]
ODD = [("no_such_event", None), ("no_such_event", SlotSet), ("topic", None)]
before = {name: outcome(name) for name in NAMES} | {f"{n}|{d}": outcome(n, d) for n, d in ODD}
print(json.dumps({"case": "hash", "result": patch.original_source_sha256() == patch.ORIGINAL_SOURCE_SHA256}))
print(json.dumps({"case": "installed", "result": patch.install() and patch.install()}))
after = {name: outcome(name) for name in NAMES} | {f"{n}|{d}": outcome(n, d) for n, d in ODD}
print(json.dumps({"case": "same_answers", "result": [len(before), before == after]}))
calls = []
real = rasa.shared.utils.common.all_subclasses
rasa.shared.utils.common.all_subclasses = lambda cls: calls.append(cls) or real(cls)
events = [e.as_dict() for e in (UserUttered("你好", {"name": "greet"}), ActionExecuted("utter_greet"), SlotSet("a", 1))]
tracker = DialogueStateTracker.from_dict("c1", events * 20, [])
print(json.dumps({"case": "rebuilt", "result": [len(tracker.events), len(calls)]}))
