"""The `rasa` command with this project's engine patches installed: what `hotline up`
(runtime/stack.py) and the engine image (deploy/engine/entrypoint.py) run instead of bare `rasa`.

Usage: python -m bot.engine_runtime run --enable-api --model … (any `rasa` arguments).

The patches (one module each, installed here and nowhere else):
- bot/action_response_validation.py: action-server responses checked by a JSON-schema validator
  compiled once, not rebuilt with its schema re-checked on every call (issue 17);
- bot/event_type_lookup.py: event classes looked up by type name once, not by walking every event
  class for each stored event of each turn (issue 17);
Both replace a Rasa function through bot/rasa_patch.py: only when Rasa's function is the one they
were written against. The tracker store is not a patch: endpoints.yml names its class
(bot/tracker_store.py).
"""

import logging
import sys

from bot import action_response_validation, event_type_lookup

log = logging.getLogger(__name__)


def install_patches() -> None:
    if not action_response_validation.install():
        log.warning("running Rasa without the compiled action-response validator")
    if not event_type_lookup.install():
        log.warning("running Rasa without the remembered event type lookup")


def main(argv: list[str]) -> None:
    install_patches()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
