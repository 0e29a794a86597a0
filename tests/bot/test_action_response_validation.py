"""bot/action_response_validation.py, the one patch of Rasa this project installs: action-server
responses checked by a validator compiled once. These tests fail when Rasa's own function changes
(a new Rasa: look at the patch again before updating the hash) or when the patched check would
answer differently from Rasa's."""

import pytest

from tests.bot.engine import engine_cases


@pytest.fixture(scope="module")
def cases() -> dict:
    return engine_cases("engine_action_validation.py")


def test_rasa_function_is_the_one_the_patch_was_written_for(cases):
    original = cases["original"]
    assert original["sha256"] == original["expected"], "Rasa's RemoteAction._validate_action_result changed"
    assert original["signature"] == "(self, result: Dict[str, Any]) -> bool"
    assert original["called_by_run"], "RemoteAction.run no longer validates through the patched function"


def test_install_patches_once(cases):
    assert cases["install"] == {"first": True, "again": True, "installed": True}
    assert cases["uninstalled"] == {"installed": False}


def test_patched_check_answers_as_rasa_does(cases):
    behaviour = cases["behaviour"]
    assert behaviour["after"] == behaviour["before"]
    assert all(behaviour["before"][name] is True for name in behaviour["valid"])
    for name in behaviour["invalid"]:
        raised = behaviour["after"][name]
        assert raised["raised"] == "jsonschema.exceptions.ValidationError", name
        assert "Failed to validate Action server response" in raised["message"], name


def test_schema_is_checked_once_not_per_response(cases):
    compiled = cases["compiled"]
    assert compiled["validator"] == compiled["rasa_would_use"]
    # One check when the validator is compiled; only invalid responses reach Rasa's own (checking) code.
    assert compiled["schema_checks_while_patched"] == 1 + compiled["invalid_payloads"]


def test_a_changed_rasa_function_is_left_alone(cases):
    assert cases["guard"] == {"install": False, "installed": False}
