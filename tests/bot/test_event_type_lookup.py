"""bot/event_type_lookup.py against Rasa's own Event.resolve_by_type (engine environment): the
same class for every event type, Rasa's own error and default for unknown names, and a tracker
rebuilt from 60 stored events without walking the event classes again."""

from tests.bot.engine import engine_cases


def test_event_classes_are_looked_up_once_with_rasas_answers():
    cases = engine_cases("engine_event_lookup.py")
    assert cases["hash"] is True, "Rasa's Event.resolve_by_type changed: check bot/event_type_lookup.py"
    assert cases["installed"] is True
    count, same = cases["same_answers"]
    assert count > 20 and same
    assert cases["rebuilt"] == [60, 0]
