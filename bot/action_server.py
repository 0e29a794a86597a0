"""The action server: rasa-sdk's `rasa run actions`, closed to everyone but Rasa.

It listens on SANIC_HOST (rasa-sdk's own variable; default here 127.0.0.1, not rasa-sdk's
0.0.0.0), and /webhook and /actions answer only requests carrying the shared token that Rasa
sends as a header (endpoints.yml: action_endpoint.headers). The actions call the gateway with its
API key, so an open webhook would hand that key's powers to anyone. /health stays open for the
supervisor and the gateway's /healthz.

Usage: python -m bot.action_server --actions bot.actions --port 5055 (HOTLINE_ACTION_TOKEN set).
"""

import hmac
import os
import sys

import pluggy
from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request

TOKEN_HEADER = "X-Hotline-Action-Token"
TOKEN_VARIABLE = "HOTLINE_ACTION_TOKEN"
OPEN_PATHS = frozenset({"/health"})
hookimpl = pluggy.HookimplMarker("rasa_sdk")


class RequireToken:
    """A rasa-sdk plugin (its hook for Sanic extensions): refuses requests without the token."""

    def __init__(self, token: str) -> None:
        self.token = token.encode()

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        @app.middleware("request")
        async def require_token(request: Request):
            if request.path in OPEN_PATHS:
                return None
            given = request.headers.get(TOKEN_HEADER, "").encode()
            if not hmac.compare_digest(given, self.token):
                return response.json({"error": "missing or invalid action server token"}, status=401)
            return None


def main() -> None:
    token = os.environ.get(TOKEN_VARIABLE, "")
    if len(token) < 16:
        sys.exit(f"{TOKEN_VARIABLE} must hold the shared token (at least 16 characters) Rasa sends as {TOKEN_HEADER}")
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    plugin_manager().register(RequireToken(token))
    main_from_args(create_argument_parser().parse_args())


if __name__ == "__main__":
    main()
