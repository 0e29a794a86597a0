"""Rasa's check of action-server responses, with the JSON-schema validator compiled once.

Why: after every custom action (validate_intake_form, action_ask_*, action_answer_consult, …)
Rasa 3.6 calls `RemoteAction._validate_action_result`, which calls `jsonschema.validate(result,
schema)`. That helper first checks the *schema itself* against the JSON-Schema 2020-12 metaschema
and builds a fresh validator, on every call: about 30 ms of CPU per response on our machine, most
of the validation time of a form turn (issue 17). The schema is a constant of Rasa's
(`RemoteAction.action_response_format_spec()`), so checking it once is enough.

What: `install()` replaces `RemoteAction._validate_action_result` with a version that asks a
validator compiled once per class (the same validator class `jsonschema.validate` picks, built
from the same schema) whether the response is valid. A valid response returns True as before. An
invalid one (rare: a broken action server) goes to Rasa's own original function, so the exception
raised — jsonschema's ValidationError with Rasa's added hint — is exactly Rasa's.

Guard: the patch stands in for one Rasa function, so it is installed only when that function's
source is the one it was written against (ORIGINAL_SOURCE_SHA256); after a Rasa upgrade that
changes it, `install()` leaves Rasa alone, logs a warning and returns False. tests/bot/
test_action_response_validation.py fails in that case, and when Rasa stops calling the function.

Nothing happens at import time: bot/engine_runtime.py calls `install()` before Rasa's CLI runs.
"""

from collections.abc import Callable
from typing import Any

from bot import rasa_patch

# sha256 of inspect.getsource(RemoteAction._validate_action_result) in rasa 3.6.21.
ORIGINAL_SOURCE_SHA256 = "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"
PATCHED_ATTRIBUTE = "_validate_action_result"

_original: Callable[[Any, dict], bool] | None = None
_validators: dict[type, Any] = {}


def original_source_sha256() -> str:
    """The hash of the Rasa function the patch replaces (the original, also once patched)."""
    from rasa.core.actions.action import RemoteAction

    return rasa_patch.source_sha256(_original or getattr(RemoteAction, PATCHED_ATTRIBUTE))


def compiled_validator(action_class: type) -> Any:
    """The validator `jsonschema.validate` would build for the class's response schema, built and
    its schema checked once."""
    validator = _validators.get(action_class)
    if validator is None:
        from jsonschema.validators import validator_for

        schema = action_class.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        validator = _validators[action_class] = cls(schema)
    return validator


def validate_action_result(self: Any, result: dict) -> bool:
    """RemoteAction._validate_action_result with a compiled validator; Rasa's own code raises."""
    if compiled_validator(type(self)).is_valid(result):
        return True
    assert _original is not None
    return _original(self, result)


def installed() -> bool:
    from rasa.core.actions.action import RemoteAction

    return getattr(RemoteAction, PATCHED_ATTRIBUTE) is validate_action_result


def install() -> bool:
    """Patch RemoteAction (idempotent). False, with Rasa untouched, when Rasa's function is not the
    one this patch was written for."""
    global _original
    from rasa.core.actions.action import RemoteAction

    if installed():
        return True
    patch = "bot/action_response_validation.py"
    _original = rasa_patch.replace(
        RemoteAction, PATCHED_ATTRIBUTE, ORIGINAL_SOURCE_SHA256, validate_action_result, patch
    )
    return _original is not None


def uninstall() -> None:
    """Rasa's original back (for tests)."""
    global _original
    from rasa.core.actions.action import RemoteAction

    if _original is not None:
        setattr(RemoteAction, PATCHED_ATTRIBUTE, _original)
        _original = None
    _validators.clear()
